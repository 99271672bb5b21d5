import Foundation
import Testing
import DNBTestSupport
import DNBJupyter

/// `.dnb` ↔ `.ipynb`: the round trip gives back the very same file, and a notebook made in Jupyter
/// becomes a `.dnb` file that reads as the same cells, or a clear error.
@Suite("notebook conversion")
struct NotebookConversionTests {
    static func roundTrip(_ text: String) throws -> String {
        try IPynbToDNB.convert(try JSON(parsing: try DNBToIPynb(version: "test").convert(text).pretty))
    }

    @Test func roundTripIsTheIdentityOnTheRepositoryNotebooks() throws {
        for name in ["quickstart", "mnist-diffusion"] {
            let text = try String(contentsOfFile: repositoryRoot + "/notebooks/\(name).dnb", encoding: .utf8)
            #expect(try Self.roundTrip(text) == text, "notebooks/\(name).dnb")
        }
    }

    /// Layouts Markdown cells cannot carry by themselves: each must survive the round trip byte for byte.
    @Test(arguments: [
        "# T\n\n```dnb\nprint 1\n```\n",
        "# T\n```dnb\nprint 1\n```",                                    // no blank line, no final newline
        "```dnb id=a\nprint 1\n```\n```dnb id=b\nprint 2\n```\n",       // adjacent code cells
        "```dnb\nprint 1\n```\n\n\n\n```dnb\nprint 2\n```\n\n\n",       // several blank lines, some at the end
        "Prose\n  \n\t\n```dnb\nprint 1\n```\n",                        // whitespace-only lines
        "  ```dnb echo=false   id=x\nprint 1\n  `````\n",               // indented fence, options in another order, long close
        "````dnb\nprint \"```\"\n```\n````\n",                          // a fence line inside the code
        "```dnb skip\n```\n",                                            // empty code, bare option
        "```dnb\n\n```\n",                                                // one blank line of code
        "",                                                               // empty file
        "\n\nOnly prose, no code.\n\n",
        "```python\n```dnb\nnot a cell\n```\n```dnb\nprint 1\n```\n",   // a fence of another language hides a dnb fence
    ])
    func layoutSurvivesTheRoundTrip(_ text: String) throws {
        #expect(try Self.roundTrip(text) == text)
    }

    @Test func cellOptionsAndIdsAreInTheMetadata() throws {
        let json = try DNBToIPynb(version: "9.9").convert("# T\n\n```dnb id=train echo=false allow-error\ntrain\n```\n\n```dnb id=train-2 skip\nprint 2\n```\n")
        let cells = try #require(json["cells"]?.array)
        #expect(cells.count == 3)
        #expect(cells[1]["id"]?.string == "train" && cells[2]["id"]?.string == "train-2")
        #expect(cells[1]["metadata"]?["dnb"] == ["id": "train", "echo": false, "allow-error": true, "fence": "```dnb id=train echo=false allow-error"])
        #expect(cells[2]["metadata"]?["dnb"] == ["id": "train-2", "skip": true, "fence": "```dnb id=train-2 skip"])
        #expect(json["metadata"]?["kernelspec"]?["name"]?.string == "dnb")
        #expect(json["nbformat"] == 4 && json["nbformat_minor"] == 5)
    }

    @Test func optionsEditedInJupyterWinOverTheKeptFence() throws {
        var json = try DNBToIPynb(version: "t").convert("```dnb id=a skip\nprint 1\n```\n")
        guard case .object(var notebook) = json, var cells = notebook["cells"]?.array, case .object(var cell) = cells[0] else {
            Issue.record("unexpected shape")
            return
        }
        cell["metadata"] = ["dnb": ["id": "a", "fence": "```dnb id=a skip"]]  // skip removed in Jupyter's metadata editor
        cells[0] = .object(cell)
        notebook["cells"] = .array(cells)
        json = .object(notebook)
        #expect(try IPynbToDNB.convert(json) == "```dnb id=a\nprint 1\n```\n")
    }

    /// A notebook written in Jupyter: no dnb metadata, code that holds a fence line, sources as one string.
    @Test func aNotebookMadeInJupyterBecomesCells() throws {
        let json = try JSON(parsing: #"""
            {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "dnb", "language": "dnb", "display_name": "dnb"}},
             "cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": ["# Title\n", "text"]},
                       {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": 3, "outputs": [], "source": "print \"x\"\n```"},
                       {"cell_type": "raw", "id": "r", "metadata": {}, "source": "raw text"}]}
            """#)
        #expect(try IPynbToDNB.convert(json) == "# Title\ntext\n\n````dnb\nprint \"x\"\n```\n````\n\nraw text\n")
    }

    @Test(arguments: [
        (#"{"nbformat": 4, "metadata": {"kernelspec": {"language": "python"}}, "cells": []}"#, "is a python notebook"),
        (#"{"nbformat": 3, "cells": []}"#, "nbformat 3"),
        (#"{"cells": []}"#, "has no nbformat version"),
        (#"{"nbformat": 4, "cells": [{"cell_type": "markdown", "source": "```dnb\nprint 1\n```"}]}"#, "markdown would be read differently"),
        (#"{"nbformat": 4, "cells": [{"cell_type": "markdown", "source": "```python\nx"}, {"cell_type": "code", "source": "print 1"}]}"#, "markdown would be read differently"),
        (#"{"nbformat": 4, "cells": [{"cell_type": "code", "source": "x", "metadata": {"dnb": {"skip": "yes"}}}]}"#, "metadata.dnb.skip must be true or false"),
        (#"{"nbformat": 4, "cells": [{"cell_type": "code", "source": "x", "metadata": {"dnb": {"id": "a b"}}}]}"#, "cell 1: metadata.dnb.id must be a name"),
    ])
    func notebooksThatCannotBecomeDnbAreRefused(_ text: String, _ reason: String) throws {
        let error = #expect(throws: (any Error).self) { try IPynbToDNB.convert(try JSON(parsing: text)) }
        #expect("\(error.map { "\($0)" } ?? "")".contains(reason), "\(String(describing: error))")
    }
}

@Suite("dnb convert", .enabled(if: CLIBinary.url != nil, CLIBinary.missingMessage))
struct ConvertCommandTests {
    @Test func convertsBothWaysAndRefusesBadInput() throws {
        let dir = try TemporaryDirectory("dnb-convert")
        try dir.write("nb.dnb", "# T\n\n```dnb id=a\nprint 1\n```\n")
        #expect(try CLIBinary.run(["convert", "nb.dnb", "--to", "ipynb"], in: dir).status == 0)
        let back = try CLIBinary.run(["convert", "nb.ipynb", "--to", "dnb", "-o", "back.dnb"], in: dir)
        let roundTripped = try dir.read("back.dnb") == dir.read("nb.dnb")
        #expect(back.status == 0 && roundTripped, "\(back)")
        let same = try CLIBinary.run(["convert", "nb.ipynb", "--to", "ipynb"], in: dir)
        #expect(same.status == 64 && same.stderr.contains("nb.ipynb is already a .ipynb notebook"), "\(same)")
        let over = try CLIBinary.run(["convert", "nb.dnb", "--to", "ipynb", "-o", "./nb.dnb"], in: dir)
        #expect(over.status == 64 && over.stderr.contains("would replace the input"), "\(over)")
        try dir.write("bad.ipynb", "{not json")
        let bad = try CLIBinary.run(["convert", "bad.ipynb", "--to", "dnb"], in: dir)
        #expect(bad.status == 65 && bad.stderr.contains("not valid JSON") && !dir.contents.contains("bad.dnb"), "\(bad)")
        try dir.write("broken.dnb", "```dnb\nprint 1\n")
        let broken = try CLIBinary.run(["convert", "broken.dnb", "--to", "ipynb"], in: dir)
        #expect(broken.status == 65 && broken.stderr.contains("broken.dnb:1:1: code cell opened here is never closed"), "\(broken)")
        let missing = try CLIBinary.run(["convert", "missing.dnb", "--to", "ipynb"], in: dir)
        #expect(missing.status == 64 && missing.stderr.contains("missing.dnb"), "\(missing)")
        let kernel = try CLIBinary.run(["kernel", "-f", "missing.json"], in: dir)
        #expect(kernel.status == 64 && kernel.stderr.contains("cannot read missing.json"), "\(kernel)")
    }
}
