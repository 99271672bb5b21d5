import Foundation

/// Small Markdown building blocks for reports and saved sessions.
enum Markdown {
    /// A fenced block whose fence is longer than any backtick run inside,
    /// so output containing ``` cannot end it early.
    static func fenced(_ text: String, info: String) -> String {
        var longest = 0, run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return fence + info + "\n" + text + "\n" + fence
    }

    /// An inline code span that survives backticks in the text.
    static func code(_ text: String) -> String {
        var longest = 0, run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let ticks = String(repeating: "`", count: longest + 1)
        let padding = longest > 0 ? " " : ""
        return ticks + padding + text + padding + ticks
    }

    static func table(_ table: Table) -> String {
        let width = max(table.headers.count, table.rows.map(\.count).max() ?? 0)
        func row(_ cells: [String]) -> String {
            let padded = (0..<width).map { $0 < cells.count ? escapeCell(cells[$0]) : "" }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        var lines = [row(table.headers), "|" + String(repeating: " --- |", count: width)]
        lines += table.rows.map(row)
        return lines.joined(separator: "\n")
    }

    private static func escapeCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: "<br>")
    }

    /// Escapes characters that would turn plain text into emphasis, links or
    /// HTML. Backticks stay: messages use them for code, which should render as code.
    static func escapeInline(_ text: String) -> String {
        var result = ""
        for character in text {
            if "\\*_[]<>".contains(character) { result.append("\\") }
            result.append(character == "\n" ? " " : character)
        }
        return result
    }

    static func escapeLink(_ path: String) -> String {
        path.replacingOccurrences(of: " ", with: "%20").replacingOccurrences(of: "(", with: "%28")
            .replacingOccurrences(of: ")", with: "%29")
    }

    /// `2025-01-02 03:04:05 UTC`, computed directly so it does not depend on
    /// the machine's locale or time zone.
    static func utcTimestamp(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Days to civil date (proleptic Gregorian), after Howard Hinnant's algorithm.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60)) UTC"
    }
}

/// `2025-01-02 03:04:05 UTC`, whatever the machine's locale and time zone.
public func utcTimestamp(_ date: Date) -> String { Markdown.utcTimestamp(date) }
