import Foundation
import DNBLanguage

/// One output of a code cell as Jupyter sees it. The kernel sends these as iopub messages and the
/// executed `.ipynb` stores them, built by the same functions so the two always agree.
public enum JupyterOutput: Hashable, Sendable {
    /// `stdout` or `stderr` text.
    case stream(name: String, text: String)
    /// A rich value: `image/png` (base64) and `text/plain` for a figure; `text/html` and `text/plain` for a table.
    case display(data: [String: JSON], metadata: [String: JSON])
    case error(ename: String, evalue: String, traceback: [String])

    /// The message content (iopub `stream`, `display_data`, `error`) without `output_type`.
    public var content: [String: JSON] {
        switch self {
        case .stream(let name, let text): return ["name": .string(name), "text": .string(text)]
        case .display(let data, let metadata): return ["data": .object(data), "metadata": .object(metadata)]
        case .error(let ename, let evalue, let traceback):
            return ["ename": .string(ename), "evalue": .string(evalue), "traceback": .array(traceback.map(JSON.string))]
        }
    }

    public var messageType: String {
        switch self {
        case .stream: "stream"
        case .display: "display_data"
        case .error: "error"
        }
    }

    /// The nbformat 4 form: the content plus `output_type`, stream text as a list of lines.
    public var notebookJSON: JSON {
        var members = content
        members["output_type"] = .string(messageType)
        if case .stream(_, let text) = self { members["text"] = IPynb.sourceLines(text) }
        return .object(members)
    }
}

extension JupyterOutput {
    /// How an output item of dnb looks in Jupyter. A figure's PNG is read from `outputDirectory`; one that
    /// cannot be read becomes its `[figure] path` line on stderr, saying why, rather than failing the cell.
    public static func from(_ item: OutputItem, outputDirectory: String) -> JupyterOutput {
        switch item {
        case .text(let text):
            return .stream(name: "stdout", text: text)
        case .table(let table):
            return .display(data: ["text/plain": .string(table.plainText), "text/html": .string(html(table))], metadata: [:])
        case .figure(let figure):
            let path = outputDirectory.hasSuffix("/") ? outputDirectory + figure.path : outputDirectory + "/" + figure.path
            return figureOutput(figure, path: path)
        }
    }

    static func figureOutput(_ figure: Figure, path: String) -> JupyterOutput {
        let label = item(figure)
        guard let png = FileManager.default.contents(atPath: path) else {
            return .stream(name: "stderr", text: "\(label) (cannot read \(path))\n")
        }
        var metadata: [String: JSON] = [:]
        if let size = PNGSize(png) {
            metadata["image/png"] = ["width": .int(size.width), "height": .int(size.height)]
        }
        return .display(data: ["image/png": .string(png.base64EncodedString()), "text/plain": .string(label)], metadata: metadata)
    }

    /// `[figure] figures/loss.png: Training loss` – the text shown where images are not.
    static func item(_ figure: Figure) -> String {
        "[figure] \(figure.path)" + (figure.caption.isEmpty ? "" : ": \(figure.caption)")
    }

    /// A failed statement. `ename` says what kind of failure, `evalue` is the message and the traceback the
    /// full diagnostic (`In[3]:2:7: message`, the line and a caret), one line per entry.
    public static func error(_ diagnostic: Diagnostic, interrupted: Bool, parse: Bool = false) -> JupyterOutput {
        let ename = interrupted ? "KeyboardInterrupt" : parse ? "SyntaxError" : "Error"
        return .error(ename: ename, evalue: diagnostic.message, traceback: diagnostic.description.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    }

    static func html(_ table: Table) -> String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        func row(_ cells: [String], _ tag: String) -> String {
            "<tr>" + cells.map { "<\(tag)>\(escape($0))</\(tag)>" }.joined() + "</tr>"
        }
        let caption = table.caption.map { "<caption>\(escape($0))</caption>" } ?? ""
        return "<table>" + caption + "<thead>" + row(table.headers, "th") + "</thead><tbody>"
            + table.rows.map { row($0, "td") }.joined() + "</tbody></table>"
    }
}

/// Width and height from a PNG's IHDR chunk; nil for bytes that are not a PNG.
struct PNGSize {
    let width: Int
    let height: Int

    init?(_ data: Data) {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
              bytes[12..<16].elementsEqual(Array("IHDR".utf8)) else { return nil }
        func big(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        width = big(16)
        height = big(20)
    }
}
