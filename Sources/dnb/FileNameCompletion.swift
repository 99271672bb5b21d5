import Foundation

/// File names for Tab completion, written the way the language needs them:
/// a path is a string, so outside quotes a candidate opens one, and a file
/// (not a directory, which the user may want to descend into) closes it.
enum FileNameCompletion {
    struct Candidate {
        var text: String
        /// True when the candidate is finished (a file): a space may follow.
        var isComplete: Bool
    }

    /// Entries matching `partial` (the path typed so far, without quotes).
    static func candidates(for partial: String, insideString: Bool) -> [Candidate] {
        let slash = partial.lastIndex(of: "/")
        let directoryPart = slash.map { String(partial[...$0]) } ?? ""
        let namePrefix = slash.map { String(partial[partial.index(after: $0)...]) } ?? partial
        var directory = directoryPart.isEmpty ? "." : directoryPart
        if directory.hasPrefix("~") { directory = (directory as NSString).expandingTildeInPath }

        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        let open = insideString ? "" : "\""
        return names.filter { name in
            name.hasPrefix(namePrefix) && (namePrefix.hasPrefix(".") || !name.hasPrefix("."))
        }.sorted().map { name in
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(name), isDirectory: &isDirectory)
            if isDirectory.boolValue { return Candidate(text: open + directoryPart + name + "/", isComplete: false) }
            return Candidate(text: open + directoryPart + name + "\"", isComplete: true)
        }
    }
}
