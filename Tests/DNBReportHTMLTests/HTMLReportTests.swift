import Foundation
import Testing
import CCmarkGFM
import DNBTestSupport
@testable import DNBLanguage
@testable import DNBReportHTML

/// A 1×1 grey PNG (signature, IHDR, IDAT, IEND with their CRCs; made with Python's zlib), small enough to write out here.
let onePixelPNG: [UInt8] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3A, 0x7E, 0x9B,
    0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x68, 0x00, 0x00, 0x00,
    0x82, 0x00, 0x81, 0x77, 0xCD, 0x72, 0xB6, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
]

/// The values of `attribute` on every `tag` of a page, in order (cmark-gfm and PageFrame write attributes
/// double-quoted, so a pattern reads them reliably; CLITests parses a whole page with Python's parser).
func attributeValues(_ attribute: String, of tag: String, in html: String) -> [String] {
    let pattern = try! NSRegularExpression(pattern: "<\(tag)\\b[^>]*\\b\(attribute)=\"([^\"]*)\"")
    return pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)).compactMap {
        Range($0.range(at: 1), in: html).map { String(html[$0]) }
    }
}

@Suite("report as HTML")
struct HTMLReportTests {
    static let markdown = """
        # A run

        - **Notebook:** `nb.dnb`

        ## Parameters

        | name | value |
        | --- | --- |
        | steps | `2` |

        ## Data in [-1, 1]

        ```dnb
        dataset show n=1
        ```

        ```output
        mnist: train 60,000
        ```

        ![one pixel](figures/dataset.png)\\
        *one pixel*

        <details><summary>how the data was found (4 lines)</summary>

        ```output
        a
        b
        c
        d
        ```

        </details>

        ## Data in [-1, 1]

        <script>document.title = "x"</script>

        <sub class="dnb-restored">cell 2 · restored from the cache · originally ran 2026-11-30 05:20 UTC in 3 min 12.0 s</sub>
        """

    func folderWithFigure() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("figures"), withIntermediateDirectories: true)
        try Data(onePixelPNG).write(to: URL(fileURLWithPath: dir.file("figures/dataset.png")))
        return dir
    }

    @Test func figuresAreEmbeddedAsTheFilesBytes() throws {
        let dir = try folderWithFigure()
        let page = HTMLReport.render(markdown: Self.markdown, baseDirectory: dir.path)
        #expect(page.problems.isEmpty, "\(page.problems)")
        let sources = attributeValues("src", of: "img", in: page.html)
        #expect(sources.count == 1)
        for source in sources {
            let prefix = "data:image/png;base64,"
            #expect(source.hasPrefix(prefix))
            #expect(Data(base64Encoded: String(source.dropFirst(prefix.count))) == Data(onePixelPNG))
        }
        #expect(!page.html.contains("http://") && !page.html.contains("https://"), "nothing is fetched")
    }

    @Test func theContentsLinkToHeadingIds() throws {
        let page = HTMLReport.render(markdown: Self.markdown, baseDirectory: try folderWithFigure().path)
        let ids = Set(attributeValues("id", of: "h[1-6]", in: page.html))
        let links = attributeValues("href", of: "a", in: page.html).filter { $0.hasPrefix("#") }
        // Parameters and the two "Data in [-1, 1]" sections; the title (h1) is the page's, not an entry.
        #expect(links == ["#parameters", "#data-in--1-1", "#data-in--1-1-1"])
        for link in links { #expect(ids.contains(String(link.dropFirst())), "\(link) has no heading") }
        #expect(page.html.contains("<title>A run</title>"))
    }

    @Test func codeAndOutputAreMarkedApartAndRawHTMLIsFiltered() throws {
        let page = HTMLReport.render(markdown: Self.markdown, baseDirectory: try folderWithFigure().path)
        #expect(page.html.contains("<pre lang=\"dnb\"><code>dataset show n=1"))
        #expect(page.html.contains("<pre lang=\"output\"><code>mnist: train 60,000"))
        #expect(PageFrame.style.contains("pre[lang=\"dnb\"] {") && PageFrame.style.contains("pre[lang=\"output\"] {"))
        #expect(page.html.contains("<table>") && page.html.contains("<th>name</th>"), "the parameter table")
        #expect(page.html.contains("<details><summary>how the data was found (4 lines)</summary>"))
        #expect(page.html.contains("<sub class=\"dnb-restored\">cell 2 · restored from the cache"))
        // GitHub's tag filter: a script in prose is shown as text, never run.
        #expect(!page.html.contains("<script") && page.html.contains("&lt;script>"))
    }

    @Test func anImageThatCannotBeEmbeddedIsAPlaceholderAndAProblem() throws {
        let dir = try folderWithFigure()
        try dir.write("figures/fake.png", "not a png")
        let markdown = "![gone](figures/missing.png)\n\n![far](https://example.org/a.png)\n\n![text](figures/fake.png)\n"
        let page = HTMLReport.render(markdown: markdown, baseDirectory: dir.path)
        #expect(page.problems.count == 3, "\(page.problems)")
        #expect(page.problems[0].contains("figures/missing.png") && page.problems[0].contains("no such file"))
        #expect(page.problems[1].contains("not a local file"))
        #expect(page.problems[2].contains("is not a PNG"))
        #expect(attributeValues("src", of: "img", in: page.html).isEmpty)
        #expect(page.html.components(separatedBy: "class=\"dnb-missing\"").count == 4)
    }

    @Test func convertWritesBesideTheMarkdownAndNamesAnUnreadableFile() throws {
        let dir = try folderWithFigure()
        try dir.write("report.md", Self.markdown)
        let (path, problems) = try HTMLReport.convert(markdownFile: dir.file("report.md"))
        #expect(path == dir.file("report.html") && problems.isEmpty)
        #expect(try dir.read("report.html").hasPrefix("<!DOCTYPE html>"))
        #expect(throws: (any Error).self) { try HTMLReport.convert(markdownFile: dir.file("none.md")) }
        do {
            _ = try HTMLReport.convert(markdownFile: dir.file("none.md"))
        } catch {
            #expect("\(error)" == "cannot read \(dir.file("none.md")): No such file or directory")
        }
        #expect(throws: (any Error).self) { try HTMLReport.convert(markdownFile: dir.file("figures")) }
    }

    @Test func headingIdsFollowGitHub() {
        var slugs = HeadingSlugs()
        #expect(slugs.next(for: "Data in [-1, 1]") == "data-in--1-1")
        #expect(slugs.next(for: "Sixty-four digits from pure noise") == "sixty-four-digits-from-pure-noise")
        #expect(slugs.next(for: "Data in [-1, 1]") == "data-in--1-1-1")
        #expect(slugs.next(for: "???") == "section")
    }
}

/// The report's Markdown as pandoc and GitHub read it, checked through cmark-gfm's parse tree.
@Suite("report Markdown for other renderers")
struct ReportMarkdownTests {
    /// Pandoc makes an image that is alone in its paragraph a figure captioned with its alt text; with the
    /// italic caption line that would show the caption twice (seen with pandoc 2.17: `<figcaption>` and
    /// `<p><em>`). Each figure must share its paragraph with its caption.
    @Test func noFigureIsAloneInItsParagraph() throws {
        let block = ReportWriter.figureBlock(Figure(path: "figures/loss.png", caption: "Training loss over 2 steps"))
        let document = CmarkDocument("Text.\n\n" + block + "\n\nMore text.\n")
        let images = document.nodes(CMARK_NODE_IMAGE)
        #expect(images.count == 1)
        for image in images {
            let paragraph = cmark_node_parent(image)
            #expect(paragraph.map(cmark_node_get_type) == CMARK_NODE_PARAGRAPH)
            var children = 0
            var child = paragraph.flatMap(cmark_node_first_child)
            while let node = child { children += 1; child = cmark_node_next(node) }
            #expect(children == 3, "image, line break, caption")
            #expect(cmark_node_next(image).map(cmark_node_get_type) == CMARK_NODE_LINEBREAK)
            #expect(CmarkDocument.plainText(paragraph!) == "Training loss over 2 steps Training loss over 2 steps",
                    "the alt text once and the visible caption once")
        }
    }
}
