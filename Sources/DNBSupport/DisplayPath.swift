import Foundation

/// How a path is named in output that can end up in a report someone else reads: relative to the run's
/// output folder when it is inside it (`figures/loss.png`, `checkpoints/run`), relative to the working
/// directory when inside it (`notebooks/x.dnb`), `~/…` inside the home folder, relative to the output
/// folder or else the working directory when near it (`../nb.dnb`, `../shared/data/mnist`), as it is under the system's own folders (`/usr/share/datasets/fashion-mnist`, the same
/// on every Debian), and otherwise by its last two parts (`…/data/mnist`). So a report names no user
/// name and no layout of the machine it was made on, and a path still means something next to it.
public struct DisplayPath: Sendable {
    public var outputDirectory: String?
    public var home: String?
    public var workingDirectory: String

    /// Folders that are the distribution's, not this machine's.
    static let systemFolders = ["/usr/", "/opt/", "/etc/", "/bin/", "/lib/", "/proc/", "/sys/", "/dev/"]

    public init(outputDirectory: String?, home: String? = ProcessInfo.processInfo.environment["HOME"],
                workingDirectory: String = FileManager.default.currentDirectoryPath) {
        self.workingDirectory = Self.absolute(workingDirectory, from: "/")
        self.outputDirectory = outputDirectory.map { Self.absolute($0, from: self.workingDirectory) }
        self.home = home.flatMap { $0.hasPrefix("/") && $0 != "/" ? Self.absolute($0, from: "/") : nil }
    }

    /// `path` as it should be shown (a relative `path` is taken from the working directory).
    public func shown(_ path: String) -> String {
        let full = Self.absolute(path, from: workingDirectory)
        if let outputDirectory, let inside = Self.relative(full, inside: outputDirectory) { return inside.isEmpty ? "." : inside }
        if let inside = Self.relative(full, inside: workingDirectory) { return inside.isEmpty ? "." : inside }
        if let home, let inside = Self.relative(full, inside: home) { return inside.isEmpty ? "~" : "~/" + inside }
        if let outputDirectory, let beside = Self.beside(full, outputDirectory) { return beside }
        if let beside = Self.beside(full, workingDirectory) { return beside }
        if Self.systemFolders.contains(where: full.hasPrefix) { return full }
        let parts = full.split(separator: "/")
        return parts.count <= 2 ? full : "…/" + parts.suffix(2).joined(separator: "/")
    }

    /// Every absolute path in `text` rewritten as `shown` does, for free text such as a tool's log or an
    /// error message. A path starts with `/` where a word can start (so `https://host/x` and `1/2` are
    /// left alone, and so is the `//host/…` of a URL), has at least two parts, and ends at a space, quote, bracket, comma, `:` or `;`.
    public func scrub(_ text: String) -> String {
        var result = "", rest = Substring(text)
        var previous: Character? = nil
        while let first = rest.first {
            if first == "/", previous.map(Self.pathStarts.contains) ?? true, !rest.hasPrefix("//") {
                let token = rest.prefix { !Self.pathEnds.contains($0) }
                var path = String(token)
                var trailing = ""
                while let last = path.last, last == "." || last == "/", path.count > 1 { trailing.insert(path.removeLast(), at: trailing.startIndex) }
                if path.split(separator: "/").count >= 2 {
                    result += shown(path) + trailing
                    rest = rest.dropFirst(token.count)
                    previous = token.last
                    continue
                }
            }
            result.append(first)
            previous = first
            rest = rest.dropFirst()
        }
        return result
    }

    private static let pathStarts: Set<Character> = [" ", "\t", "\n", "\"", "'", "`", "(", "[", "<", "=", ":", ","]
    private static let pathEnds: Set<Character> = [" ", "\t", "\n", "\"", "'", "`", ")", "]", ">", ",", ":", ";"]

    static func absolute(_ path: String, from base: String) -> String {
        let joined = path.hasPrefix("/") ? path : (base.hasSuffix("/") ? base : base + "/") + path
        return URL(fileURLWithPath: joined).standardized.path
    }

    /// The part of `path` under `folder` ("" for the folder itself), nil when it is not inside.
    static func relative(_ path: String, inside folder: String) -> String? {
        if path == folder { return "" }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : nil
    }

    /// `../shared/data` for a path that shares more than the root with the working directory, at most
    /// two levels up (further up, the `..` chain says more about this machine than the path does).
    static func beside(_ path: String, _ workingDirectory: String) -> String? {
        let target = path.split(separator: "/"), base = workingDirectory.split(separator: "/")
        var common = 0
        while common < min(target.count, base.count), target[common] == base[common] { common += 1 }
        let ups = base.count - common
        guard common > 0, ups <= 2 else { return nil }
        return (Array(repeating: "..", count: ups) + target[common...].map(String.init)).joined(separator: "/")
    }
}
