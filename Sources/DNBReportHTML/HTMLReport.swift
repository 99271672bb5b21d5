import Foundation
import CCmarkGFM
import DNBSupport

/// A run's `report.md` as one self-contained HTML page: the Markdown rendered by cmark-gfm (GitHub's
/// renderer, so the page reads as the report does on GitHub), figures embedded as `data:` URIs, headings
/// given ids and listed in a table of contents, code and output styled apart. Nothing is fetched.
public enum HTMLReport {
    public static let fileName = "report.html"

    public struct Page {
        public var html: String
        /// Images that could not be embedded (shown on the page as a marked placeholder instead).
        public var problems: [String]
    }

    /// Renders `markdown`, reading relative image paths from `baseDirectory`.
    public static func render(markdown: String, baseDirectory: String) -> Page {
        let document = CmarkDocument(markdown)
        let problems = embedImages(in: document, baseDirectory: baseDirectory)
        let contents = identifyHeadings(in: document)
        let title = contents.first { $0.level == 1 }?.text ?? "dnb report"
        let page = PageFrame.page(title: title, contents: contents.filter { (2...3).contains($0.level) }, body: document.html())
        return Page(html: page, problems: problems)
    }

    /// Reads the Markdown file and writes the page (atomically) to `output`, by default beside it with the
    /// extension `.html`. Returns the page's path and the images it could not embed.
    public static func convert(markdownFile: String, to output: String? = nil) throws -> (path: String, problems: [String]) {
        let url = URL(fileURLWithPath: markdownFile)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: markdownFile, isDirectory: &isFolder) else {
            throw FileError("cannot read \(markdownFile): No such file or directory")
        }
        guard !isFolder.boolValue else { throw FileError("cannot read \(markdownFile): it is a folder, not a Markdown file") }
        let markdown: String
        do {
            markdown = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw FileError("cannot read \(markdownFile): it is not UTF-8 text, or not readable (\(errorCause(error)))")
        }
        let page = render(markdown: markdown, baseDirectory: url.deletingLastPathComponent().path)
        let path = output ?? url.deletingPathExtension().appendingPathExtension("html").path
        try AtomicFile.write(page.html, to: path)
        return (path, page.problems)
    }

    /// Points every image at its bytes; an image that cannot be embedded becomes a visible placeholder.
    private static func embedImages(in document: CmarkDocument, baseDirectory: String) -> [String] {
        let embedding = ImageEmbedding(baseDirectory: baseDirectory)
        var problems: [String] = []
        for image in document.nodes(CMARK_NODE_IMAGE) {
            do {
                CmarkDocument.setURL(image, try embedding.dataURI(for: CmarkDocument.url(image)))
            } catch {
                problems.append("figure not embedded: \(error)")
                let label = PageFrame.escape(CmarkDocument.plainText(image))
                document.replace(image, withHTML: "<span class=\"dnb-missing\">figure not embedded: \(PageFrame.escape("\(error)"))"
                                 + (label.isEmpty ? "" : " (\(label))") + "</span>")
            }
        }
        return problems
    }

    /// Gives every heading an id (GitHub's style: `## Data in [-1, 1]` → `data-in--1-1`, repeats numbered)
    /// and returns them in order for the table of contents.
    private static func identifyHeadings(in document: CmarkDocument) -> [PageFrame.Entry] {
        var slugs = HeadingSlugs()
        var entries: [PageFrame.Entry] = []
        for heading in document.nodes(CMARK_NODE_HEADING) {
            let level = CmarkDocument.headingLevel(heading)
            let text = CmarkDocument.plainText(heading).trimmingCharacters(in: .whitespaces)
            let id = slugs.next(for: text)
            // The renderer writes `<hN>…</hN>`; the same markup with the id replaces the heading node.
            let rendered = document.html(heading)
            let tag = "<h\(level)"
            guard rendered.hasPrefix(tag) else { continue }
            document.replace(heading, withHTML: tag + " id=\"\(PageFrame.escape(id))\"" + rendered.dropFirst(tag.count))
            entries.append(PageFrame.Entry(level: level, id: id, text: text))
        }
        return entries
    }
}

/// Heading ids as GitHub makes them: lower case, letters, digits, `-` and `_` kept, spaces to `-`,
/// the rest dropped; a repeated id gets `-1`, `-2` ….
struct HeadingSlugs {
    private var used: [String: Int] = [:]

    mutating func next(for text: String) -> String {
        var slug = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber || character == "-" || character == "_" {
                slug.append(character)
            } else if character == " " {
                slug.append("-")
            }
        }
        if slug.isEmpty { slug = "section" }
        let count = used[slug, default: 0]
        used[slug] = count + 1
        return count == 0 ? slug : "\(slug)-\(count)"
    }
}
