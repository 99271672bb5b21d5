import Foundation
import Testing
import DNBTestSupport
import DNBJupyter

/// dnb in Jupyter, checked with Jupyter's own clients (tools/check_jupyter.py in the test venv): the kernel
/// against jupyter_kernel_test, nbclient running a converted notebook, the protocol's sharp edges
/// (forged signatures, interrupt, restart, kill, orphaning), and nbformat validating every .ipynb dnb writes.
@Suite("Jupyter kernel", .serialized, .enabled(if: CLIBinary.url != nil, CLIBinary.missingMessage),
       .enabled(if: testPython != nil || testPythonRequired, "the test venv is missing: run `bash scripts/test-venv.sh`"))
struct JupyterKernelTests {
    /// A scratch folder with the kernelspec installed under `prefix/`, as `dnb kernel install --prefix` writes it.
    final class Setup {
        let dir: TemporaryDirectory
        var prefix: String { dir.file("prefix") }

        init() throws {
            dir = try TemporaryDirectory("dnb-jupyter")
            let install = try CLIBinary.run(["kernel", "install", "--prefix", dir.file("prefix")], in: dir)
            #expect(install.status == 0, "\(install)")
        }

        /// Runs one check of tools/check_jupyter.py; returns what it printed.
        func check(_ name: String, _ arguments: [String] = []) throws -> String {
            let script = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
            return try runTestPython(script, [repositoryRoot + "/tools/check_jupyter.py", dir.path, prefix, name] + arguments)
        }
    }

    static let smallNotebook = """
        # A small notebook

        ```dnb id=setup
        seed 3
        dataset load name=synthetic count=32 image_size=16
        model create sample_size=16 block_out_channels=[8, 16] down_block_types=[DownBlock2D, DownBlock2D] up_block_types=[UpBlock2D, UpBlock2D] layers_per_block=1 norm_num_groups=4
        scheduler create type=ddim
        ```

        Train a little, then sample.

        ```dnb id=train
        train max_steps=2 batch_size=16
        sample n=4 steps=3
        ```

        ```dnb id=typo allow-error
        trian epochs=1
        ```

        """

    @Test func kernelspecInstallsListsAndUninstalls() throws {
        let setup = try Setup()
        let folder = setup.prefix + "/share/jupyter/kernels/dnb"
        let spec = try JSON(parsing: try String(contentsOfFile: folder + "/kernel.json", encoding: .utf8))
        #expect(spec["argv"]?.array?.first?.string == CLIBinary.url?.resolvingSymlinksInPath().path, "kernel.json starts this very dnb")
        #expect(spec["language"]?.string == "dnb" && spec["interrupt_mode"]?.string == "message")
        for size in [32, 64] {
            let png = try Data(contentsOf: URL(fileURLWithPath: folder + "/logo-\(size)x\(size).png"))
            #expect(png.count > 24 && png[16..<24].elementsEqual([0, 0, 0, UInt8(size), 0, 0, 0, UInt8(size)]), "logo \(size)×\(size)")
        }
        let listed = try runTestPython("""
            import os, sys
            os.environ["JUPYTER_PATH"] = sys.argv[1]
            from jupyter_client.kernelspec import KernelSpecManager
            print(KernelSpecManager().find_kernel_specs().get("dnb", ""))
            """, [setup.prefix + "/share/jupyter"])
        #expect(listed.trimmingCharacters(in: .whitespacesAndNewlines) == folder, "jupyter finds the kernelspec: \(listed)")

        let removed = try CLIBinary.run(["kernel", "uninstall", "--prefix", setup.prefix], in: setup.dir)
        #expect(removed.status == 0 && !FileManager.default.fileExists(atPath: folder), "\(removed)")
        // Another kernel's kernelspec of the same name is neither replaced nor removed.
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try #"{"argv": ["python3"], "display_name": "other", "language": "python"}"#.write(toFile: folder + "/kernel.json", atomically: true, encoding: .utf8)
        for arguments in [["kernel", "install", "--prefix", setup.prefix], ["kernel", "uninstall", "--prefix", setup.prefix]] {
            let refused = try CLIBinary.run(arguments, in: setup.dir)
            #expect(refused.status == 64 && refused.stderr.contains("belongs to another kernel"), "\(arguments): \(refused)")
        }
        #expect(try String(contentsOfFile: folder + "/kernel.json", encoding: .utf8).contains("python3"))
    }

    @Test func passesJupyterKernelTest() throws {
        let output = try Setup().check("kernel-tests")
        #expect(output.contains("ok: 12 tests, 2 skipped"), "\(output)")
    }

    @Test func nbclientRunsAConvertedNotebook() throws {
        let setup = try Setup()
        try setup.dir.write("small.dnb", Self.smallNotebook)
        let converted = try CLIBinary.run(["convert", "small.dnb", "--to", "ipynb"], in: setup.dir)
        #expect(converted.status == 0, "\(converted)")
        let output = try setup.check("nbclient", [setup.dir.file("small.ipynb")])
        #expect(output.contains("image figures/samples.png"), "\(output)")
        #expect(output.contains("execution counts: [1, 2, 3]"), "\(output)")
        #expect(output.contains(#""In[3]:1:1: unknown command 'trian'; did you mean 'train'?", "trian epochs=1", "^""#), "\(output)")
        // `dnb run --to ipynb` writes what the kernel sent.
        let run = try CLIBinary.run(["run", "small.dnb", "--to", "ipynb"], in: setup.dir)
        #expect(run.status == 0, "\(run)")
        let same = try setup.check("same-outputs", [setup.dir.file("executed.ipynb"), setup.dir.file("out/small/small.ipynb")])
        #expect(same.contains("ok: the same outputs in 3 code cells"), "\(same)")
    }

    @Test func forgedMessagesAreRejected() throws {
        let output = try Setup().check("tampered")
        #expect(output.contains("ok: forged execute_request ignored"), "\(output)")
    }

    @Test func interruptStopsTrainingAndKeepsTheModel() throws {
        let setup = try Setup()
        for how in ["message", "signal"] {
            let output = try setup.check("interrupt-\(how)")
            #expect(output.contains("ok (\(how))") && output.contains("KeyboardInterrupt"), "\(output)")
        }
    }

    @Test func restartGivesAnEmptyWorkspaceAndKilledKernelsAreGone() throws {
        let setup = try Setup()
        #expect(try setup.check("restart").contains("ok: after restart: unknown variable '$kept'"))
        #expect(try setup.check("killed").contains("no process left"))
        #expect(try setup.check("orphaned").contains("ended by itself"))
    }

    @Test func everyNotebookDnbWritesIsValidNbformat() throws {
        let setup = try Setup()
        var written: [String] = []
        for name in ["quickstart", "mnist-diffusion"] {
            let target = setup.dir.file(name + ".ipynb")
            let converted = try CLIBinary.run(["convert", repositoryRoot + "/notebooks/\(name).dnb", "--to", "ipynb", "-o", target], in: setup.dir)
            #expect(converted.status == 0, "\(converted)")
            written.append(target)
        }
        try setup.dir.write("small.dnb", Self.smallNotebook)
        let run = try CLIBinary.run(["run", "small.dnb", "--to", "ipynb"], in: setup.dir)
        #expect(run.status == 0 && run.stdout.contains("executed notebook: out/small/small.ipynb"), "\(run)")
        written.append(setup.dir.file("out/small/small.ipynb"))
        let output = try setup.check("validate", written)
        #expect(output.components(separatedBy: "valid: ").count == written.count + 1, "\(output)")
    }
}
