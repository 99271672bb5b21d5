import Foundation
import Testing
import DNBTestSupport
@testable import DNBPlot

/// Writes the notebook's figures and checks each one is a complete PNG of the right size.
/// They go to a per-test temporary folder, removed afterwards; set `DNB_PLOT_SAMPLES` to a
/// folder to keep them there for looking at (`DNB_PLOT_SAMPLES=out/samples swift test --filter SampleFigureTests`).
@Suite struct SampleFigureTests {
    private let scratch: TemporaryDirectory
    private let directory: String

    init() throws {
        scratch = try TemporaryDirectory("dnb-plot-samples")
        let keep = ProcessInfo.processInfo.environment["DNB_PLOT_SAMPLES"] ?? ""
        directory = keep.isEmpty ? scratch.path : keep
    }

    private func write(_ figure: Figure, _ name: String) throws -> PNGReader {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/\(name).png"
        try figure.write(png: path, metadata: ["dnb:cell": "sample \(name)"])
        let png = try PNGReader(path: path)
        #expect(png.width == figure.pixelSize.width)
        #expect(png.height == figure.pixelSize.height)
        #expect(png.text["dnb:cell"] == "sample \(name)")
        return png
    }

    @Test func lossCurve() throws {
        _ = try write(Figure.lossCurve(Fixtures.lossCurve(), title: "Training Loss over Time"), "loss")
    }

    @Test func logLossCurve() throws {
        _ = try write(Figure.lossCurve(Fixtures.lossCurve(), title: "Training Loss (log)", logY: true), "loss-log")
    }

    @Test func cleanNoisyDenoisedGrid() throws {
        let rows = try [0.0, 0.5, 0.05].map { noise in try (0..<8).map { try Fixtures.digit($0, noise: noise) } }
        _ = try write(Figure.imageGrid(rows, rowTitles: ["Clean", "Noisy", "Denoised"], cmap: .gray), "grid-3x8")
    }

    @Test func samplingSteps() throws {
        let images = try (0..<3).map { r in try (0..<5).map { try Fixtures.digit(r * 5 + $0) } }
        let titles = (0..<3).map { r in (0..<5).map { "Step \((r * 5 + $0) * 100)" } }
        _ = try write(Figure.imageGrid(images, titles: titles, suptitle: "Sampling"), "steps-3x5")
    }

    @Test func sideBySide() throws {
        let figure = Figure.sideBySide([try Fixtures.digit(0), try Fixtures.digit(1, noise: 0.4)],
                                       titles: ["Original", "Noised (t = 500)"])
        _ = try write(figure, "side-by-side")
    }

    @Test func madeGrid() throws {
        let grid = try makeGrid(images: (0..<16).map { try Fixtures.digit($0) }, nrow: 8, padding: 2, padValue: -1)
        let figure = try Figure(rows: 1, cols: 1, figsize: (8, 2.5))
        try figure.axes(0, 0).imshow(grid, cmap: .greys)
        try figure.axes(0, 0).axisOff()
        try figure.axes(0, 0).title = "make_grid, 16 samples"
        _ = try write(figure, "make-grid")
    }

    @Test func mixedSubplots() throws {
        let figure = try Figure(rows: 2, cols: 2, figsize: (10, 7))
        figure.suptitle = "Mixed subplots"
        let a = try figure.axes(0, 0)
        a.plot(y: (0..<50).map { sin(Double($0) / 5) }, label: "sin")
        a.plot(y: (0..<50).map { cos(Double($0) / 5) }, label: "cos")
        a.title = "Two lines"
        a.legend()
        a.grid()
        let b = try figure.axes(0, 1)
        b.imshow(try Fixtures.digit(2))
        b.title = "imshow with axes (viridis)"
        let c = try figure.axes(1, 0)
        c.plot(y: (0..<100).map { 1e-6 * Double($0) })
        c.title = "Tiny values"
        c.xlabel = "step"
        c.ylabel = "value"
        let d = try figure.axes(1, 1)
        d.plot(y: (0..<100).map { 1_000_000 + Double($0) * 0.5 })
        d.title = "Offset values"
        _ = try write(figure, "mixed")
    }

    @Test func longTitles() throws {
        let images = [Array(repeating: try Fixtures.digit(0), count: 6), Array(repeating: try Fixtures.digit(2), count: 6)]
        let titles = (0..<2).map { r in (0..<6).map { "Denoised at step \(r * 600 + $0 * 100)" } }
        _ = try write(Figure.imageGrid(images, titles: titles, suptitle: "Long titles must not collide"),
                      "long-titles")
    }
}
