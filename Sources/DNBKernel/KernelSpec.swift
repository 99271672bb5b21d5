import DNBJupyter
import DNBSupport
import Foundation

/// A kernelspec: the folder `kernels/NAME` with `kernel.json` (how Jupyter starts the kernel) and logos.
/// dnb replaces or removes only a kernelspec it wrote itself (its kernel.json says so in `metadata.dnb`),
/// and of it only the files it writes; a folder holding anything else is left in place.
public struct KernelSpec {
    public static let files = ["kernel.json", "logo-32x32.png", "logo-64x64.png"]

    public var name: String
    public var displayName: String
    public var executable: String
    public var version: String

    public init(name: String, displayName: String, executable: String, version: String) {
        self.name = name
        self.displayName = displayName
        self.executable = executable
        self.version = version
    }

    /// Where Jupyter looks: `PREFIX/share/jupyter/kernels/NAME` for `--prefix`, else the user's data folder
    /// (`$JUPYTER_DATA_DIR`, `$XDG_DATA_HOME/jupyter`, `~/.local/share/jupyter`) + `/kernels/NAME`.
    public static func directory(name: String, prefix: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let prefix { return prefix + "/share/jupyter/kernels/" + name }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let data = environment["JUPYTER_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/share") + "/jupyter"
        return data + "/kernels/" + name
    }

    /// kernel.json. `interrupt_mode` is `message`: the kernel stops a running cell on an interrupt_request
    /// on its control socket (it also honours SIGINT), which works wherever the client cannot signal it.
    public var kernelJSON: JSON {
        ["argv": [.string(executable), "kernel", "-f", "{connection_file}"], "display_name": .string(displayName),
         "language": "dnb", "interrupt_mode": "message",
         "metadata": ["debugger": false, "dnb": ["written_by": "dnb kernel install", "version": .string(version)]]]
    }

    /// Writes the kernelspec into `directory` (created if missing); `logos` maps file names to PNG bytes.
    public func install(into directory: String, logos: [String: [UInt8]]) throws {
        try Self.refuseForeign(directory)
        try AtomicFile.createDirectory(directory)
        try AtomicFile.write(kernelJSON.pretty, to: directory + "/kernel.json")
        for (file, png) in logos.sorted(by: { $0.key < $1.key }) where Self.files.contains(file) {
            try AtomicFile.write(png, to: directory + "/" + file)
        }
    }

    /// Removes the files dnb wrote, then the folder when nothing else is in it. Returns what remains, if anything.
    public static func uninstall(_ directory: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: directory + "/kernel.json") else {
            throw FileError("no dnb kernelspec in \(directory) (no kernel.json there)")
        }
        try refuseForeign(directory)
        for file in files where FileManager.default.fileExists(atPath: directory + "/" + file) {
            guard unlink(directory + "/" + file) == 0 else { throw FileError("remove", directory + "/" + file, errno: errno) }
        }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        if left.isEmpty, rmdir(directory) != 0 { throw FileError("remove folder", directory, errno: errno) }
        return left.sorted()
    }

    /// A kernel.json that dnb did not write (another kernel of that name) is never replaced or removed.
    static func refuseForeign(_ directory: String) throws {
        let path = directory + "/kernel.json"
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let json = try? JSON(parsing: Array(data))
        guard json?["metadata"]?["dnb"]?["written_by"]?.string == "dnb kernel install" else {
            throw FileError("\(path) belongs to another kernel (dnb did not write it); choose another --name or remove it yourself")
        }
    }
}
