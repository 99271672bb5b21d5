import Testing
@testable import DNBPlot

/// Inputs a REPL user can produce by accident must render, not crash.
@Suite struct DegenerateInputTests {
    private func renders(_ figure: Figure, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let image = try figure.renderRGBA()
            #expect(image.width == figure.pixelSize.width, sourceLocation: sourceLocation)
            #expect(image.rgba.count == image.width * image.height * 4, sourceLocation: sourceLocation)
        } catch {
            Issue.record("rendering failed: \(error)", sourceLocation: sourceLocation)
        }
    }

    static let series: [[Double]] = [
        [], [0.5], [3, 3, 3, 3], [.nan, .nan], [.infinity, -.infinity], [0, 0],
        [1e-300, 2e-300], [-1e308, 1e308], [1.7e308, 1.7e308], [1e15, 1e15 + 1],
        [1, .nan, 2, .nan, 3], [-5, -4, -3],
    ]

    @Test(arguments: series)
    func linearLossCurves(_ values: [Double]) {
        renders(Figure.lossCurve(values))
    }

    @Test(arguments: series)
    func logLossCurves(_ values: [Double]) {
        renders(Figure.lossCurve(values, logY: true))
    }

    @Test func mismatchedXAndYUseTheShorter() throws {
        let figure = try Figure()
        try figure.axes(0, 0).plot(y: [1, 2, 3], x: [0, 1])
        let lines = try figure.axes(0, 0).lines
        #expect(lines[0].x.count == 2 && lines[0].y.count == 2)
        renders(figure)
    }

    @Test func emptyAndOddImages() throws {
        let images = try [GrayImage(width: 0, height: 0), GrayImage(width: 1, height: 1, fill: .nan),
                      GrayImage(width: 300, height: 1, fill: 1), GrayImage(width: 1, height: 500, fill: 0)]
        for image in images {
            let figure = try Figure(figsize: (3, 3))
            try figure.axes(0, 0).imshow(image, cmap: .greys)
            try figure.axes(0, 0).title = "odd"
            renders(figure)
            renders(Figure.sideBySide([image, image], titles: ["a", "b"]))
        }
        renders(Figure.imageGrid([]))
        renders(Figure.imageGrid([[try Fixtures.digit(0)], []], rowTitles: ["only", "none"]))
        let swapped = try Figure()
        try swapped.axes(0, 0).imshow(Fixtures.digit(1), vmin: 1, vmax: -1)
        renders(swapped)
    }

    @Test func crowdedTinyFigureStillRenders() throws {
        let figure = try Figure(rows: 6, cols: 6, figsize: (2, 2), dpi: 50)
        figure.suptitle = "a very long suptitle that does not fit at all"
        for row in 0..<6 {
            for col in 0..<6 {
                let axes = try figure.axes(row, col)
                axes.plot(y: [1, 2, 3], label: "x")
                axes.title = "title \(row) \(col)"
                axes.xlabel = "x"
                axes.ylabel = "y"
                axes.legend()
            }
        }
        renders(figure)
    }

    @Test func emptyAxesWithLabelsAndFixedLimits() throws {
        let figure = try Figure(rows: 1, cols: 2)
        try figure.axes(0, 0).xlabel = "nothing"
        try figure.axes(0, 0).legend()
        try figure.axes(0, 1).plot(y: [1, 2, 3])
        try figure.axes(0, 1).xLimits = (10, 0)      // inverted on purpose
        try figure.axes(0, 1).yLimits = (5, 5)       // empty: ignored
        renders(figure)
    }

    @Test(arguments: [(0.0, 4.0), (-1, 4), (.nan, 4), (1e12, 1)])
    func impossibleFigureSizesThrow(_ figsize: (Double, Double)) {
        #expect(throws: PlotError.self) { try Figure(figsize: figsize).renderRGBA() }
    }
}
