/// The page around the rendered report: head, style, and the table of contents. Everything is inline
/// (no stylesheet, font or script is fetched), so the file can be mailed or opened offline.
enum PageFrame {
    struct Entry {
        var level: Int
        var id: String
        var text: String
    }

    static func page(title: String, contents: [Entry], body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="dnb">
        <title>\(escape(title))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        \(tableOfContents(contents))
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    static func tableOfContents(_ entries: [Entry]) -> String {
        guard !entries.isEmpty else { return "" }
        let items = entries.map { entry in
            "<li class=\"level-\(entry.level)\"><a href=\"#\(escape(entry.id))\">\(escape(entry.text))</a></li>"
        }
        return "<nav class=\"toc\" aria-label=\"Contents\">\n<h2>Contents</h2>\n<ol>\n" + items.joined(separator: "\n") + "\n</ol>\n</nav>"
    }

    /// Text made safe for HTML content and attribute values.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }

    /// Code cells (`<pre lang="dnb">`) on a tinted ground with a blue rule, their output (`lang="output"`)
    /// on white with a grey frame, each labelled; the contents sit beside the text on wide windows.
    static let style = """
        :root { --ink: #1f2328; --muted: #59636e; --rule: #d1d9e0; --code: #f2f6fc; --accent: #2f5fc4; }
        * { box-sizing: border-box; }
        body { margin: 0; color: var(--ink); font: 16px/1.55 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
        main { max-width: 54rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
        h1 { font-size: 1.9rem; line-height: 1.25; border-bottom: 1px solid var(--rule); padding-bottom: .4rem; }
        h2 { font-size: 1.4rem; border-bottom: 1px solid var(--rule); padding-bottom: .25rem; margin-top: 2rem; }
        a { color: var(--accent); }
        code, pre { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
        :not(pre) > code { background: #eff1f3; padding: .1em .3em; border-radius: 4px; }
        pre { overflow-x: auto; padding: .7rem 1rem; border-radius: 6px; line-height: 1.4; background: #f6f8fa; }
        pre[lang]::before { display: block; font: 600 11px/1.6 system-ui, sans-serif; letter-spacing: .04em; text-transform: uppercase; margin-bottom: .3rem; }
        pre[lang="dnb"] { background: var(--code); border-left: 4px solid var(--accent); }
        pre[lang="dnb"]::before { content: "code"; color: var(--accent); }
        pre[lang="output"] { background: #fff; border: 1px solid var(--rule); border-left: 4px solid #8c959f; }
        pre[lang="output"]::before { content: "output"; color: var(--muted); }
        table { border-collapse: collapse; display: block; overflow-x: auto; margin: 1rem 0; font-size: 14px; }
        th, td { border: 1px solid var(--rule); padding: .3rem .6rem; text-align: left; vertical-align: top; }
        th { background: #f6f8fa; }
        img { max-width: 100%; height: auto; }
        p:has(> img) { text-align: center; margin: 1.2rem 0; }
        p:has(> img) em { display: block; color: var(--muted); font-size: .92em; margin-top: .3rem; }
        blockquote { margin: 1rem 0; padding: .5rem 1rem; border-left: 4px solid #cf222e; background: #fff6f6; }
        details { border: 1px solid var(--rule); border-radius: 6px; padding: .4rem .8rem; margin: 1rem 0; }
        details > summary { cursor: pointer; color: var(--muted); }
        sub { display: inline-block; color: var(--muted); font-size: 12px; vertical-align: baseline; }
        sub.dnb-restored { background: #ddf4ff; color: #0a3069; border-radius: 4px; padding: 0 .4rem; }
        .dnb-missing { color: #cf222e; border: 1px dashed #cf222e; padding: .2rem .5rem; }
        nav.toc { padding: 1rem 1.25rem; font-size: 14px; }
        nav.toc h2 { font-size: 1rem; margin: 0 0 .4rem; border: none; }
        nav.toc ol { list-style: none; margin: 0; padding: 0; }
        nav.toc li { margin: .15rem 0; }
        nav.toc li.level-3 { padding-left: 1rem; }
        nav.toc a { text-decoration: none; }
        @media (min-width: 80rem) {
          nav.toc { position: fixed; top: 0; bottom: 0; left: 0; width: 17rem; overflow-y: auto; border-right: 1px solid var(--rule); background: #fafbfc; }
          main { margin-left: max(18rem, calc(50% - 27rem)); }
        }
        @media (max-width: 79.99rem) {
          nav.toc { max-width: 51.5rem; margin: 1.5rem auto 0; border: 1px solid var(--rule); border-radius: 6px; }
        }
        @media (max-width: 54rem) { nav.toc { margin: 1rem 1.25rem 0; } }
        @media print { nav.toc { display: none; } main { margin: 0 auto; } }
        """
}
