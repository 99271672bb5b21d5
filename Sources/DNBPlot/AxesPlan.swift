/// A label with its resolved position, kept so layout and drawing agree.
struct PlacedText {
    var text: RichText
    var points: Double
    var anchor: Point
    var horizontal: HorizontalAlignment
    var vertical: VerticalAlignment
    var rotated = false
    var bounds: Rect

    init(_ text: RichText, points: Double, at anchor: Point, _ horizontal: HorizontalAlignment,
         _ vertical: VerticalAlignment, rotated: Bool = false, canvas: Canvas) {
        self.text = text
        self.points = points
        self.anchor = anchor
        self.horizontal = horizontal
        self.vertical = vertical
        self.rotated = rotated
        bounds = canvas.bounds(of: canvas.measure(text, points: points), at: anchor,
                               horizontal: horizontal, vertical: vertical, rotated: rotated)
    }

    func draw(on canvas: Canvas) {
        canvas.draw(text, points: points, at: anchor, horizontal: horizontal,
                    vertical: vertical, rotated: rotated)
    }
}

/// An axes resolved for one position on the canvas: the data box, the view
/// limits, ticks and every label placed. `tightBounds` is what tight_layout
/// keeps apart from neighbours and the figure edge.
struct AxesPlan {
    var box: Rect
    var x: AxisLimits
    var y: AxisLimits
    var xTicks: [Tick]
    var yTicks: [Tick]
    var labels: [PlacedText]
    var tightBounds: Rect

    /// Data coordinates → canvas pixels.
    func point(_ dataX: Double, _ dataY: Double) -> Point {
        Point(x: box.minX + x.fraction(dataX) * box.width,
              y: box.maxY - y.fraction(dataY) * box.height)
    }
}

extension Axes {
    /// Lays the axes out in `cell` (its grid slot): an image keeps square
    /// pixels by shrinking the box around the cell centre, like matplotlib's
    /// aspect "equal" with the default centred anchor.
    func plan(in cell: Rect, canvas: Canvas) -> AxesPlan {
        let (xLimits, yLimits) = limits()
        var box = cell
        if !images.isEmpty {
            let aspect = abs(yLimits.high - yLimits.low) / abs(xLimits.high - xLimits.low)
            if aspect.isFinite && aspect > 0 {
                let width = min(cell.width, cell.height / aspect)
                let height = width * aspect
                box = Rect(x: cell.midX - width / 2, y: cell.midY - height / 2, width: width, height: height)
            }
            box = box.snapped
        }

        var labels: [PlacedText] = []
        var tight = box
        var xTicks: [Tick] = []
        var yTicks: [Tick] = []
        var offsetTextBounds: Rect?  // the y offset text at the top left, which a title must clear
        if isAxisVisible {
            let xAxis = AxisTicks(limits: xLimits, lengthPixels: box.width, dpi: canvas.dpi, horizontal: true,
                                  fixed: xTickLabels)
            let yAxis = AxisTicks(limits: yLimits, lengthPixels: box.height, dpi: canvas.dpi, horizontal: false)
            xTicks = xAxis.ticks
            yTicks = yAxis.ticks
            let decorated = tickDecorations(box: box, x: xLimits, y: yLimits, xAxis: xAxis, yAxis: yAxis,
                                            canvas: canvas)
            labels += decorated.labels
            tight = tight.union(decorated.bounds)
            offsetTextBounds = decorated.yOffsetBounds
        }
        if let title, !title.isEmpty {
            let anchor = Point(x: box.midX, y: box.minY - canvas.px(Style.titlePad))
            var placed = PlacedText(RichText(title), points: Style.titleSize, at: anchor, .center, .baseline,
                                    canvas: canvas)
            if let offset = offsetTextBounds, placed.bounds.intersects(offset) {
                // Only a colliding title moves up; matplotlib leaves it at titlepad otherwise.
                placed = PlacedText(RichText(title), points: Style.titleSize,
                                    at: Point(x: anchor.x, y: offset.minY - canvas.px(Style.titlePad)),
                                    .center, .baseline, canvas: canvas)
            }
            labels.append(placed)
            tight = tight.union(placed.bounds)
        }
        return AxesPlan(box: box, x: xLimits, y: yLimits, xTicks: xTicks, yTicks: yTicks,
                        labels: labels, tightBounds: tight)
    }

    /// Tick labels, axis labels and offset texts around `box`, placed with
    /// matplotlib's pads: labels a tick length plus pad away from the spine,
    /// axis labels `labelpad` beyond the tick labels.
    private func tickDecorations(box: Rect, x: AxisLimits, y: AxisLimits, xAxis: AxisTicks, yAxis: AxisTicks,
                                 canvas: Canvas)
        -> (labels: [PlacedText], bounds: Rect, yOffsetBounds: Rect?) {
        var labels: [PlacedText] = []
        var bounds = box
        let plan = AxesPlan(box: box, x: x, y: y, xTicks: [], yTicks: [], labels: [], tightBounds: box)
        func tickReach(_ tick: Tick) -> Double {
            canvas.px((tick.isMajor ? Style.majorTickLength : Style.minorTickLength) + Style.tickPad)
        }

        var xLabelBottom = box.maxY
        for tick in xAxis.ticks {
            bounds = bounds.union(Rect(minX: box.minX, minY: box.maxY, maxX: box.maxX,
                                       maxY: box.maxY + canvas.px(Style.majorTickLength)))
            guard let text = tick.label else { continue }
            let anchor = Point(x: plan.point(tick.value, y.low).x, y: box.maxY + tickReach(tick))
            let placed = PlacedText(text, points: Style.tickLabelSize, at: anchor, .center, .top, canvas: canvas)
            labels.append(placed)
            xLabelBottom = max(xLabelBottom, placed.bounds.maxY)
        }
        var yLabelLeft = box.minX
        for tick in yAxis.ticks {
            bounds = bounds.union(Rect(minX: box.minX - canvas.px(Style.majorTickLength), minY: box.minY,
                                       maxX: box.minX, maxY: box.maxY))
            guard let text = tick.label else { continue }
            let anchor = Point(x: box.minX - tickReach(tick), y: plan.point(x.low, tick.value).y)
            let placed = PlacedText(text, points: Style.tickLabelSize, at: anchor, .right, .centerBaseline,
                                    canvas: canvas)
            labels.append(placed)
            yLabelLeft = min(yLabelLeft, placed.bounds.minX)
        }

        var yOffsetBounds: Rect?
        if let offset = xAxis.offsetText {
            let anchor = Point(x: box.maxX, y: xLabelBottom + canvas.px(Style.offsetTextPad))
            labels.append(PlacedText(RichText(offset), points: Style.tickLabelSize, at: anchor, .right, .top,
                                     canvas: canvas))
        }
        if let offset = yAxis.offsetText {
            let anchor = Point(x: box.minX, y: box.minY - canvas.px(Style.offsetTextPad))
            let placed = PlacedText(RichText(offset), points: Style.tickLabelSize, at: anchor, .left, .baseline,
                                    canvas: canvas)
            labels.append(placed)
            yOffsetBounds = placed.bounds
        }
        if let xlabel, !xlabel.isEmpty {
            let anchor = Point(x: box.midX, y: xLabelBottom + canvas.px(Style.labelPad))
            labels.append(PlacedText(RichText(xlabel), points: Style.labelSize, at: anchor, .center, .top,
                                     canvas: canvas))
        }
        if let ylabel, !ylabel.isEmpty {
            let anchor = Point(x: yLabelLeft - canvas.px(Style.labelPad), y: box.midY)
            labels.append(PlacedText(RichText(ylabel), points: Style.labelSize, at: anchor, .center, .bottom,
                                     rotated: true, canvas: canvas))
        }
        for label in labels { bounds = bounds.union(label.bounds) }
        return (labels, bounds, yOffsetBounds)
    }
}
