import DNBLanguage

/// What every `.ipynb` dnb writes shares: nbformat 4.5, the dnb kernelspec and language, sources as lines.
public enum IPynb {
    public static let kernelName = "dnb"

    /// `language_info` for notebooks and for the kernel's `kernel_info_reply`. dnb's syntax (words,
    /// `name=value`, `#` comments, `$variables`, `{ }` blocks) reads best with a shell mode.
    public static func languageInfo(version: String) -> JSON {
        ["name": "dnb", "version": .string(version), "mimetype": "text/x-dnb", "file_extension": ".dnb",
         "pygments_lexer": "bash", "codemirror_mode": "shell"]
    }

    public static var kernelspec: JSON {
        ["name": .string(kernelName), "display_name": "dnb", "language": "dnb"]
    }

    /// nbformat's multi-line string: a list of lines, each but the last ending in a newline.
    public static func sourceLines(_ text: String) -> JSON {
        var lines: [JSON] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == "\n" {
                lines.append(.string(current))
                current = ""
            }
        }
        if !current.isEmpty { lines.append(.string(current)) }
        return .array(lines)
    }

    /// A multi-line string read back: a list of strings joined, or one string.
    static func text(_ source: JSON?) -> String? {
        switch source {
        case .string(let text): return text
        case .array(let items):
            var text = ""
            for item in items {
                guard let line = item.string else { return nil }
                text += line
            }
            return text
        case nil: return ""
        default: return nil
        }
    }

    /// An nbformat 4.5 document around `cells`, with the dnb kernel.
    static func document(cells: [JSON], version: String, dnbMetadata: [String: JSON]) -> JSON {
        var metadata: [String: JSON] = ["kernelspec": kernelspec, "language_info": languageInfo(version: version)]
        if !dnbMetadata.isEmpty { metadata["dnb"] = .object(dnbMetadata) }
        return ["nbformat": 4, "nbformat_minor": 5, "metadata": .object(metadata), "cells": .array(cells)]
    }

    /// nbformat 4.5 cell ids: 1 to 64 of `a-z A-Z 0-9 - _`, unique in the notebook.
    static func isValidCellID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
        }
    }
}
