import Foundation
import Testing
@testable import DNBLanguage
import DNBTestSupport

@Suite struct CheckTests {
    let runner = Runner(registry: makeRegistry(FakeWorld()))

    @Test func findsEveryProblemWithoutRunning() throws {
        let notebook = try Notebook(parsing: """
            # Checked

            ```dnb
            param epochs: int = 1
            model create channels=[32, big]
            train epoch=$epochs
            ```

            ```dnb
            trian 1
            for i in 1..3 {
              plot name=$j
            }
            print $i
            let epochs = 2
            ```

            ```dnb
            print (1,
            ```

            ```dnb allow-error
            nonsense here
            ```

            ```dnb skip
            also nonsense
            ```
            """, file: "nb.dnb")
        let problems = runner.check(notebook).map(\.summary)
        #expect(problems == [
            "nb.dnb:5:14: argument 'channels' expects list[int], got list [32, big]",
            "nb.dnb:6:7: unknown argument 'epoch' for 'train'; did you mean 'epochs'?",
            "nb.dnb:6:1: missing required argument 'epochs' for 'train' (epochs=<int>)",
            "nb.dnb:10:1: unknown command 'trian'; did you mean 'train'?",
            "nb.dnb:12:13: unknown variable '$j'; did you mean '$i'?",
            "nb.dnb:14:7: unknown variable '$i'; define it with `let i = …` first",
            "nb.dnb:15:1: 'epochs' is a parameter; change it from outside with --set epochs=… instead of let",
            "nb.dnb:19:7: '(' is never closed; expected ')'",
        ])
    }

    @Test func aCleanNotebookHasNoProblems() throws {
        let notebook = try Notebook(parsing: """
            ```dnb
            param epochs: int = 1
            model create blocks=[DownBlock2D, AttnDownBlock2D]
            for e in 1..$epochs { train $e lr=1 }
            time train epochs=$epochs
            help train
            ```
            """)
        #expect(runner.check(notebook).isEmpty)
    }

    @Test func checksFiles() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/nb.dnb"
        try "```dnb\nprint ok\n```\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(runner.check(file: path).status == .success)
        try "```dnb\ntrain\nvars 1\n```\n".write(toFile: path, atomically: false, encoding: .utf8)
        let failed = runner.check(file: path)
        #expect(failed.status == .invalidInput)
        #expect(failed.problems.map { $0.split(separator: "\n")[0] } == [
            "\(path):2:1: missing required argument 'epochs' for 'train' (epochs=<int>)",
            "\(path):3:6: 'vars' takes no arguments",
        ])
        #expect(runner.check(file: path + ".missing").status == .usage)
    }

    @Test func runRefusesANotebookThatFailsCheck() throws {
        let notebook = try Notebook(parsing: "```dnb\nprint ok\ntrian\n```", file: "nb.dnb")
        let result = runner.run(notebook, options: RunOptions(outputDirectory: "/nonexistent/never-created"))
        #expect(result.status == .invalidInput)
        #expect(result.status.rawValue == 65)
        #expect(result.messages == ["nb.dnb:3:1: unknown command 'trian'; did you mean 'train'?\ntrian\n^"])
        #expect(result.reportPath == nil)
    }
}
