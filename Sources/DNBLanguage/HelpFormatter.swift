import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Builds `help` text from command specs, so help never drifts from what
/// the interpreter accepts. Lines are wrapped to the terminal's width.
enum HelpFormatter {
    /// Columns to wrap help to: `COLUMNS` when set to a number, else the width of the terminal on
    /// stdout, else 80 (a pipe or a notebook's report). Never below 40, so a table row keeps some
    /// room for its description.
    static var width: Int {
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let columns = Int(text), columns > 0 {
            return max(40, columns)
        }
        var size = winsize()
        if isatty(STDOUT_FILENO) != 0, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            return max(40, Int(size.ws_col))
        }
        return 80
    }

    /// Wraps each line longer than `width` at spaces. Continuation lines are indented like the line's
    /// text, or, for a table row (`  name  description`), to the description's column.
    static func wrap(_ text: String, width: Int = HelpFormatter.width) -> String {
        var result: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            guard line.count > width else { result.append(line); continue }
            let characters = Array(line)
            let lead = characters.prefix { $0 == " " }.count
            var hanging = lead
            // A table row: the first word, then a gap of two or more spaces before the description.
            if let wordEnd = characters[lead...].firstIndex(of: " "), wordEnd + 1 < characters.count, characters[wordEnd + 1] == " " {
                var column = wordEnd
                while column < characters.count, characters[column] == " " { column += 1 }
                if column <= width / 2 { hanging = column }
            }
            // The label of a table row stays as it is; only the text after `hanging` is wrapped.
            var current = String(characters.prefix(hanging))
            var words = String(characters[hanging...]).split(separator: " ").map(String.init)
            var lineHasWord = false
            let indent = String(repeating: " ", count: hanging)
            while !words.isEmpty {
                let word = words.removeFirst()
                if lineHasWord && current.count + 1 + word.count > width {
                    result.append(current)
                    current = indent + word
                } else {
                    current += (lineHasWord ? " " : "") + word
                }
                lineHasWord = true
            }
            result.append(current)
        }
        return result.joined(separator: "\n")
    }

    static let statements: [(name: String, summary: String, help: String)] = [
        ("let", "Bind a variable: let NAME = VALUE, or a command's result: let NAME = COMMAND …", """
            usage: let NAME = VALUE
                   let NAME = COMMAND [ARGUMENTS…]

            Binds NAME to VALUE in the current scope; refer to it as $NAME, or as {NAME}
            inside a string. At the top level the variable stays for later lines and
            cells; inside a block it lasts until the block ends. Parameters cannot be
            rebound with let: use --set NAME=VALUE.

            The second form runs the command as usual and binds its result, a record:
            `let r = train epochs=1`, then $r.loss. `help COMMAND` lists its fields.
            A lone word runs the command it names (let e = env); quote it for a string.
            """),
        ("for", "Repeat a block: for NAME in LIST { … }", """
            usage: for NAME in LIST {
                     STATEMENTS
                   }

            Runs the block once per element, with $NAME bound to the element. LIST may
            be a range (1..5, both ends included), a list ([a, b] or (1, 2)) or a
            variable holding a list. The '{' must be on the same line as 'for'.
            """),
        ("param", "Declare a parameter: param NAME: TYPE = DEFAULT \"help\"", """
            usage: param NAME: TYPE = DEFAULT ["HELP"]

            Declares a parameter that a run can override from the command line with
            --set NAME=VALUE. TYPE is int, float, string, path, bool, list, list[T] or
            any; the default must be a literal of that type. Only at the top level.
            """),
        ("time", "Run a command and report its wall time: time COMMAND …", """
            usage: time COMMAND [ARGUMENTS…]
                   time for …

            Runs the command (or loop) and then prints how long it took.
            """),
        ("if", "Run a block when a condition holds: if COND { … } else { … }", """
            usage: if CONDITION { STATEMENTS } else if CONDITION { … } else { … }

            Runs the first block whose condition (a bool, e.g. $n > 2 and $ok) is true.
            'else' goes on the line of the '}' before it. Blocks scope like loops.
            """),
        ("timeit", "Time a statement over several runs: timeit COMMAND … [repeat=N]", """
            usage: timeit COMMAND [ARGUMENTS…] [repeat=N]
                   timeit for … { … } [repeat=N]

            Runs it N times (1 to 100; by default as many as fit in about 1 s, at most
            100) and prints the min, median and max time, like IPython's %timeit.
            """),
    ]

    static func overview(_ registry: CommandRegistry) -> String {
        let commands = registry.commands.map { ($0.name, $0.summary) }
        let statementRows = statements.map { ($0.name, $0.summary) }
        let width = (commands + statementRows).map(\.0.count).max() ?? 0
        var lines = ["Commands:"]
        lines += commands.map { "  " + padded($0.0, width) + "  " + $0.1 }
        lines += ["", "Statements:"]
        lines += statementRows.map { "  " + padded($0.0, width) + "  " + $0.1 }
        lines += ["", "Type `help NAME` for details, e.g. `help \(registry.commandNames.first ?? "let")`."]
        return wrap(lines.joined(separator: "\n")) + "\n"
    }

    static func statementHelp(_ name: String) -> String? {
        statements.first { $0.name == name }.map { wrap($0.help) + "\n" }
    }

    static func usage(of spec: CommandSpec, path: String) -> String {
        var sections: [String] = []
        if spec.hasVerbs {
            sections.append("usage: \(path) <verb> [arguments…]")
            if !spec.summary.isEmpty { sections.append(spec.summary) }
            if !spec.help.isEmpty { sections.append(spec.help) }
            let width = spec.verbs.map(\.name.count).max() ?? 0
            sections.append((["verbs:"] + spec.verbs.map { "  " + padded($0.name, width) + "  " + $0.summary })
                .joined(separator: "\n"))
            sections.append("Type `help \(path) VERB` for a verb's arguments.")
            return wrap(sections.joined(separator: "\n\n")) + "\n"
        }
        sections.append("usage: " + ([path] + spec.arguments.map(usageFragment)).joined(separator: " "))
        if !spec.summary.isEmpty { sections.append(spec.summary) }
        if !spec.help.isEmpty { sections.append(spec.help) }
        if !spec.arguments.isEmpty {
            let labels = spec.arguments.map(label)
            let width = labels.map(\.count).max() ?? 0
            var lines = ["arguments:"]
            for (argument, label) in zip(spec.arguments, labels) {
                lines.append("  " + padded(label, width) + "  " + details(of: argument))
            }
            sections.append(lines.joined(separator: "\n"))
            sections.append("Arguments can also be given by position, in this order.")
        }
        if let result = spec.result { sections.append(resultSection(result, path: path)) }
        return wrap(sections.joined(separator: "\n\n")) + "\n"
    }

    /// `result (let r = train …, then $r.FIELD):` and one line per field (name, type, help); a record field
    /// with a few known fields lists them indented under it (a model's 25 config keys are left to its help).
    private static func resultSection(_ result: ResultSpec, path: String) -> String {
        func rows(_ fields: [ResultField], indent: String) -> [[String]] {
            fields.flatMap { field in
                [[indent + field.name, field.type.description, field.help]]
                    + (field.fields.count > 8 ? [] : rows(field.fields, indent: indent + "  "))
            }
        }
        let lines = rows(result.fields, indent: "")
        let nameWidth = lines.map { $0[0].count }.max() ?? 0, typeWidth = lines.map { $0[1].count }.max() ?? 0
        // Three columns: the help is wrapped here, under its own column (`wrap` knows two-column rows only).
        let helpColumn = 2 + nameWidth + 2 + typeWidth + 2
        let helpWidth = max(20, width - helpColumn)
        return (["result (`let r = \(path) …`, then $r.FIELD):"] + lines.flatMap { row -> [String] in
            let help = words(row[2], width: helpWidth)
            let first = "  " + padded(row[0], nameWidth) + "  " + padded(row[1], typeWidth) + "  " + (help.first ?? "")
            return [first] + help.dropFirst().map { String(repeating: " ", count: helpColumn) + $0 }
        }).joined(separator: "\n")
    }

    /// `text` in lines of at most `width` characters, broken at spaces (a longer word stays whole).
    private static func words(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        return lines + (line.isEmpty ? [] : [line])
    }

    private static func label(_ argument: ArgumentSpec) -> String {
        argument.isVariadic ? "\(argument.name)…" : argument.isKeywords ? "NAME=<\(argument.type)>…" : "\(argument.name)=<\(argument.type)>"
    }

    private static func usageFragment(_ argument: ArgumentSpec) -> String {
        switch argument.requirement {
        case .required: label(argument)
        case .optional: "[\(label(argument))]"
        case .variadic: "[\(argument.name)…]"
        case .keywords: "[NAME=<\(argument.type)>…]"
        }
    }

    /// `the help text (one of: a, b; default: a)`
    private static func details(of argument: ArgumentSpec) -> String {
        var notes: [String] = []
        if let allowed = argument.allowedValues {
            notes.append("one of: " + allowed.map(\.literal).joined(separator: ", "))
        }
        if let bounds = argument.boundsText { notes.append(bounds) }
        switch argument.requirement {
        case .required: notes.append("required")
        case .optional(let value):
            // Help that explains its own default ("the command's name") says it better than `none`.
            if !argument.help.contains("(default:") { notes.append("default: \(value.literal)") }
        case .variadic: notes.append("any number, by position")
        case .keywords: notes.append("any number, by any other name")
        }
        let parenthesis = notes.isEmpty ? "" : "(" + notes.joined(separator: "; ") + ")"
        return [argument.help, parenthesis].filter { !$0.isEmpty }.joined(separator: " ")
    }

    static func padded(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
