import Foundation
import Testing
import DNBTestSupport
import DNBLanguage
import DNBJupyter

/// `dnb run --html`, `dnb report FILE.md --to html` and the figures a re-run leaves behind, end to end.
@Suite("shared reports", .enabled(if: CLIBinary.url != nil, CLIBinary.missingMessage))
struct ReportCLITests {
    /// Synthetic digits (no data to find), one `dataset show` figure per loop turn.
    static let notebook = """
        # Figures

        ```dnb id=setup
        param figures: int = 3 "how many figures"
        seed 1
        dataset load name=synthetic count=16 image_size=16
        ```

        ## Looking at the data

        ```dnb id=show
        for i in 1..$figures {
            dataset show n=2
        }
        ```
        """

    /// What Python's own HTML parser (stdlib `html.parser`) finds in a page: every src and href of every
    /// element, the ids, and the text of `<title>`. An independent reading of the page dnb wrote.
    static let parsePage = #"""
        import json, sys
        from html.parser import HTMLParser

        class Page(HTMLParser):
            def __init__(self):
                super().__init__()
                self.images, self.links, self.ids, self.title, self.in_title = [], [], [], "", False
            def handle_starttag(self, tag, attrs):
                attrs = dict(attrs)
                if "id" in attrs: self.ids.append(attrs["id"])
                if tag == "img": self.images.append(attrs.get("src", ""))
                for name in ("src", "href"):
                    if name in attrs and tag != "img": self.links.append(attrs[name])
                self.in_title = tag == "title"
            def handle_endtag(self, tag): self.in_title = False
            def handle_data(self, data):
                if self.in_title: self.title += data

        page = Page()
        page.feed(open(sys.argv[1], encoding="utf-8").read())
        print(json.dumps({"images": page.images, "links": page.links, "ids": page.ids, "title": page.title}))
        """#

    struct Parsed: Decodable {
        var images: [String], links: [String], ids: [String], title: String
    }

    @Test(.enabled(if: testPython != nil || testPythonRequired, "\(TestPythonMissing())"))
    func runWritesOneSelfContainedPage() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("figures.dnb", Self.notebook)
        let result = try CLIBinary.run(["run", "figures.dnb", "--html"], in: dir)
        #expect(result.status == 0, "\(result)")
        let page = try JSONDecoder().decode(Parsed.self, from: Data(runTestPython(Self.parsePage, [dir.file("out/figures/report.html")]).utf8))
        #expect(page.title == "Figures")
        let figures = ["dataset.png", "dataset-2.png", "dataset-3.png"]
        #expect(page.images.count == figures.count)
        for (source, name) in zip(page.images, figures) {
            let prefix = "data:image/png;base64,"
            #expect(source.hasPrefix(prefix))
            let bytes = try #require(Data(base64Encoded: String(source.dropFirst(prefix.count))))
            #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "\(name) decodes to a PNG")
            #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: dir.file("out/figures/figures/\(name)")))), "\(name), byte for byte")
        }
        // The contents: every entry leads to a heading of the page; nothing points outside it.
        let anchors = page.links.filter { $0.hasPrefix("#") }
        #expect(anchors == ["#environment", "#parameters", "#seeds", "#looking-at-the-data"])
        for anchor in anchors { #expect(page.ids.contains(String(anchor.dropFirst())), "\(anchor) leads nowhere") }
        #expect(page.links.allSatisfy { $0.hasPrefix("#") }, "the page links or loads \(page.links)")
        let html = try dir.read("out/figures/report.html")
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(html.contains("<pre lang=\"dnb\">") && html.contains("<pre lang=\"output\">"))
        #expect(html.contains("<td>figures</td>"), "the parameter table")

        // The same page from the Markdown alone.
        let again = try CLIBinary.run(["report", "out/figures/report.md", "--to", "html", "--out", "copy.html"], in: dir)
        #expect(again.status == 0, "\(again)")
        #expect(try dir.read("copy.html") == html)
    }

    @Test func aRerunRemovesItsOwnStaleFiguresAndNothingElse() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        // A failure allowed to happen: its diagnostic names the notebook, given below by its absolute path.
        try dir.write("figures.dnb", Self.notebook + "\n\n```dnb allow-error\nload tensor path=missing.npy name=x\n```\n")
        // Given by its absolute path, the notebook is still named relative to where the report is read:
        // in the report, the executed notebook, and the figures' provenance, which report.html carries along.
        #expect(try CLIBinary.run(["run", dir.file("figures.dnb"), "--html", "--to", "ipynb", "--out", dir.file("out/figures")], in: dir).status == 0)
        let folder = dir.file("out/figures/figures")
        for file in ["report.md", "report.html", "figures/dataset.png", "figures.ipynb"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("out/figures/" + file)))
            #expect(bytes.range(of: Data(dir.path.utf8)) == nil, "\(file) names \(dir.path)")
        }
        #expect(try dir.read("out/figures/report.md").contains("- **Notebook:** `figures.dnb`"))
        // A file of the user's, named as dnb would name the next figure, and one of another kind.
        try dir.write("out/figures/figures/dataset-4.png", "the user's")
        try dir.write("out/figures/figures/notes.txt", "the user's")
        let second = try CLIBinary.run(["run", "figures.dnb", "--set", "figures=1"], in: dir)
        #expect(second.status == 0, "\(second)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["dataset-4.png", "dataset.png", "notes.txt"])
        #expect(!FileManager.default.fileExists(atPath: dir.file("out/figures/report.html")),
                "the previous run's page, which this run did not ask for, would describe the old run")
        #expect(try dir.read("out/figures/report.md").contains("(figures/dataset.png)"))
    }

    /// A re-run from the cell cache: the report and the page mark the restored cells, and their figures
    /// (restored with them) are still referenced, so the manifest keeps them.
    @Test func restoredCellsAreMarkedInTheReportAndThePage() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        try dir.write("figures.dnb", Self.notebook)
        #expect(try CLIBinary.run(["run", "figures.dnb"], in: dir).status == 0)
        let again = try CLIBinary.run(["run", "figures.dnb", "--html"], in: dir)
        #expect(again.status == 0, "\(again)")
        let report = try dir.read("out/figures/report.md")
        for label in ["cell 1 (setup)", "cell 2 (show)"] {
            #expect(report.contains("<sub class=\"dnb-restored\">\(label) · restored from the cache · originally ran "), "\(label)")
        }
        #expect(report.contains("(2 restored from the cache)"))
        let html = try dir.read("out/figures/report.html")
        #expect(html.components(separatedBy: "<sub class=\"dnb-restored\">").count == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("out/figures/figures")).sorted()
                == ["dataset-2.png", "dataset-3.png", "dataset.png"])
    }

    @Test func reportNamesAnUnreadableFileAndTheFormats() throws {
        let dir = try TemporaryDirectory("dnb-cli")
        let missing = try CLIBinary.run(["report", "none.md", "--to", "html"], in: dir)
        #expect(missing.status == 64 && missing.stderr.contains("cannot read none.md: No such file or directory"), "\(missing)")
        let format = try CLIBinary.run(["report", "none.md", "--to", "pdf"], in: dir)
        #expect(format.status == 64 && format.stderr.contains("html"), "\(format)")
    }

    /// A log reaches Jupyter as the kernel sends it while it comes (text, line by line) and as the executed
    /// notebook stores it (one log item): the same stream either way.
    @Test func aLogIsTheSameStreamLiveAndInTheExecutedNotebook() {
        var live: [JupyterOutput] = []
        let output = Output { live.append(JupyterOutput.from($0, outputDirectory: ".")) }
        for place in ["a", "b", "c", "d"] { output.log("looked in \(place)", topic: "how the data was found") }
        output.print("source: d")
        let stored = output.takeItems().map { JupyterOutput.from($0, outputDirectory: ".") }
        #expect(JupyterOutput.merged(live) == JupyterOutput.merged(stored))
        #expect(JupyterOutput.merged(stored) == [.stream(name: "stdout", text: "looked in a\nlooked in b\nlooked in c\nlooked in d\nsource: d\n")])
    }
}
