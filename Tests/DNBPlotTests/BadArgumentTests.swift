import DNBTestSupport
import Foundation
import Testing
@testable import DNBPlot

/// Sizes and indices out of range are thrown `PlotError`s whose message says what is allowed,
/// never a trap.
@Suite struct BadArgumentTests {
    private func message(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let error = #expect(throws: PlotError.self, sourceLocation: sourceLocation) { try body() }
        return error.map(String.init(describing:)) ?? ""
    }

    @Test(arguments: [(0, 1), (1, 0), (-3, 2), (Int.min, 1)])
    func figureNeedsARowAndAColumn(rows: Int, cols: Int) {
        let text = message { _ = try Figure(rows: rows, cols: cols) }
        #expect(text.contains("at least 1 row and 1 column") && text.contains("rows=\(rows) cols=\(cols)"), "\(text)")
    }

    @Test func subplotCountThatOverflowsIsRefused() {
        #expect(message { _ = try Figure(rows: Int.max, cols: 2) }.contains("too large"))
    }

    @Test(arguments: [(2, 0), (0, 3), (-1, 0), (0, -1), (Int.max, Int.max)])
    func subplotOutsideTheGrid(row: Int, col: Int) throws {
        let figure = try Figure(rows: 2, cols: 3)
        let text = message { _ = try figure.axes(row, col) }
        #expect(text.contains("axes(\(row), \(col)) is outside a 2x3 figure"), "\(text)")
        #expect(text.contains("row must be in 0..<2, col in 0..<3"), "\(text)")
        _ = try figure.axes(1, 2)    // the last one is inside
    }

    @Test func grayImagePixelCountMustMatchItsSize() throws {
        #expect(message { _ = try GrayImage(width: 2, height: 2, pixels: [1, 2, 3]) } ==
                "a 2x2 image needs 4 pixels, got 3")
        #expect(message { _ = try GrayImage(width: -1, height: 2, pixels: []) }.contains("must not be negative"))
        #expect(message { _ = try GrayImage(width: 3, height: -2, fill: 0) }.contains("must not be negative"))
        #expect(message { _ = try GrayImage(width: Int.max, height: 2, fill: 0) }.contains("too many pixels"))
        #expect(try GrayImage(width: 0, height: 5).pixels.isEmpty)
        #expect(try GrayImage(width: 2, height: 1, pixels: [1, 2]).pixels == [1, 2])
    }

    @Test(arguments: [(2, 2, 15), (2, 2, 17), (0, 2, 0), (2, -1, 0), (Int.max, 2, 8)])
    func pngWriterRefusesABufferOfTheWrongSize(width: Int, height: Int, bytes: Int) throws {
        let folder = try TemporaryDirectory()
        let text = message {
            try PNGWriter.write(rgba: [UInt8](repeating: 0, count: bytes), width: width, height: height,
                                text: [], to: folder.file("bad.png"))
        }
        #expect(text.contains("cannot write PNG") && text.contains("\(bytes) RGBA bytes for a \(width)x\(height) image"),
                "\(text)")
        #expect(folder.contents.isEmpty, "nothing may be left behind: \(folder.contents)")
    }
}
