import Foundation
import DNBEngine
import DNBPlot
import DNBLanguage
import DNBSupport

extension Workspace {
    /// Writes `figure` as figures/NAME.png under the output directory, with provenance
    /// text chunks (command, source location, seed, arguments), and links it in the output.
    func emit(_ figure: DNBPlot.Figure, name: String?, defaultName: String, caption: String,
              _ invocation: Invocation, _ context: CommandContext) throws {
        let base = sanitize(name ?? defaultName)
        let count = (figureCounts[base] ?? 0) + 1
        figureCounts[base] = count
        let file = count == 1 ? "\(base).png" : "\(base)-\(count).png"
        let relative = "figures/" + file
        let directory = URL(fileURLWithPath: context.outputDirectory).appendingPathComponent("figures")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let arguments = invocation.arguments.keys.sorted().map { "\($0)=\(invocation.arguments[$0]!.literal)" }.joined(separator: " ")
        // The PNG travels with the report (report.html embeds it): its paths are named as the report's are.
        let paths = DisplayPath(outputDirectory: context.outputDirectory)
        try figure.write(png: directory.appendingPathComponent(file).path, metadata: [
            "dnb:command": invocation.commandPath,
            "dnb:source": paths.scrub(invocation.location.description),
            "dnb:seed": String(seed),
            "dnb:arguments": paths.scrub(arguments),
            "dnb:parameters": paths.scrub(context.parameters.map { "\($0.name)=\($0.value.literal)" }.joined(separator: " ")),
            "Title": caption,
        ])
        figureLog.append((relative, caption))
        context.setResultIfDeclared(Results.figure.name, .string(relative))
        context.out.figure(path: relative, caption: caption)
    }

    private func sanitize(_ s: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        let cleaned = String(s.map { allowed.contains($0) ? $0 : "-" })
        return cleaned.isEmpty ? "figure" : cleaned
    }
}

/// Images of an NHWC batch as plot images (first channel), optionally mapped from [-1, 1] to [0, 1].
func grayImages(_ t: Tensor, fromSymmetric: Bool = false) throws -> [GrayImage] {
    let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
    return try (0..<n).map { i in
        var pixels = [Float](repeating: 0, count: h * w)
        for p in 0..<(h * w) {
            let v = t.data[(i * h * w + p) * c]
            pixels[p] = fromSymmetric ? (v + 1) / 2 : v
        }
        return try GrayImage(width: w, height: h, pixels: pixels)
    }
}

/// torchvision.utils.make_grid of a batch then clipped to [0, 1], as the tutorial plots its refinement rows.
func gridImage(_ t: Tensor, nrow: Int = 8, fromSymmetric: Bool = false) throws -> GrayImage {
    let grid = try makeGrid(images: grayImages(t, fromSymmetric: fromSymmetric), nrow: nrow)
    return try GrayImage(width: grid.width, height: grid.height, pixels: grid.pixels.map { min(max($0, 0), 1) })
}

/// The one rule for relative paths (docs/language.md, "Files and paths"): a command *writes* a relative path
/// in the output directory (next to the report); it *reads* a relative path from the output directory if it
/// is there, else from the working directory. Absolute paths are used as they are.
/// `~` and `~/…` are the home folder (path arguments are expanded when bound; this covers the rest).
///
/// Under mpirun, ranks other than 0 write only inside their private output folder (`sharedOutputDirectory` is
/// then set): an absolute path goes to `.absolute/<path>` there, so that rank 0 alone writes where it points.
public func outputPath(_ path: String, _ context: CommandContext) -> String {
    let path = ValueType.expandingTilde(path)
    if path.hasPrefix("/") {
        return context.sharedOutputDirectory == nil ? path : URL(fileURLWithPath: context.outputDirectory).appendingPathComponent(".absolute" + path).path
    }
    return URL(fileURLWithPath: context.outputDirectory).appendingPathComponent(path).path
}

/// Where a command reads a file or folder it was given, by the rule above. A relative path found in neither
/// place is an error that names both full paths tried.
public func inputPath(_ path: String, _ context: CommandContext) throws -> String {
    let path = ValueType.expandingTilde(path)
    if path.hasPrefix("/") {
        // A rank other than 0 reads back what it wrote there itself (see outputPath), else the path.
        let own = outputPath(path, context)
        return own != path && FileManager.default.fileExists(atPath: own) ? own : path
    }
    let tried = [outputPath(path, context), URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path).path]
    // A rank other than 0 under mpirun looks in its private output folder (what this run wrote), then in the
    // run's real one (what earlier runs left), then in the working directory: the order rank 0 sees.
    let shared = context.sharedOutputDirectory.map { [URL(fileURLWithPath: $0).appendingPathComponent(path).path] } ?? []
    if let found = ([tried[0]] + shared + [tried[1]]).first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
    throw FileError("no file or folder \(path): looked in the output directory (\(tried[0])) and the working directory (\(tried[1]))")
}
