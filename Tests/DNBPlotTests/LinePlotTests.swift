import Testing
@testable import DNBPlot

/// Line plots read back from their pixels.
@Suite struct LinePlotTests {
    private func render(_ figure: Figure) throws -> (width: Int, height: Int, rgba: [UInt8]) {
        try figure.renderRGBA()
    }

    private func count(_ colour: Color, in image: (width: Int, height: Int, rgba: [UInt8])) -> Int {
        let target = [colour.red, colour.green, colour.blue].map { UInt8(($0 * 255).rounded()) }
        var n = 0
        for i in stride(from: 0, to: image.rgba.count, by: 4)
        where image.rgba[i] == target[0] && image.rgba[i + 1] == target[1] && image.rgba[i + 2] == target[2] {
            n += 1
        }
        return n
    }

    @Test func lossCurveIsDrawnInC0() throws {
        let image = try render(Figure.lossCurve(Fixtures.lossCurve()))
        #expect(image.width == 800 && image.height == 400)
        #expect(count(Color(hex: "#1f77b4"), in: image) > 1000)
        #expect(count(Color(hex: "#ff7f0e"), in: image) == 0)
        #expect(count(Style.gridColor, in: image) > 500)
    }

    @Test func secondLineTakesC1AndExplicitColoursWin() throws {
        let figure = try Figure()
        try figure.axes(0, 0).plot(y: [0, 1, 0, 1])
        try figure.axes(0, 0).plot(y: [1, 0, 1, 0])
        try figure.axes(0, 0).plot(y: [0.5, 0.5], color: Color(hex: "#d62728"))
        let image = try render(figure)
        #expect(count(Color.cycle(0), in: image) > 100)
        #expect(count(Color.cycle(1), in: image) > 100)
        #expect(count(Color(hex: "#d62728"), in: image) > 100)
    }

    @Test func gridIsOffByDefault() throws {
        // Anti-aliased text can hit the grid grey by chance (20-odd pixels, more or fewer with the state of
        // cairo's glyph cache, so an absolute threshold was flaky), so compare with a gridded twin: the grid
        // adds thousands of pixels of its grey, the plain figure holds a few percent of that at most.
        let plain = try Figure()
        try plain.axes(0, 0).plot(y: [1, 2, 3])
        let gridded = try Figure()
        try gridded.axes(0, 0).plot(y: [1, 2, 3])
        try gridded.axes(0, 0).grid()
        let without = count(Style.gridColor, in: try render(plain))
        let with = count(Style.gridColor, in: try render(gridded))
        #expect(with > without + 1000)
        #expect(without * 20 < with, "grid-grey pixels without a grid: \(without), with: \(with)")
    }

    @Test func legendBoxGoesWhereTheDataIsNot() throws {
        // A falling line leaves the upper right free; a rising one the upper left.
        let falling = try Figure()
        try falling.axes(0, 0).plot(y: (0..<100).map { 100 - Double($0) }, label: "falling")
        try falling.axes(0, 0).legend()
        let rising = try Figure()
        try rising.axes(0, 0).plot(y: (0..<100).map(Double.init), label: "rising")
        try rising.axes(0, 0).legend()
        let edge = Style.legendEdgeColor
        func legendSide(_ figure: Figure) throws -> String {
            let image = try render(figure)
            var left = 0
            var right = 0
            let target = UInt8((edge.red * 255).rounded())
            for y in 0..<(image.height / 2) {
                for x in 0..<image.width {
                    let i = (y * image.width + x) * 4
                    if image.rgba[i] == target && image.rgba[i + 1] == target && image.rgba[i + 2] == target {
                        if x < image.width / 2 { left += 1 } else { right += 1 }
                    }
                }
            }
            return left > right ? "left" : "right"
        }
        #expect(try legendSide(falling) == "right")
        #expect(try legendSide(rising) == "left")
    }

    /// Marks alone (line width 0) and marks on a line: a 6-point circle at 100 dpi is 8.3 pixels across,
    /// about 54 pixels, of which the anti-aliased rim is not the exact colour: three marks give well over
    /// 60 pure pixels; the same points as a line of width 0 without marks give none.
    @Test func markersAloneAndOnALine() throws {
        let marks = try Figure()
        try marks.axes(0, 0).plot(y: [1, 3, 2], x: [1, 2, 3], lineWidth: 0, marker: .circle)
        let bare = try Figure()
        try bare.axes(0, 0).plot(y: [1, 3, 2], x: [1, 2, 3], lineWidth: 0)
        let both = try Figure()
        try both.axes(0, 0).plot(y: [1, 3, 2], x: [1, 2, 3], marker: Marker(size: 12))
        let line = try Figure()
        try line.axes(0, 0).plot(y: [1, 3, 2], x: [1, 2, 3])
        let c0 = Color.cycle(0)
        let (m, b, l, lm) = (count(c0, in: try render(marks)), count(c0, in: try render(bare)),
                             count(c0, in: try render(line)), count(c0, in: try render(both)))
        #expect(m > 60 && m < 3 * 60, "\(m) pixels of three marks")
        #expect(b == 0)
        #expect(lm > l + 3 * 100, "the 12-point marks add to the line: \(lm) against \(l)")
    }

    /// Fixed ticks (categories) replace the locator: at their positions, with their labels, those outside
    /// the view left out; without them the locator's numbers return.
    @Test func fixedTicksReplaceTheLocator() throws {
        let axes = try Figure().axes(0, 0)
        axes.plot(y: [3, 1, 2], x: [1, 2, 3], lineWidth: 0, marker: .circle)
        axes.xLimits = (0.5, 3.5)
        axes.xTickLabels = [(1, "DDPM 250"), (2, "DDIM 50"), (3, "DPM++ 10"), (7, "out of view")]
        let canvas = try Canvas(width: 600, height: 350, dpi: 100)
        let plan = axes.plan(in: Rect(x: 60, y: 30, width: 500, height: 280), canvas: canvas)
        #expect(plan.xTicks.map(\.value) == [1, 2, 3])
        #expect(plan.xTicks.map { $0.label } == [RichText("DDPM 250"), RichText("DDIM 50"), RichText("DPM++ 10")])
        axes.xTickLabels = nil
        let located = axes.plan(in: Rect(x: 60, y: 30, width: 500, height: 280), canvas: canvas)
        #expect(located.xTicks.count > 3 && located.xTicks.contains { $0.value == 1.5 })
    }

    @Test func nonFiniteValuesBreakTheLine() throws {
        let figure = try Figure()
        let axes = try figure.axes(0, 0)
        axes.plot(y: [0, 1, .nan, 1, 0, .infinity, 2])
        let plan = axes.plan(in: Rect(x: 0, y: 0, width: 100, height: 100),
                             canvas: try! Canvas(width: 100, height: 100, dpi: 100))
        #expect(axes.pixelRuns(axes.lines[0], plan: plan).map(\.count) == [2, 2, 1])
        #expect(plan.y.low < 0 && plan.y.high > 2)  // limits from the finite values only
    }

    @Test func logScaleLeavesOutNonPositiveValues() throws {
        let figure = try Figure()
        let axes = try figure.axes(0, 0)
        axes.yScale = .log
        axes.plot(y: [1, 0, -1, 10, 100])
        let (_, y) = axes.limits()
        #expect(y.low > 0.5 && y.low < 1)
        #expect(y.high > 100 && y.high < 200)
    }

    @Test func autoscaleAddsFivePercentMargins() throws {
        let axes = try Figure().axes(0, 0)
        axes.plot(y: [0, 10], x: [0, 100])
        let (x, y) = axes.limits()
        #expect(x == AxisLimits(low: -5, high: 105, scale: .linear))
        #expect(abs(y.low + 0.5) < 1e-12 && abs(y.high - 10.5) < 1e-12)
    }
}
