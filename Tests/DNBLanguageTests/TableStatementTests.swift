import Foundation
import Testing
@testable import DNBLanguage

/// `table row | show | clear` and `vars`, with the language's own registry (the fake registry of the other
/// suites has a `table` command of its own).
@Suite struct TableStatementTests: InterpreterHarness {
    let interpreter = Interpreter(registry: CommandRegistry(), interrupt: Interrupt())
    let output = Output()

    private var tables: [Table] {
        output.items.compactMap { if case .table(let table) = $0 { table } else { nil } }
    }

    @Test func aSweepYieldsOneTableWithEveryColumn() throws {
        _ = try run("""
            for s in [10, 20, 50] {
              let r = {loss: 1 / $s}
              table row steps=$s loss=round($r.loss, 3)
              if $s == 20 {
                table row steps=$s note="two words"
              }
            }
            table show caption="Steps against loss"
            """)
        #expect(tables == [Table(headers: ["steps", "loss", "note"],
                                 rows: [["10", "0.1", ""], ["20", "0.05", ""], ["20", "", "two words"], ["50", "0.02", ""]],
                                 caption: "Steps against loss")])
        #expect(interpreter.tables.names.isEmpty, "showing ends the table")
        // So the same cell run again starts afresh.
        _ = try run("table row a=1\ntable show")
        #expect(tables.last == Table(headers: ["a"], rows: [["1"]]))
    }

    @Test func tablesAreNamedKeptAndCleared() throws {
        _ = try run("table row sweep x=1\ntable row y=2\ntable row sweep x=3")
        #expect(interpreter.tables.names == ["sweep", "table"])
        _ = try run("table show sweep keep=true\ntable row sweep x=4\ntable show sweep")
        #expect(tables.map(\.rows) == [[["1"], ["3"]], [["1"], ["3"], ["4"]]])
        _ = try run("table clear\ntable clear nothing")
        #expect(interpreter.tables.names.isEmpty)
        _ = try run("table row a=1\ntable row other b=2\ntable clear all=true")
        #expect(interpreter.tables.names.isEmpty)
    }

    @Test func mistakesAreExplained() throws {
        _ = try run("table row sweep x=1")
        #expect(try runtimeError("table show swep").diagnostic.summary
                    == "t.dnb:1:12: no table 'swep' is being collected (did you mean 'sweep'?); `table row swep COLUMN=VALUE …` starts one")
        #expect(try runtimeError("table show").message
                    == "no table 'table' is being collected (tables: sweep); `table row COLUMN=VALUE …` starts one")
        #expect(try runtimeError("table row").message == "give the row's cells as COLUMN=VALUE, e.g. `table row steps=10 loss=0.5`")
        #expect(try runtimeError("table row a=1 a=2").diagnostic.summary == "t.dnb:1:15: 'a' is given more than once")
        #expect(try runtimeError("table row a=1e999").diagnostic.summary == "t.dnb:1:11: argument 'a' must be a finite number, got inf")
    }

    @Test func aSnapshotRestoresTheRowsThroughJSON() throws {
        _ = try run("table row sweep x=1 r={a: [1, 2]}\ntable row y=\"two words\"")
        let data = try JSONEncoder().encode(interpreter.tables.snapshot())
        let other = Interpreter(registry: CommandRegistry(), interrupt: Interrupt())
        other.tables.restore(try JSONDecoder().decode(TableCollector.Snapshot.self, from: data))
        #expect(other.tables.snapshot() == interpreter.tables.snapshot())
        let shown = Output()
        try other.run("table row sweep x=2\ntable show sweep", output: shown)
        #expect(shown.items == [.table(Table(headers: ["x", "r"], rows: [["1", "{a: [1, 2]}"], ["2", ""]]))])
    }

    @Test func tablesHaveLimits() throws {
        let columns = (0...TableCollector.maximumColumns).map { "c\($0)=1" }.joined(separator: " ")
        #expect(try runtimeError("table row \(columns)").message == "table 'table' would have 101 columns; at most 100 are allowed")
        _ = try run("for i in 1..\(TableCollector.maximumRows) { table row i=$i }")
        #expect(try runtimeError("table row i=0").message
                    == "table 'table' already has 10000 rows, the most a table holds; show it (`table show table`) or clear it")
    }

    @Test func varsListsVariablesTablesAndWhatTheSessionAdds() throws {
        interpreter.registry.addSessionDescription { [Table(headers: ["held", "what"], rows: [["model", "a UNet"]])] }
        _ = try run("let r = {a: 1}\nlet long = range(100)\ntable row sweep x=1 y=2")
        _ = try run("vars")
        #expect(tables.count == 3)
        #expect(tables[0].rows[0][0...1] == ["long", "list"])
        #expect(tables[0].rows[0][2].hasPrefix("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,") && tables[0].rows[0][2].hasSuffix("…"))
        #expect(tables[0].rows[0][2].count == Builtins.maximumValueWidth)
        #expect(tables[0].rows[1] == ["r", "record", "{a: 1}", "variable"])
        #expect(tables[1].rows == [["sweep", "1", "x, y"]])
        #expect(tables[2].rows == [["model", "a UNet"]])
    }

    @Test func helpShowsTheKeywordsArgument() throws {
        let help = try run("help table row")
        #expect(help.hasPrefix("usage: table row [table=<string>] [NAME=<any>…]\n"))
        #expect(help.contains("  NAME=<any>…     the row's cells, e.g. steps=$s loss=$r.loss (any number, by"))
    }
}
