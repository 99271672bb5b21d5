import DNBSupport

/// The tables `table row` collects, by name, until `table show` puts one in the output (a Markdown table
/// in the report). They belong to the interpreter, so rows gathered over a loop, several cells or REPL
/// entries end up in one table.
public final class TableCollector {
    struct Collected: Codable, Hashable, Sendable {
        var name: String
        /// In the order first given.
        var columns: [String]
        var rows: [Record]
    }

    private var collected: [Collected] = []

    /// A report table is read by people: 10,000 rows is far beyond a useful sweep, and a row appended per
    /// iteration of a 10,000,000-step loop would otherwise grow without bound.
    public static let maximumRows = 10_000
    /// More columns than this do not fit a page either; the limit keeps one row's record bounded too.
    public static let maximumColumns = 100

    public init() {}

    /// The tables being collected, as data: for whatever keeps a session's state between runs (a cell
    /// cache restoring a cell that collected rows must restore them too).
    public struct Snapshot: Codable, Hashable, Sendable {
        fileprivate var tables: [Collected]
        /// No tables.
        public static let empty = Snapshot(tables: [])
    }

    public func snapshot() -> Snapshot { Snapshot(tables: collected) }

    public func restore(_ snapshot: Snapshot) { collected = snapshot.tables }

    /// Names of the tables being collected, in the order they were started.
    public var names: [String] { collected.map(\.name) }

    /// Appends a row, starting the table when it is new. Columns not seen before are added on the right;
    /// cells a row does not give stay empty.
    func add(_ row: Record, to name: String) throws {
        let index = collected.firstIndex { $0.name == name } ?? {
            collected.append(Collected(name: name, columns: [], rows: []))
            return collected.count - 1
        }()
        var table = collected[index]
        guard table.rows.count < TableCollector.maximumRows else {
            throw ArgumentError("table '\(name)' already has \(TableCollector.maximumRows) rows, the most a table holds; "
                                    + "show it (`table show \(name)`) or clear it")
        }
        let newColumns = row.names.filter { !table.columns.contains($0) }
        guard table.columns.count + newColumns.count <= TableCollector.maximumColumns else {
            throw ArgumentError("table '\(name)' would have \(table.columns.count + newColumns.count) columns; at most \(TableCollector.maximumColumns) are allowed")
        }
        table.columns += newColumns
        table.rows.append(row)
        collected[index] = table
    }

    /// The table as it would be shown, or nil when no table has that name.
    func table(named name: String, caption: String? = nil) -> Table? {
        guard let table = collected.first(where: { $0.name == name }) else { return nil }
        let rows = table.rows.map { row in table.columns.map { row[$0]?.description ?? "" } }
        return Table(headers: table.columns, rows: rows, caption: caption)
    }

    /// Forgets the table; returns how many rows it had, nil when there was none.
    @discardableResult
    func remove(_ name: String) -> Int? {
        guard let index = collected.firstIndex(where: { $0.name == name }) else { return nil }
        return collected.remove(at: index).rows.count
    }

    func removeAll() { collected.removeAll() }

    /// One line per table for `vars`: name, rows and columns.
    var summaryRows: [[String]] {
        collected.map { [$0.name, String($0.rows.count), $0.columns.joined(separator: ", ")] }
    }

    func missingMessage(_ name: String) -> String {
        var message = "no table '\(name)' is being collected"
        if let near = Suggestions.nearest(to: name, in: names) {
            message += " (did you mean '\(near)'?)"
        } else if !collected.isEmpty {
            message += " (tables: \(names.joined(separator: ", ")))"
        }
        return message + "; `table row \(name == TableCommand.defaultName ? "" : name + " ")COLUMN=VALUE …` starts one"
    }
}

/// `table row | show | clear`: results gathered over a sweep, shown as one table.
enum TableCommand {
    static let defaultName = "table"

    static let nameArgument = ArgumentSpec("table", .string, default: .string(defaultName),
                                           help: "which table, when several are being collected")

    static var spec: CommandSpec {
        CommandSpec("table", summary: "Collect rows of results and show them as one table", help: """
            `table row steps=$s loss=$r.loss` appends a row (columns are the names, in the order first given; \
            a cell a row leaves out stays empty); `table show` adds the table to the output, a Markdown table \
            in the report, and ends it, so running the cell again starts a new table. Rows outlive loops, \
            cells and REPL entries. Use `round($x, 4)` to shorten numbers.
            """, verbs: [row, show, clear])
    }

    static var row: CommandSpec {
        CommandSpec("row", summary: "Append a row: table row [TABLE] COLUMN=VALUE …", arguments: [
            nameArgument,
            .keywords("columns", .any, help: "the row's cells, e.g. steps=$s loss=$r.loss"),
        ]) { invocation, context in
            let name = try invocation.string("table")
            guard case .record(let row) = try invocation.value("columns"), !row.isEmpty else {
                throw ArgumentError("give the row's cells as COLUMN=VALUE, e.g. `table row steps=10 loss=0.5`")
            }
            try context.tables.add(row, to: name)
        }
    }

    static var show: CommandSpec {
        CommandSpec("show", summary: "Add the table to the output (the report) and end it", arguments: [
            nameArgument,
            ArgumentSpec("caption", .string, default: Value.none, help: "a line under the table"),
            ArgumentSpec("keep", .bool, default: .bool(false), help: "keep collecting rows into it afterwards"),
        ]) { invocation, context in
            let name = try invocation.string("table")
            guard let table = context.tables.table(named: name, caption: try invocation.optionalString("caption")) else {
                throw ArgumentError(argument: "table", context.tables.missingMessage(name))
            }
            context.out.table(table)
            if try !invocation.bool("keep") { context.tables.remove(name) }
        }
    }

    static var clear: CommandSpec {
        CommandSpec("clear", summary: "Drop a table's rows without showing them", arguments: [
            nameArgument,
            ArgumentSpec("all", .bool, default: .bool(false), help: "drop every table being collected"),
        ]) { invocation, context in
            if try invocation.bool("all") {
                context.tables.removeAll()
                return
            }
            // Clearing a table that is not there is fine: `table clear` at the top of a sweep cell
            // makes sure it starts empty, the first time as on a re-run.
            context.tables.remove(try invocation.string("table"))
        }
    }
}
