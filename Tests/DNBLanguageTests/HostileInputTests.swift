import Foundation
import Testing
import DNBSupport
import DNBTestSupport
@testable import DNBLanguage

/// Input that once crashed dnb or lost work must end in a located error instead
/// (docs/language.md: "Limits"; docs/cli.md for the runner's output folder).
@Suite struct HostileInputTests {
    let runner = Runner(registry: makeRegistry(FakeWorld()))

    private func parseError(_ text: String) throws -> ParseError {
        try #require(throws: ParseError.self) { try Parser.parse(text, file: "nb.dnb") }
    }

    /// 10,000 nested `for` and 100,000 `[` overflowed the stack (SIGSEGV) before the limit.
    @Test func deepNestingIsALocatedErrorNotAStackOverflow() throws {
        let loops = String(repeating: "for i in 1..1 {\n", count: 10_000) + "print 1\n" + String(repeating: "}\n", count: 10_000)
        let tooDeepLoops = try parseError(loops)
        // The 101st `{` ends line 101 ("for i in 1..1 {" has it at column 15).
        #expect(tooDeepLoops.location == SourceLocation(file: "nb.dnb", line: 101, column: 15))
        #expect(tooDeepLoops.message.contains("nests deeper than \(Parser.maximumNesting) levels"))

        let lists = try parseError("print " + String(repeating: "[", count: 100_000))
        #expect(lists.location == SourceLocation(file: "nb.dnb", line: 1, column: 7 + Parser.maximumNesting))
        // The caret line shows a window around the caret, not 100,000 brackets.
        #expect(lists.description.split(separator: "\n").allSatisfy { $0.count < 400 })

        // Blocks and lists count together; exactly the limit still parses.
        let half = Parser.maximumNesting / 2
        let deepest = String(repeating: "for i in 1..1 {\n", count: half) + "print " + String(repeating: "[", count: half)
            + "1" + String(repeating: "]", count: half) + "\n" + String(repeating: "}\n", count: half)
        _ = try Parser.parse(deepest)
        let oneMore = deepest.replacingOccurrences(of: "print [", with: "print [[").replacingOccurrences(of: "1]", with: "1]]")
        #expect(try parseError(oneMore).message.contains("nests deeper"))
        // The REPL stops waiting for more lines once the nesting is already too deep.
        #expect(Parser.needsMoreInput(String(repeating: "for i in 1..1 {\n", count: half)))
        #expect(!Parser.needsMoreInput(String(repeating: "for i in 1..1 {\n", count: Parser.maximumNesting + 1)))
    }

    /// `for i in 1..9223372036854775807` aborted `dnb check` with "failed to allocate".
    @Test func hugeLiteralRangesAreRefusedWithTheirLength() throws {
        let error = try parseError("for i in 1..9223372036854775807 {\n  print $i\n}")
        #expect(error.location == SourceLocation(file: "nb.dnb", line: 1, column: 10))
        #expect(error.message == "range 1..9223372036854775807 has 9223372036854775807 values; at most 10000000 are allowed")
        // The whole Int range: its length does not fit an Int, and must not trap computing it.
        let widest = try parseError("let x = -9223372036854775807..9223372036854775807")
        #expect(widest.message.contains("has 18446744073709551615 values"))
        // Exactly at the limit is fine to parse (and to loop over, lazily).
        _ = try Parser.parse("for i in 1..10000000 { print $i }")
        let notebook = try Notebook(parsing: "```dnb\nfor i in 1..9223372036854775807 { print $i }\n```\n", file: "nb.dnb")
        #expect(runner.check(notebook).map(\.summary) == ["nb.dnb:2:10: " + error.message])
    }

    @Test func rangesFromVariablesAreCheckedWhenEvaluated() throws {
        let world = FakeWorld()
        let interpreter = Interpreter(registry: makeRegistry(world), interrupt: Interrupt())
        let output = Output()
        let error = try #require(throws: RuntimeError.self) {
            try interpreter.run("let n = 9223372036854775807\nfor i in 0..$n { print $i }", file: "t.dnb", output: output)
        }
        #expect(error.diagnostic.summary == "t.dnb:2:10: range 0..9223372036854775807 has 9223372036854775808 values; at most 10000000 are allowed")
        // A loop at the limit is walked element by element and stops at an interruption.
        world.interruptOnTick = 3
        let stopped = try #require(throws: RuntimeError.self) { try interpreter.run("for i in 1..10000000 { tick }", output: output) }
        #expect(stopped.isInterruption && world.ticks == 3)
        let small = Interpreter(registry: makeRegistry(FakeWorld()), interrupt: Interrupt())
        try small.run("let few = 3..5\nprint $few\nfor i in 2..1 { print never }", output: output)
        #expect(text(output).hasSuffix("[3, 4, 5]\n"))
    }

    @Test func aParameterRedeclaredWithAnotherTypeNamesBothPlaces() throws {
        let notebook = try Notebook(parsing: """
            ```dnb
            param epochs: int = 1
            ```

            ```dnb
            param epochs: float = 2.0
            param epochs: int = 3
            ```
            """, file: "nb.dnb")
        // Same type again (re-running a cell) stays allowed; another type is an error at the second place.
        #expect(runner.check(notebook).map(\.summary) == [
            "nb.dnb:6:1: parameter 'epochs' is declared as float here but as int at nb.dnb:2:1; a parameter keeps its first type (rename one of them)",
        ])
        let interpreter = Interpreter(registry: makeRegistry(FakeWorld()), interrupt: Interrupt())
        try interpreter.run("param lr: float = 0.1", file: "a.dnb", output: Output())
        try interpreter.run("param lr: float = 0.2", file: "a.dnb", output: Output())
        let error = try #require(throws: RuntimeError.self) {
            try interpreter.run("\nparam lr: string = fast", file: "b.dnb", output: Output())
        }
        #expect(error.diagnostic.summary.hasPrefix("b.dnb:2:1: parameter 'lr' is declared as string here but as float at a.dnb:1:1"))
        #expect(interpreter.variable("lr") == 0.2)
    }

    @Test func tildeIsTheHomeFolderInPathValues() throws {
        let home = try #require(ProcessInfo.processInfo.environment["HOME"]).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        #expect(ValueType.path.coerce("~/data") == .string("/" + home + "/data"))
        #expect(ValueType.path.coerce("~") == .string("/" + home))
        // Only `~` and `~/…`: other users' homes, strings and tildes inside paths are left alone.
        #expect(ValueType.path.coerce("~alice/x") == "~alice/x")
        #expect(ValueType.path.coerce("a/~/b") == "a/~/b")
        #expect(ValueType.string.coerce("~/data") == "~/data")
        #expect(ValueType.list(.path).coerce(["~/a"]) == .list([.string("/" + home + "/a")]))
    }

    @Test func theOutputFolderIsClaimedBeforeAnyCellRuns() throws {
        let directory = try TemporaryDirectory()
        let notebook = try Notebook(parsing: "```dnb\nprint ran\n```\n", file: "nb.dnb")
        func run(_ out: String) -> RunResult { runner.run(notebook, options: RunOptions(outputDirectory: out)) }

        // An empty path once wrote /report.md; a file where the folder should be was found only at the end.
        let empty = run("")
        #expect(empty.status == .usage && empty.cells.isEmpty)
        #expect(empty.messages == ["the output folder is an empty path; give a folder, e.g. --out out/run"])
        try directory.write("taken", "a file")
        let file = run(directory.file("taken"))
        #expect(file.status == .usage && file.cells.isEmpty)
        #expect(file.messages.first?.contains("a file of that name exists") == true)

        // A second writer is refused while the first holds the folder, and may go once it is released.
        let out = directory.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let holder = try Runner.claimOutputDirectory(out)
        let refused = run(out)
        #expect(refused.status == .usage && refused.cells.isEmpty)
        #expect(refused.messages.first?.contains("in use by another dnb process") == true)
        #expect(!FileManager.default.fileExists(atPath: out + "/report.md"))
        holder.release()
        #expect(run(out).status == .success)
    }

    @Test func foundationFileErrorsNameTheFileAndTheCause() {
        let full = CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: "/data/out/model.json"])
        #expect(describeError(full) == "cannot write /data/out/model.json: No space left on device")
        let posix = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue, userInfo: [
            NSFilePathErrorKey: "/x/y", NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EFBIG)),
        ])
        #expect(describeError(posix) == "cannot write /x/y: File too large")
        #expect(describeError(Failure(description: "plain")) == "plain")
        // A real one, as a command's Foundation call throws it: "\(error)" would print the raw domain and code.
        let directory = try? TemporaryDirectory()
        let target = (directory?.path ?? "/tmp") + "/missing-folder/model.json"
        do {
            try Data([1]).write(to: URL(fileURLWithPath: target))
            Issue.record("writing into a missing folder succeeded")
        } catch {
            // Foundation does not say whether it was reading or writing (CocoaError.fileNoSuchFile).
            #expect(describeError(error) == "cannot access \(target): No such file or directory", "\(error)")
        }
    }

    @Test func unreadableNotebooksSayWhy() throws {
        let directory = try TemporaryDirectory()
        let missing = try #require(throws: FileError.self) { try Runner.load(directory.file("missing.dnb")) }
        #expect(missing.message == "cannot read \(directory.file("missing.dnb")): No such file or directory")
        let folder = try #require(throws: FileError.self) { try Runner.load(directory.path) }
        #expect(folder.message == "cannot read \(directory.path): Is a directory")
    }
}
