import Testing
@testable import DNBPlot

/// tight_layout's promise: decorations of neighbouring axes never overlap
/// and nothing is cut off at the figure edge.
@Suite struct LayoutTests {
    private func arrangement(_ figure: Figure) throws -> (plans: [AxesPlan], suptitle: PlacedText?, canvas: Canvas) {
        let size = figure.pixelSize
        let canvas = try Canvas(width: size.width, height: size.height, dpi: figure.dpi)
        let (plans, suptitle) = figure.arrange(on: canvas)
        return (plans, suptitle, canvas)
    }

    private func expectTidy(_ figure: Figure, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (plans, suptitle, canvas) = try arrangement(figure)
        let page = Rect(x: 0, y: 0, width: Double(canvas.width), height: Double(canvas.height))
        for (i, plan) in plans.enumerated() {
            let bounds = plan.tightBounds
            #expect(page.insetBy(1).union(bounds) == page.insetBy(1), "axes \(i) sticks out: \(bounds)",
                    sourceLocation: sourceLocation)
            for (j, other) in plans.enumerated() where j > i {
                #expect(!bounds.intersects(other.tightBounds), "axes \(i) and \(j) overlap",
                        sourceLocation: sourceLocation)
            }
            if let suptitle {
                #expect(!bounds.intersects(suptitle.bounds), "axes \(i) overlaps the suptitle",
                        sourceLocation: sourceLocation)
            }
        }
    }

    @Test func notebookFiguresAreTidy() throws {
        try expectTidy(Figure.lossCurve(Fixtures.lossCurve()))
        try expectTidy(Figure.lossCurve(Fixtures.lossCurve(), logY: true))
        let rows = try (0..<3).map { _ in try (0..<8).map { try Fixtures.digit($0) } }
        try expectTidy(Figure.imageGrid(rows, rowTitles: ["Clean", "Noisy", "Denoised"]))
        let titles = (0..<3).map { r in (0..<5).map { "Step \((r * 5 + $0) * 100)" } }
        try expectTidy(Figure.imageGrid(Array(repeating: Array(repeating: try Fixtures.digit(0), count: 5), count: 3),
                                        titles: titles, suptitle: "Sampling"))
        try expectTidy(Figure.sideBySide([try Fixtures.digit(0), try Fixtures.digit(1)], titles: ["Original", "Noised"]))
    }

    @Test func longTitlesShrinkImagesInsteadOfOverlapping() throws {
        let images = [Array(repeating: try Fixtures.digit(0), count: 6)]
        let titles = [Array(repeating: "Denoised at step 999", count: 6)]
        let figure = Figure.imageGrid(images, titles: titles)
        try expectTidy(figure)
        let (plans, _, _) = try arrangement(figure)
        #expect(plans.allSatisfy { $0.box.width < 190 })
    }

    @Test func labelledSubplotGridIsTidy() throws {
        let figure = try Figure(rows: 2, cols: 3, figsize: (9, 6))
        figure.suptitle = "Diagnostics"
        for row in 0..<2 {
            for col in 0..<3 {
                let axes = try figure.axes(row, col)
                axes.plot(y: (0..<500).map { 1e5 * Double($0) }, label: "series")
                axes.title = "Panel \(row)-\(col)"
                axes.xlabel = "Iteration"
                axes.ylabel = "Value"
                axes.legend()
            }
        }
        try expectTidy(figure)
    }

    @Test func gridCellsShareOneSize() throws {
        let figure = try Figure(rows: 2, cols: 2, figsize: (8, 6))
        try figure.axes(0, 0).ylabel = "a much longer y label"
        try figure.axes(1, 1).title = "title"
        let (plans, _, _) = try arrangement(figure)
        let widths = Set(plans.map { ($0.box.width * 1000).rounded() })
        let heights = Set(plans.map { ($0.box.height * 1000).rounded() })
        #expect(widths.count == 1 && heights.count == 1)
    }
}
