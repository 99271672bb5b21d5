import CReadline
import DNBLanguage
#if canImport(Glibc)
import Glibc
#endif

/// Tab completion for readline, answered by `Interpreter.completions`:
/// commands, verbs, `arg=` names, allowed values and `$variables`, plus
/// quoted file names when the completer asks for file paths.
enum ReadlineCompletion {
    /// Readline calls back through C function pointers that cannot capture;
    /// the REPL runs on one thread, which owns these.
    nonisolated(unsafe) private static var interpreter: Interpreter?
    nonisolated(unsafe) private static var candidates: [String] = []
    nonisolated(unsafe) private static var next = 0

    /// Characters that end the word readline replaces. They match where the
    /// language's completer starts a word: after spaces, brackets, commas,
    /// `=` and quotes; `$`, `.`, `/` and `~` stay in the word.
    private static let wordBreaks = " \t\n\"'[](),;{}="

    static func install(for interpreter: Interpreter) {
        self.interpreter = interpreter
        // Readline keeps the pointer: a copy that lives as long as the process.
        dnb_rl_set_word_break(strdup(wordBreaks))
        dnb_rl_set_completer(attemptCompletion)
    }

    fileprivate static func attempt(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        // Never fall back to readline's own file names: they would come out unquoted.
        dnb_rl_set_attempted_over(1)
        guard let interpreter, let buffer = dnb_rl_line_buffer() else { return nil }
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: strlen(buffer))
        let point = min(Int(dnb_rl_point()), bytes.count)
        let line = Array(String(decoding: bytes, as: UTF8.self))
        let cursor = String(decoding: bytes[..<point], as: UTF8.self).count
        let wordStart = String(decoding: bytes[..<min(Int(start), point)], as: UTF8.self).count

        var completion = interpreter.completions(line: String(line), cursor: cursor)
        var finishedFile = false
        if completion.wantsFilePaths {
            let start = completion.replacementStart
            let insideString = start > 0 && start <= line.count && line[start - 1] == "\""
            let files = FileNameCompletion.candidates(for: completion.partial, insideString: insideString)
            completion.candidates += files.map(\.text)
            finishedFile = files.count == 1 && files[0].isComplete
            if files.count == 1 && !files[0].isComplete && completion.candidates.count == 1 { dnb_rl_set_completion_append(0) }
        }
        candidates = aligned(completion, toWordAt: wordStart, in: line)
        guard !candidates.isEmpty else { return nil }
        // `epochs=` is followed by its value, not a space; so is an element inside a list.
        if !finishedFile && (candidates.allSatisfy({ $0.hasSuffix("=") }) || isListElement(at: wordStart, in: line)) {
            dnb_rl_set_completion_append(0)
        }
        next = 0
        return rl_completion_matches(text, generateMatch)
    }

    /// True when the word starts right after `[`, `(` or `,` (spaces aside).
    static func isListElement(at wordStart: Int, in line: [Character]) -> Bool {
        var index = min(wordStart, line.count) - 1
        while index >= 0, line[index] == " " { index -= 1 }
        return index >= 0 && "[(,".contains(line[index])
    }

    /// The completer's candidates replace text from `completion.replacementStart`;
    /// readline replaces its own word. Shift the candidates to readline's word.
    static func aligned(_ completion: Completion, toWordAt wordStart: Int, in line: [Character]) -> [String] {
        let start = completion.replacementStart
        if wordStart == start { return completion.candidates }
        if wordStart < start {
            let prefix = String(line[wordStart..<min(start, line.count)])
            return completion.candidates.map { prefix + $0 }
        }
        let dropped = String(line[start..<min(wordStart, line.count)])
        return completion.candidates.filter { $0.hasPrefix(dropped) }.map { String($0.dropFirst(dropped.count)) }
    }

    fileprivate static func generate(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
        guard next < candidates.count else { return nil }
        defer { next += 1 }
        return strdup(candidates[next])
    }
}

private let attemptCompletion: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = {
    ReadlineCompletion.attempt($0, $1, $2)
}

private let generateMatch: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = {
    ReadlineCompletion.generate($0, $1)
}
