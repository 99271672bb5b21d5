import Foundation
import Testing
import DNBTestSupport

/// What a new user trips over at the command line and in the REPL (docs/cli.md, docs/language.md "Files and paths").
@Suite("sharp edges of the CLI", .enabled(if: CLIBinary.url != nil, CLIBinary.missingMessage))
struct SharpEdgesTests {
    static let tinyModel = """
        dataset load name=synthetic count=64 image_size=16
        model create sample_size=16 block_out_channels=[8, 16] down_block_types=[DownBlock2D, DownBlock2D] \
        up_block_types=[UpBlock2D, UpBlock2D] layers_per_block=1 norm_num_groups=4
        scheduler create type=ddim
        """

    /// `dnb notebook.dnb` runs it as `dnb run notebook.dnb` does.
    @Test func aNotebookAsTheFirstArgumentRunsIt() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("tiny.dnb", "# Tiny\n\n```dnb id=setup\nprint \"set up\"\n```\n\n```dnb\nprint \"done\"\n```\n")
        let result = try CLIBinary.run(["tiny.dnb"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("[1/2] setup (cell at tiny.dnb:3)") && result.stdout.contains("done"), "\(result)")
        #expect(FileManager.default.fileExists(atPath: dir.file("out/tiny/report.md")))
    }

    /// `dnb chek x.dnb` is a usage error that names the subcommand meant, with the rest of the line.
    @Test func aMistypedSubcommandGetsASuggestion() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let result = try CLIBinary.run(["chek", "x.dnb"], in: dir)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("unknown subcommand 'chek'; did you mean `dnb check x.dnb`?"), "\(result)")
    }

    /// Written relative paths go to the output folder; read ones are looked up there first, then in the
    /// working directory; a path found in neither names both full paths.
    @Test func relativePathsFollowOneRule() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let script = """
            \(Self.tinyModel)
            sample n=2 steps=1
            save tensor name=samples path=s.npy
            load tensor path=s.npy name=back
            save tensor name=samples path=\(dir.path)/in-cwd.npy
            load tensor path=in-cwd.npy name=fromcwd
            load tensor path=missing.npy
            """
        let result = try CLIBinary.run([], stdin: script + "\n", in: dir)
        #expect(result.stdout.contains("from \(dir.path)/out/repl/s.npy as 'back'"), "\(result)")
        #expect(result.stdout.contains("from \(dir.path)/in-cwd.npy as 'fromcwd'"), "\(result)")
        #expect(result.stderr.contains("no file or folder missing.npy: looked in the output directory (\(dir.path)/out/repl/missing.npy) and the working directory (\(dir.path)/missing.npy)"), "\(result)")
        #expect(result.status == 1, "only the missing file fails: \(result)")
    }

    /// Help is wrapped to COLUMNS (and to 80 columns when stdout is not a terminal); no word is split.
    @Test(arguments: [nil, 50] as [Int?])
    func helpWrapsToTheTerminalWidth(columns: Int?) throws {
        let dir = try TemporaryDirectory("dnb-cli")
        var environment: [String: String] = [:]
        if let columns { environment["COLUMNS"] = String(columns) }
        let result = try CLIBinary.run([], stdin: "help\nhelp train\nhelp save tensor\nhelp for\n", environment: environment, in: dir)
        #expect(result.status == 0, "\(result)")
        let width = columns ?? 80
        let long = result.stdout.split(separator: "\n").filter { $0.count > width && $0.contains(" ") }
        #expect(long.isEmpty, "lines over \(width) columns:\n\(long.joined(separator: "\n"))")
        // The text is all there: a sentence of train's help, rejoined across the wrap.
        let joined = result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        #expect(joined.contains("Ctrl-C stops after the current step and keeps everything"), "\(result)")
    }

    /// A `train` that ends exactly at an epoch boundary says only that the epoch finished.
    @Test func trainingThatEndsAtAnEpochBoundaryDoesNotSayStopped() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        // 64 images in batches of 32: two steps per epoch. The last `train` has nothing left to do
        // (it once said "stopped 1 batches into epoch 1" about the earlier run's steps).
        let script = "\(Self.tinyModel)\ntrain epochs=1 batch_size=32\ntrain epochs=0.5 batch_size=32\ntrain max_steps=3\n"
        let result = try CLIBinary.run([], stdin: script, in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Finished epoch 0. Average loss:"), "\(result)")
        let lines = result.stdout.split(separator: "\n").filter { $0.contains("stopped") }
        // The second train, half an epoch, does stop mid-epoch: one line, naming epoch 1.
        #expect(lines.count == 1 && lines[0].hasPrefix("stopped 1 batches into epoch 1."), "\(result)")
        #expect(result.stdout.contains("already at step 3, max_steps 3: nothing to train"), "\(result)")
    }
}
