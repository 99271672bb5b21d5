import CCmarkGFM
#if canImport(Glibc)
import Glibc
#endif

/// A Markdown text parsed by cmark-gfm, the renderer GitHub uses, with its extensions: tables (the
/// report's parameter table), strikethrough, autolinks and the tag filter (no `<script>`, `<style>`,
/// `<iframe>` … from prose reaches the page). Raw HTML is kept: the report itself writes `<sub>` and
/// `<details>`.
final class CmarkDocument {
    /// GITHUB_PRE_LANG puts a fence's info string on the `<pre>` (`<pre lang="output">`), where the page's
    /// style tells code from output; UNSAFE keeps raw HTML (the tag filter still applies).
    static let options = CMARK_OPT_UNSAFE | CMARK_OPT_GITHUB_PRE_LANG | CMARK_OPT_VALIDATE_UTF8

    private let parser: OpaquePointer
    let root: OpaquePointer

    init(_ markdown: String) {
        cmark_gfm_core_extensions_ensure_registered()
        // cmark allocates through its default allocator, which aborts rather than return NULL.
        let parser = cmark_parser_new(Self.options)!
        for name in ["table", "strikethrough", "autolink", "tagfilter"] {
            if let extensionPointer = cmark_find_syntax_extension(name) {
                cmark_parser_attach_syntax_extension(parser, extensionPointer)
            }
        }
        let bytes = Array(markdown.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                if let base = characters.baseAddress { cmark_parser_feed(parser, base, characters.count) }
            }
        }
        self.parser = parser
        root = cmark_parser_finish(parser)
    }

    deinit {
        cmark_node_free(root)
        cmark_parser_free(parser)
    }

    /// Every node of `type` in document order (collected first, so callers may replace them).
    func nodes(_ type: cmark_node_type) -> [OpaquePointer] {
        guard let iterator = cmark_iter_new(root) else { return [] }
        defer { cmark_iter_free(iterator) }
        var found: [OpaquePointer] = []
        while cmark_iter_next(iterator) != CMARK_EVENT_DONE {
            if cmark_iter_get_event_type(iterator) == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator),
               cmark_node_get_type(node) == type {
                found.append(node)
            }
        }
        return found
    }

    /// The text a reader sees in `node`: its text and code spans, without markup.
    static func plainText(_ node: OpaquePointer) -> String {
        guard let iterator = cmark_iter_new(node) else { return "" }
        defer { cmark_iter_free(iterator) }
        var text = ""
        while cmark_iter_next(iterator) != CMARK_EVENT_DONE {
            guard cmark_iter_get_event_type(iterator) == CMARK_EVENT_ENTER, let child = cmark_iter_get_node(iterator) else { continue }
            let type = cmark_node_get_type(child)
            if type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE, let literal = cmark_node_get_literal(child) {
                text += String(cString: literal)
            } else if type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK {
                text += " "
            }
        }
        return text
    }

    /// `node` (the whole document when nil) as HTML.
    func html(_ node: OpaquePointer? = nil) -> String {
        guard let rendered = cmark_render_html(node ?? root, Self.options, cmark_parser_get_syntax_extensions(parser)) else { return "" }
        defer { free(rendered) }
        return String(cString: rendered)
    }

    /// Puts raw `html` where `node` was: an HTML block for a block node, inline HTML for an inline one.
    func replace(_ node: OpaquePointer, withHTML html: String) {
        let isInline = cmark_node_get_type(node).rawValue & UInt32(CMARK_NODE_TYPE_MASK) == UInt32(CMARK_NODE_TYPE_INLINE)
        guard let block = cmark_node_new(isInline ? CMARK_NODE_HTML_INLINE : CMARK_NODE_HTML_BLOCK) else { return }
        cmark_node_set_literal(block, html)
        if cmark_node_replace(node, block) == 1 {
            cmark_node_free(node)
        } else {
            cmark_node_free(block)
        }
    }

    static func url(_ node: OpaquePointer) -> String {
        cmark_node_get_url(node).map { String(cString: $0) } ?? ""
    }

    static func setURL(_ node: OpaquePointer, _ url: String) {
        cmark_node_set_url(node, url)
    }

    static func headingLevel(_ node: OpaquePointer) -> Int {
        Int(cmark_node_get_heading_level(node))
    }
}
