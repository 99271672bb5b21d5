import DNBLanguage

/// An nbformat 4 notebook as a `.dnb` file: markdown and raw cells become prose, code cells ```` ```dnb ````
/// cells with the options in `metadata.dnb`. Layout that `DNBToIPynb` kept in metadata is restored; a
/// notebook made elsewhere gets one blank line between cells. The result is parsed again before it is
/// returned, so a markdown cell that a `.dnb` file would read differently (one holding a ```` ```dnb ````
/// fence, or opening a fence it never closes) is an error, not a silently different notebook.
public enum IPynbToDNB {
    public static func convert(_ json: JSON, file: String = "notebook.ipynb") throws -> String {
        guard let major = json["nbformat"]?.int else { throw JSONError("\(file) is not a Jupyter notebook: it has no nbformat version") }
        guard major == 4 else { throw JSONError("\(file) is nbformat \(major); dnb reads nbformat 4 (upgrade it with `jupyter nbconvert --to notebook`)") }
        let metadata = json["metadata"]?.object ?? [:]
        let language = metadata["kernelspec"]?["language"]?.string ?? metadata["language_info"]?["name"]?.string
        if let language, language != "dnb" {
            throw JSONError("\(file) is a \(language) notebook; dnb converts notebooks whose language is dnb")
        }
        guard let cells = json["cells"]?.array else { throw JSONError("\(file) has no list of cells") }
        var lines: [String] = []
        var expectedCode: [String] = []
        for (index, cell) in cells.enumerated() {
            let number = index + 1
            let dnb = cell["metadata"]?["dnb"]?.object ?? [:]
            lines += try gap(dnb["lines_before"], default: index == 0 ? 0 : 1, what: "cell \(number)")
            guard let source = IPynb.text(cell["source"]) else { throw JSONError("\(file): cell \(number) has a source that is not text") }
            switch cell["cell_type"]?.string {
            case "code":
                lines += try codeLines(source, dnb: dnb, cell: number)
                expectedCode.append(source)
            case "markdown", "raw":
                if !source.isEmpty { lines += source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
            default:
                throw JSONError("\(file): cell \(number) has an unknown cell_type")
            }
        }
        let dnbMetadata = metadata["dnb"]?.object ?? [:]
        lines += try gap(dnbMetadata["lines_after"], default: 0, what: "the notebook")
        let text = NotebookLayout.text(lines: lines, finalNewline: dnbMetadata["final_newline"]?.bool ?? true)
        try verify(text, codeCells: expectedCode, file: file)
        return text
    }

    /// The opening fence, the code and the closing fence. A fence kept from the `.dnb` is used again when it
    /// still declares the options of `metadata.dnb` (the options win when they were edited in Jupyter).
    static func codeLines(_ source: String, dnb: [String: JSON], cell: Int) throws -> [String] {
        let options = try CodeFence.options(dnb, cell: cell)
        let needed = CodeFence.backticksNeeded(for: source)
        var opening = CodeFence.opening(options, backticks: needed)
        var closing = CodeFence.closing(for: opening)
        if let kept = dnb["fence"]?.string, CodeFence.options(ofFence: kept) == options, CodeFence.backticks(kept) >= needed {
            opening = kept
            closing = CodeFence.closing(for: kept)
            if let keptClose = dnb["close"]?.string, CodeFence.closes(keptClose, CodeFence.backticks(kept)) { closing = keptClose }
        }
        let blank = source.isEmpty && dnb["blank_line"]?.bool == true
        let body = source.isEmpty ? (blank ? [""] : []) : source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return [opening] + body + [closing]
    }

    static func gap(_ value: JSON?, default count: Int, what: String) throws -> [String] {
        switch value {
        case nil: return Array(repeating: "", count: count)
        case .int(let n)? where n >= 0 && n <= 10_000: return Array(repeating: "", count: n)
        case .array(let items)?:
            let lines = items.compactMap(\.string)
            guard lines.count == items.count, lines.allSatisfy({ $0.allSatisfy(\.isWhitespace) && !$0.contains("\n") }) else {
                throw JSONError("\(what): metadata.dnb lines must be blank lines")
            }
            return lines
        default:
            throw JSONError("\(what): metadata.dnb lines must be a count of blank lines (0 to 10000)")
        }
    }

    /// The `.dnb` text must read back as exactly these code cells.
    static func verify(_ text: String, codeCells: [String], file: String) throws {
        let notebook: Notebook
        do {
            notebook = try Notebook(parsing: text, file: file)
        } catch let error as ParseError {
            throw JSONError("\(file) cannot be written as a .dnb file: \(error.message) (in cell metadata.dnb)")
        }
        let read = notebook.codeCells.map(\.text)
        guard read != codeCells else { return }
        let cell = (zip(read, codeCells).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(read.count, codeCells.count)) + 1
        throw JSONError("\(file) cannot be written as a .dnb file: its markdown would be read differently (near code cell \(cell): a markdown cell holds a ```dnb fence, or opens a fence it never closes)")
    }
}
