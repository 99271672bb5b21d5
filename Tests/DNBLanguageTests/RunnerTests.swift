import Foundation
import Testing
@testable import DNBLanguage
import DNBTestSupport

@Suite struct RunnerTests {
    let world = FakeWorld()
    let directory: TemporaryDirectory
    let runner: Runner

    init() throws {
        directory = try TemporaryDirectory()
        runner = Runner(registry: makeRegistry(world))
    }

    private func options(_ configure: (inout RunOptions) -> Void = { _ in }) -> RunOptions {
        var options = RunOptions(outputDirectory: directory.path + "/out")
        options.timeSource = SteppingClock(step: 0.25).source
        options.date = Date(timeIntervalSince1970: 1_700_000_000)
        options.interrupt = Interrupt()
        configure(&options)
        return options
    }

    static let tiny = """
        # Tiny run

        Some *prose* before the code.

        ```dnb id=setup
        param epochs: int = 1 "Training epochs"
        param lr: float = 0.01
        model create
        ```

        Train it:

        ```dnb id=train
        train epochs=$epochs lr=$lr
        plot loss caption="Loss curve"
        table
        ```

        ```dnb skip
        train epochs=100
        ```

        ```dnb echo=false
        print "hidden code, {epochs} epochs"
        ```

        The end.
        """

    @Test func writesTheGoldenReport() throws {
        let notebook = try Notebook(parsing: RunnerTests.tiny, file: "tiny.dnb")
        let result = runner.run(notebook, options: options {
            $0.overrides = ["epochs=2"]
            $0.environment = [("swift", "6.3.1"), ("cpu", "test cpu")]
            // The log of every seed so far: the report lists those that appeared while a cell ran.
            $0.seeds = { [("tiny.dnb:7", "0")] + (self.world.trainedEpochs.isEmpty ? [] : [("tiny.dnb:14", "1")]) }
        })
        #expect(result.status == .success)
        #expect(result.reportPath == directory.path + "/out/report.md")
        #expect(world.trainedEpochs == [2])
        let report = try directory.read("out/report.md")
        #expect(report == RunnerTests.golden)
        #expect(directory.contents == ["out"])
    }

    static let failing = """
        # Failing run

        ```dnb
        print first
        ```

        ```dnb id=boom
        print second
        fail message="disk full"
        print never
        ```

        Prose after the failure.

        ```dnb
        print third
        ```
        """

    @Test func aFailingCellStopsTheRunAndLeavesAPartialReport() throws {
        let notebook = try Notebook(parsing: RunnerTests.failing, file: "nb.dnb")
        let result = runner.run(notebook, options: options())
        #expect(result.status == .cellFailed)
        #expect(result.status.rawValue == 1)
        let stop = try #require(result.stop)
        #expect(stop.cell.number == 2 && !stop.interrupted)
        #expect(stop.error.summary == "nb.dnb:9:1: disk full")
        #expect(result.cells.map(\.status) == [.completed, .completed, .failed])
        let report = try directory.read("out/report.md")
        #expect(report.contains("- **Status:** stopped at cell 2 (boom); 2 code cells run in "))
        #expect(report.contains("\n> **Run stopped at cell 2 (boom) (nb.dnb:7)**: nb.dnb:9:1: disk full\n"))
        #expect(report.contains("```output\nsecond\n```\n\n> **Run stopped here**: nb.dnb:9:1: disk full\n\n```text\nnb.dnb:9:1: disk full\nfail message=\"disk full\"\n^\n```"))
        #expect(report.contains("<sub>cell 2 (boom) · failed after 250 ms</sub>"))
        #expect(!report.contains("```output\nnever"))
        #expect(!report.contains("third"))
        #expect(!report.contains("Prose after the failure."))
        #expect(report.hasSuffix("*The remaining 1 code cell was not run.*\n"))
        // No temporaries left: only the report and the run's lock file (docs/cli.md).
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/out").sorted() == ["report.md"])
    }

    @Test func keepGoingRunsEveryCellAndStillFails() throws {
        let notebook = try Notebook(parsing: RunnerTests.failing + "\n```dnb\nfail\n```\n", file: "nb.dnb")
        let result = runner.run(notebook, options: options { $0.keepGoing = true })
        #expect(result.status == .cellFailed)
        #expect(result.stop == nil)
        #expect(result.cells.filter(\.cell.isCode).map(\.status) == [.completed, .failed, .completed, .failed])
        let report = try directory.read("out/report.md")
        #expect(report.contains("> **Run finished with errors in 2 cells**: cell 2 (boom) (nb.dnb:7), cell 4 (nb.dnb:18)"))
        #expect(report.contains("```output\nthird\n```"))
        #expect(report.contains("- **Status:** finished with 2 failed cells; 4 code cells run in "))
    }

    @Test func allowErrorCellsFailWithoutFailingTheRun() throws {
        let notebook = try Notebook(parsing: "```dnb allow-error\nfail\n```\n```dnb\nprint after\n```", file: "nb.dnb")
        let result = runner.run(notebook, options: options())
        #expect(result.status == .success)
        let report = try directory.read("out/report.md")
        #expect(report.contains("> **Error (allowed by allow-error)**: nb.dnb:2:1: boom"))
        #expect(report.contains("```output\nafter\n```"))
        #expect(report.contains("- **Status:** completed; 2 code cells run in 1.25 s (1 allowed error)\n"))
    }

    @Test func interruptionStopsWithExitCode130() throws {
        world.interruptOnTick = 3
        let notebook = try Notebook(parsing: "```dnb\nfor i in 1..100 {\n  tick\n}\n```\n```dnb\nprint later\n```", file: "nb.dnb")
        let result = runner.run(notebook, options: options { $0.keepGoing = true })
        #expect(result.status == .interrupted)
        #expect(result.status.rawValue == 130)
        #expect(world.ticks == 3)
        #expect(result.stop?.interrupted == true)
        let report = try directory.read("out/report.md")
        #expect(report.contains("> **Run interrupted at cell 1 (nb.dnb:1)**: nb.dnb:2:1: interrupted"))
        #expect(report.contains("```output\ntick 1\ntick 2\ntick 3\n```"))
        #expect(!report.contains("later\n```"))
    }

    @Test func overridesMustNameDeclaredParametersWithTheRightType() throws {
        let notebook = try Notebook(parsing: "```dnb\nparam epochs: int = 1\nprint $epochs\n```", file: "nb.dnb")
        let unknown = runner.run(notebook, options: options { $0.overrides = ["epoch=3"] })
        #expect(unknown.status == .usage)
        #expect(unknown.status.rawValue == 64)
        #expect(unknown.messages == ["--set epoch=3: the notebook declares no parameter 'epoch'; did you mean 'epochs'?"])
        let badType = runner.run(notebook, options: options { $0.overrides = ["epochs=1.5"] })
        #expect(badType.status == .usage)
        #expect(badType.messages == ["--set epochs=1.5: parameter 'epochs' expects int, got float 1.5"])
        let lrNotebook = try Notebook(parsing: "```dnb\nparam lr: float = 1e-3\nparam sizes: list[float] = [1]\nprint $lr\n```", file: "nb.dnb")
        let infinite = runner.run(lrNotebook, options: options { $0.overrides = ["lr=1e999"] })
        #expect(infinite.status == .usage)
        #expect(infinite.messages == ["--set lr=1e999: '1e999' is not a finite number"])
        let infiniteElement = runner.run(lrNotebook, options: options { $0.overrides = ["sizes=[1, -1e999]"] })
        #expect(infiniteElement.messages == ["--set sizes=[1, -1e999]: '[1, -1e999]' is not a finite number"])
        let malformed = runner.run(notebook, options: options { $0.overrides = ["epochs"] })
        #expect(malformed.messages == ["--set expects name=value, got 'epochs'"])
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/out"))

        let good = runner.run(notebook, options: options { $0.overrides = ["epochs=1", "epochs=4"] })
        #expect(good.status == .success)
        #expect(good.parameters.map(\.value) == [4])
        #expect(good.cells.last?.outputs == [.text("4\n")])
    }

    @Test func outputIsStreamedAsItHappens() throws {
        let notebook = try Notebook(parsing: "```dnb id=a\nprint one\nprint two\n```", file: "nb.dnb")
        var events: [String] = []
        _ = runner.run(notebook, options: options {
            $0.onCellStart = { events.append("start \($0.label)") }
            $0.onOutput = { cell, item in events.append("\(cell.number): \(item)") }
        })
        #expect(events == ["start cell 1 (a)", "1: text(\"one\\n\")", "1: text(\"two\\n\")"])
    }

    @Test func readsNotebooksFromFiles() throws {
        let path = directory.path + "/nb.dnb"
        try "```dnb\nprint from file\n```\n".write(toFile: path, atomically: false, encoding: .utf8)
        let result = runner.run(file: path, options: options())
        #expect(result.status == .success)
        #expect(try directory.read("out/report.md").contains("- **Notebook:** `\(path)`"))
        let missing = runner.run(file: directory.path + "/missing.dnb", options: options())
        #expect(missing.status == .usage)
        #expect(missing.messages.first?.hasPrefix("cannot read \(directory.path)/missing.dnb") == true)
        try "```dnb\nprint\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(runner.run(file: path, options: options()).status == .invalidInput)
    }

    static let golden = #"""
        # Tiny run

        - **Notebook:** `tiny.dnb`
        - **Date:** 2023-11-14 22:13:20 UTC
        - **Status:** completed; 3 code cells run in 1.75 s

        ## Environment

        ```text
        swift: 6.3.1
        cpu: test cpu
        ```

        ## Parameters

        | name | type | value | source | help |
        | --- | --- | --- | --- | --- |
        | epochs | int | `2` | --set | Training epochs |
        | lr | float | `0.01` | default |  |

        ## Seeds

        ```text
        tiny.dnb:14: seed 1
        ```

        ---

        Some *prose* before the code.

        ```text
        param epochs: int = 1 "Training epochs"
        param lr: float = 0.01
        model create
        ```

        ```output
        model with channels [32, 64]
        ```

        <sub>cell 1 (setup) · 250 ms</sub>

        Train it:

        ```text
        train epochs=$epochs lr=$lr
        plot loss caption="Loss curve"
        table
        ```

        ```output
        trained 2 epochs at lr 0.01
        ```

        ![Loss curve](figures/loss.png)

        *Loss curve*

        | step | loss |
        | --- | --- |
        | 1 | 0.5 |
        | 2 | 0.25 \| ok |

        *Loss*

        <sub>cell 2 (train) · 250 ms</sub>

        ```text
        train epochs=100
        ```

        <sub>cell 3 · skipped</sub>

        ```output
        hidden code, 2 epochs
        ```

        <sub>cell 4 · 250 ms</sub>

        The end.

        """#
}
