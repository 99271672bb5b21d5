import Testing
@testable import DNBPlot

/// torchvision.utils.make_grid semantics for one-channel images.
@Suite struct MakeGridTests {
    @Test func layoutAndPaddingValuesExactly() throws {
        let images = try (1...3).map { try GrayImage(width: 2, height: 2, fill: Float($0)) }
        let grid = try makeGrid(images: images, nrow: 2, padding: 1, padValue: -1)
        #expect(grid.width == 7)
        #expect(grid.height == 7)
        let p: Float = -1
        let expected: [Float] = [
            p, p, p, p, p, p, p,
            p, 1, 1, p, 2, 2, p,
            p, 1, 1, p, 2, 2, p,
            p, p, p, p, p, p, p,
            p, 3, 3, p, p, p, p,
            p, 3, 3, p, p, p, p,
            p, p, p, p, p, p, p,
        ]
        #expect(grid.pixels == expected)
    }

    @Test func torchvisionDefaultsForMNISTBatches() throws {
        let batch = try (0..<64).map { try Fixtures.digit($0) }
        let grid = try makeGrid(images: batch)
        #expect(grid.width == 242 && grid.height == 242)  // 8 × (28 + 2) + 2
        #expect(grid[0, 0] == 0 && grid[1, 1] == 0)
        #expect(grid[2, 2] == batch[0][0, 0])
        #expect(grid[2 + 30 * 7 + 27, 2 + 30 * 7 + 27] == batch[63][27, 27])
        let ten = try makeGrid(images: Array(batch.prefix(10)))
        #expect(ten.width == 242 && ten.height == 62)
    }

    @Test func fewerImagesThanNrowMakeOneRow() throws {
        let grid = try makeGrid(images: [try GrayImage(width: 3, height: 1, pixels: [1, 2, 3])], nrow: 8, padding: 0)
        #expect(try grid == GrayImage(width: 3, height: 1, pixels: [1, 2, 3]))
    }

    @Test func invalidInputsThrow() {
        #expect(throws: PlotError.emptyImageList) { try makeGrid(images: []) }
        #expect(throws: PlotError.self) {
            try makeGrid(images: [try GrayImage(width: 2, height: 2), try GrayImage(width: 3, height: 2)])
        }
        #expect(throws: PlotError.self) { try makeGrid(images: [try GrayImage(width: 2, height: 2)], nrow: 0) }
        #expect(throws: PlotError.self) { try makeGrid(images: [try GrayImage(width: 2, height: 2)], padding: -1) }
        // A padding whose grid size overflows Int is refused, not a trap.
        #expect(throws: PlotError.invalidGridArgument("padding \(Int.max / 2) makes a grid too large to count its pixels")) {
            try makeGrid(images: [try GrayImage(width: 2, height: 2)], padding: Int.max / 2)
        }
    }
}
