import Testing
import DNBTestSupport
@testable import DNBPlot

/// imshow colours at known pixels. A 2×2-inch figure at 100 dpi with one
/// axis-off axes puts the image box at 15…185 (tight_layout's pad of
/// 1.08 × 10 pt = 15 px on each side), so a 2×2 image has 85-pixel cells.
@Suite struct ImshowTests {
    typealias RGB = (UInt8, UInt8, UInt8)

    private func render(_ image: GrayImage, cmap: Colormap, vmin: Double? = nil, vmax: Double? = nil,
                        figsize: (Double, Double) = (2, 2)) throws -> PNGReader {
        let figure = try Figure(rows: 1, cols: 1, figsize: figsize)
        try figure.axes(0, 0).imshow(image, cmap: cmap, vmin: vmin, vmax: vmax)
        try figure.axes(0, 0).axisOff()
        let directory = try TemporaryDirectory()
        let path = directory.file("imshow.png")
        try figure.write(png: path)
        return try PNGReader(path: path)
    }

    /// Colours at the centres of the four cells of a 2×2 image, row-major.
    private func cellColours(_ png: PNGReader) -> [RGB] {
        [(57, 57), (142, 57), (57, 142), (142, 142)].map { x, y in
            let p = png.pixel(x: x, y: y)
            return (p.red, p.green, p.blue)
        }
    }

    private func expectColours(_ actual: [RGB], _ expected: [RGB], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            #expect(a == e, "cell \(i): got \(a), expected \(e)", sourceLocation: sourceLocation)
        }
    }

    @Test func greysMapsLowToWhiteAndHighToBlack() throws {
        let png = try render(try GrayImage(width: 2, height: 2, pixels: [0, 1, 0.5, 0.25]), cmap: .greys, vmin: 0, vmax: 1)
        expectColours(cellColours(png), [(255, 255, 255), (0, 0, 0), (149, 149, 149), (216, 216, 216)])
    }

    @Test func imageFillsExactlyTheSquareBox() throws {
        let png = try render(try GrayImage(width: 2, height: 2, pixels: [1, 1, 1, 1]), cmap: .greys, vmin: 0, vmax: 1)
        // Black from 15 to 184 inclusive, white just outside.
        #expect(png.pixel(x: 15, y: 15).red == 0)
        #expect(png.pixel(x: 184, y: 184).red == 0)
        #expect(png.pixel(x: 14, y: 100).red == 255)
        #expect(png.pixel(x: 185, y: 100).red == 255)
        #expect(png.pixel(x: 100, y: 14).red == 255)
        #expect(png.pixel(x: 100, y: 185).red == 255)
    }

    @Test func withoutLimitsTheImageAutoscalesToItsOwnRange() throws {
        let png = try render(try GrayImage(width: 2, height: 2, pixels: [2, 4, 3, 2]), cmap: .greys)
        expectColours(cellColours(png), [(255, 255, 255), (0, 0, 0), (149, 149, 149), (255, 255, 255)])
    }

    @Test func valuesOutsideTheLimitsClipAndNaNShowsBackground() throws {
        let png = try render(try GrayImage(width: 2, height: 2, pixels: [-5, 7, 0.5, .nan]), cmap: .greys, vmin: 0, vmax: 1)
        expectColours(cellColours(png), [(255, 255, 255), (0, 0, 0), (149, 149, 149), (255, 255, 255)])
    }

    @Test func autoscaleIgnoresInfinityWhichClips() throws {
        let png = try render(try GrayImage(width: 2, height: 2, pixels: [0, .infinity, 1, -.infinity]), cmap: .greys)
        expectColours(cellColours(png), [(255, 255, 255), (0, 0, 0), (0, 0, 0), (255, 255, 255)])
    }

    @Test func grayIsTheReverseRamp() throws {
        let png = try render(try GrayImage(width: 2, height: 2, pixels: [0, 1, 0.5, 0.25]), cmap: .gray, vmin: 0, vmax: 1)
        expectColours(cellColours(png), [(0, 0, 0), (255, 255, 255), (128, 128, 128), (64, 64, 64)])
    }

    @Test func viridisEnds() throws {
        let png = try render(try GrayImage(width: 2, height: 2, pixels: [-1, 1, 1, -1]), cmap: .viridis)
        expectColours(cellColours(png), [(0x44, 0x01, 0x54), (0xfd, 0xe7, 0x24), (0xfd, 0xe7, 0x24), (0x44, 0x01, 0x54)])
    }

    @Test func constantImageUsesTheLowColour() throws {
        let png = try render(try GrayImage(width: 2, height: 2, fill: 0.7), cmap: .gray)
        expectColours(cellColours(png), Array(repeating: (0, 0, 0), count: 4))
    }

    @Test func wideImageKeepsSquarePixelsCentredVertically() throws {
        // 4×2 image in the 170×170 box: 170×85, from y = 57.5 (snapped to 58) to 142.5.
        let png = try render(try GrayImage(width: 4, height: 2, pixels: [1, 1, 1, 1, 1, 1, 1, 1]),
                             cmap: .greys, vmin: 0, vmax: 1)
        #expect(png.pixel(x: 100, y: 50).red == 255)
        #expect(png.pixel(x: 100, y: 60).red == 0)
        #expect(png.pixel(x: 100, y: 140).red == 0)
        #expect(png.pixel(x: 100, y: 150).red == 255)
        #expect(png.pixel(x: 16, y: 100).red == 0)
    }

    @Test func nearestNeighbourUpscalingKeepsHardEdges() throws {
        // A 28×28 checkerboard: every rendered pixel is pure black or white.
        let pixels: [Float] = (0..<(28 * 28)).map { (i: Int) -> Float in Float((i % 28 + i / 28) % 2) }
        let png = try render(try GrayImage(width: 28, height: 28, pixels: pixels), cmap: .greys, figsize: (3, 3))
        var greys = 0
        for y in 16..<284 {
            for x in 16..<284 where png.pixel(x: x, y: y).red != 0 && png.pixel(x: x, y: y).red != 255 {
                greys += 1
            }
        }
        #expect(greys == 0)
    }
}
