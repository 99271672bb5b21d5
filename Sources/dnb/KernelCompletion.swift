import DNBLanguage
import Foundation

/// Completion and help at a cursor in a Jupyter cell. The protocol counts the cursor in Unicode code
/// points over the whole cell; the language's completer works on one line in characters. The line under
/// the cursor is given to it, and its answer is turned back into code points.
struct KernelCompletion {
    /// The cursor's line, up to the cursor, as characters.
    let line: String
    /// Where that line starts in the cell, in code points.
    let lineStart: Int
    /// The whole line the cursor is on (for help, which looks past the cursor).
    let fullLine: String

    init(code: String, cursor: Int) {
        let scalars = Array(code.unicodeScalars)
        let cursor = min(max(0, cursor), scalars.count)
        var start = cursor
        while start > 0, scalars[start - 1] != "\n" { start -= 1 }
        var end = cursor
        while end < scalars.count, scalars[end] != "\n" { end += 1 }
        func text(_ range: Range<Int>) -> String {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
        line = text(start..<cursor)
        fullLine = text(start..<end)
        lineStart = start
    }

    /// The REPL's completions (commands, verbs, `name=`, values, `$variables`, and file names where a path
    /// goes), replacing from `start` to `end`.
    func matches(_ interpreter: Interpreter) -> (matches: [String], start: Int, end: Int) {
        var completion = interpreter.completions(line: line, cursor: line.count)
        if completion.wantsFilePaths {
            let characters = Array(line)
            let start = completion.replacementStart
            let insideString = start > 0 && start <= characters.count && characters[start - 1] == "\""
            completion.candidates += FileNameCompletion.candidates(for: completion.partial, insideString: insideString).map(\.text)
        }
        let replaced = String(line.prefix(completion.replacementStart)).unicodeScalars.count
        let end = lineStart + line.unicodeScalars.count
        return (completion.candidates, lineStart + replaced, end)
    }

    /// `help train` or `help model create` for the statement under the cursor (a leading `time`,
    /// `timeit` or `?` and a trailing `?` aside), or for the word under the cursor when that is a command
    /// or keyword; nil when there is nothing to explain.
    func helpRequest(_ registry: CommandRegistry) -> String? {
        let known = Set(registry.commandNames + Parser.keywords)
        var words = fullLine.split { " \t?;".contains($0) }.map(String.init)
        while let first = words.first, first == "time" || first == "timeit" { words.removeFirst() }
        guard let name = words.first.map({ String($0.prefix { $0.isLetter || $0.isNumber || $0 == "_" }) }) else { return nil }
        if known.contains(name) {
            if words.count > 1, let verb = registry.command(named: name)?.verbs.first(where: { $0.name == words[1] }) {
                return "help \(name) \(verb.name)"
            }
            return "help \(name)"
        }
        let word = String(line.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
            + String(fullLine.dropFirst(line.count).prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        return known.contains(word) ? "help \(word)" : nil
    }
}
