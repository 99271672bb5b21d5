/// The legend box as matplotlib's Legend lays it out: a short line sample per
/// labelled line, the label beside it, inside a rounded, slightly transparent
/// frame `borderaxespad` away from the axes edges.
struct LegendLayout {
    struct Entry {
        var label: String
        var color: Color
        var lineWidth: Double
        var marker: Marker?
        var metrics: TextMetrics
    }

    let entries: [Entry]
    let size: (width: Double, height: Double)
    private let fontSize: Double  // pixels

    init?(lines: [Axes.Line], canvas: Canvas) {
        let entries = lines.compactMap { line -> Entry? in
            guard let label = line.label, !label.isEmpty else { return nil }
            return Entry(label: label, color: line.color, lineWidth: line.lineWidth, marker: line.marker,
                         metrics: canvas.measure(label, points: Style.legendSize))
        }
        guard !entries.isEmpty else { return nil }
        let fs = canvas.px(Style.legendSize)
        self.entries = entries
        self.fontSize = fs
        let textWidth = entries.map(\.metrics.width).max() ?? 0
        let width = 2 * Style.legendBorderPad * fs + Style.legendHandleLength * fs
            + Style.legendHandleTextPad * fs + textWidth
        let rows = entries.map { Self.rowHeight($0, fontSize: fs) }.reduce(0, +)
        let height = 2 * Style.legendBorderPad * fs + rows
            + Double(entries.count - 1) * Style.legendLabelSpacing * fs
        size = (width, height)
    }

    /// The handle box (0.7 font sizes tall) sits on the text baseline.
    private static func rowHeight(_ entry: Entry, fontSize: Double) -> Double {
        max(entry.metrics.ascent, Style.legendHandleHeight * fontSize) + entry.metrics.descent
    }

    /// The frame for a fixed location inside `box`.
    func frame(at location: LegendLocation, in box: Rect) -> Rect {
        let pad = Style.legendBorderAxesPad * fontSize
        let left = box.minX + pad
        let right = box.maxX - pad - size.width
        let centerX = box.midX - size.width / 2
        let top = box.minY + pad
        let bottom = box.maxY - pad - size.height
        let centerY = box.midY - size.height / 2
        let origin: (Double, Double)
        switch location {
        case .best, .upperRight: origin = (right, top)
        case .upperLeft: origin = (left, top)
        case .lowerLeft: origin = (left, bottom)
        case .lowerRight: origin = (right, bottom)
        case .right, .centerRight: origin = (right, centerY)
        case .centerLeft: origin = (left, centerY)
        case .lowerCenter: origin = (centerX, bottom)
        case .upperCenter: origin = (centerX, top)
        case .center: origin = (centerX, centerY)
        }
        return Rect(x: origin.0, y: origin.1, width: size.width, height: size.height)
    }

    /// Legend._find_best_position: the first location, in matplotlib's order,
    /// with the fewest data vertices inside plus lines crossing the frame.
    func bestFrame(in box: Rect, runs: [[[Point]]]) -> Rect {
        let candidates: [LegendLocation] = [.upperRight, .upperLeft, .lowerLeft, .lowerRight, .right,
                                            .centerLeft, .centerRight, .lowerCenter, .upperCenter, .center]
        var best: (badness: Int, frame: Rect)?
        for location in candidates {
            let frame = frame(at: location, in: box)
            var badness = 0
            for lineRuns in runs {
                var crosses = false
                for run in lineRuns {
                    for p in run where frame.contains(p) { badness += 1 }
                    if !crosses {
                        crosses = zip(run, run.dropFirst()).contains { frame.intersectsSegment($0, $1) }
                            || (run.count == 1 && frame.contains(run[0]))
                    }
                }
                if crosses { badness += 1 }
            }
            if badness == 0 { return frame }
            if best == nil || badness < best!.badness { best = (badness, frame) }
        }
        return best?.frame ?? frame(at: .upperRight, in: box)
    }

    func draw(in frame: Rect, canvas: Canvas) {
        let fs = fontSize
        canvas.roundedBox(frame, radius: Style.legendRounding * fs, fill: .white,
                          fillAlpha: Style.legendFrameAlpha, stroke: Style.legendEdgeColor,
                          lineWidth: canvas.px(Style.legendFrameLineWidth))
        var top = frame.minY + Style.legendBorderPad * fs
        let handleX = frame.minX + Style.legendBorderPad * fs
        let textX = handleX + (Style.legendHandleLength + Style.legendHandleTextPad) * fs
        for entry in entries {
            let baseline = top + max(entry.metrics.ascent, Style.legendHandleHeight * fs)
            let handleY = baseline - Style.legendHandleHeight * fs / 2
            if entry.lineWidth > 0 {
                canvas.polylines([[Point(x: handleX, y: handleY),
                                   Point(x: handleX + Style.legendHandleLength * fs, y: handleY)]],
                                 width: canvas.px(entry.lineWidth), color: entry.color, clip: frame)
            }
            if let marker = entry.marker {  // one mark in the handle's middle, as matplotlib's legend shows it
                canvas.dots([Point(x: handleX + Style.legendHandleLength * fs / 2, y: handleY)],
                            diameter: canvas.px(marker.size), color: entry.color, clip: frame)
            }
            canvas.draw(entry.label, points: Style.legendSize, at: Point(x: textX, y: baseline),
                        horizontal: .left, vertical: .baseline)
            top += Self.rowHeight(entry, fontSize: fs) + Style.legendLabelSpacing * fs
        }
    }
}

extension Axes {
    func drawLegend(location: LegendLocation, plan: AxesPlan, canvas: Canvas) {
        guard let layout = LegendLayout(lines: lines, canvas: canvas) else { return }
        let frame = location == .best
            ? layout.bestFrame(in: plan.box, runs: lines.map { pixelRuns($0, plan: plan) })
            : layout.frame(at: location, in: plan.box)
        layout.draw(in: frame, canvas: canvas)
    }
}
