/// A matplotlib-style figure: a grid of `Axes` on a white page of
/// `figsize` inches at `dpi`, laid out like `tight_layout()` and written as PNG.
public final class Figure {
    public let rows: Int
    public let cols: Int
    public let figsize: (width: Double, height: Double)
    public let dpi: Double
    /// A centred title above all subplots (matplotlib's `suptitle`).
    public var suptitle: String?
    /// The subplots in row-major order.
    let grid: [Axes]

    /// A rows × cols grid of empty subplots; throws `PlotError.invalidSubplotGrid` unless both are ≥ 1.
    public convenience init(rows: Int = 1, cols: Int = 1, figsize: (Double, Double) = (6.4, 4.8),
                            dpi: Double = 100) throws {
        guard rows >= 1, cols >= 1, !rows.multipliedReportingOverflow(by: cols).overflow else {
            throw PlotError.invalidSubplotGrid(rows: rows, cols: cols)
        }
        self.init(validRows: rows, cols: cols, figsize: figsize, dpi: dpi)
    }

    /// For the recipes in NotebookFigures.swift, whose rows and cols are at least 1 by construction.
    init(validRows rows: Int, cols: Int, figsize: (Double, Double), dpi: Double) {
        self.rows = rows
        self.cols = cols
        self.figsize = figsize
        self.dpi = dpi
        grid = (0..<(rows * cols)).map { _ in Axes() }
    }

    /// The subplot at `row`, `col` (0-based, row 0 on top); throws `PlotError.subplotOutOfRange` outside the grid.
    public func axes(_ row: Int, _ col: Int) throws -> Axes {
        guard (0..<rows).contains(row) && (0..<cols).contains(col) else {
            throw PlotError.subplotOutOfRange(row: row, col: col, rows: rows, cols: cols)
        }
        return grid[row * cols + col]
    }

    /// Size of the rendered picture: figsize × dpi, rounded to whole pixels.
    public var pixelSize: (width: Int, height: Int) {
        func pixels(_ inches: Double) -> Int {
            let value = (inches * dpi).rounded()
            return value.isFinite && abs(value) < 1e9 ? Int(value) : 0
        }
        return (pixels(figsize.width), pixels(figsize.height))
    }

    /// Renders and writes the figure atomically to `path` (a temporary file in
    /// the same directory renamed into place). The PNG gets a "Software" =
    /// "dnb" text chunk unless `metadata` sets one, then `metadata` in key order.
    public func write(png path: String, metadata: [String: String] = [:]) throws {
        var text = metadata
        if text["Software"] == nil { text["Software"] = "dnb" }
        for (key, value) in text {
            try PNGWriter.validate(key: key, value: value)  // before spending time on rendering
        }
        let canvas = try render()
        let ordered = text.sorted { a, b in
            (a.key == "Software" ? 0 : 1, a.key) < (b.key == "Software" ? 0 : 1, b.key)
        }
        try PNGWriter.write(rgba: canvas.rgbaBytes(), width: canvas.width, height: canvas.height,
                            text: ordered.map { ($0.key, $0.value) }, to: path)
    }

    /// The figure as straight RGBA bytes, row-major, for callers that want pixels without a file.
    public func renderRGBA() throws -> (width: Int, height: Int, rgba: [UInt8]) {
        let canvas = try render()
        return (canvas.width, canvas.height, try canvas.rgbaBytes())
    }

    func render() throws -> Canvas {
        let size = pixelSize
        guard dpi > 0, dpi.isFinite else { throw PlotError.invalidFigureSize(width: size.width, height: size.height) }
        let canvas = try Canvas(width: size.width, height: size.height, dpi: dpi)
        canvas.fill(Rect(x: 0, y: 0, width: Double(size.width), height: Double(size.height)), color: .white)

        let (plans, suptitleLabel) = arrange(on: canvas)
        for (axes, plan) in zip(grid, plans) {
            axes.draw(plan, on: canvas)
        }
        suptitleLabel?.draw(on: canvas)
        return canvas
    }

    /// Every axes placed on `canvas`, plus the suptitle label if there is one.
    func arrange(on canvas: Canvas) -> (plans: [AxesPlan], suptitle: PlacedText?) {
        var suptitleLabel: PlacedText?
        if let suptitle, !suptitle.isEmpty {
            let anchor = Point(x: Double(canvas.width) / 2, y: (1 - Style.suptitleY) * Double(canvas.height))
            suptitleLabel = PlacedText(RichText(suptitle), points: Style.suptitleSize, at: anchor, .center, .top,
                                       canvas: canvas)
        }
        return (layOut(canvas: canvas, suptitle: suptitleLabel), suptitleLabel)
    }

    /// tight_layout from matplotlib's default subplot parameters, repeated
    /// (at most twice more) only while decorations still collide, e.g. when
    /// the new axes sizes changed the tick labels.
    private func layOut(canvas: Canvas, suptitle: PlacedText?) -> [AxesPlan] {
        let pad = canvas.px(Style.tightLayoutPad * Style.fontSize)
        let layout = TightLayout(rows: rows, columns: cols, width: Double(canvas.width),
                                 height: Double(canvas.height),
                                 topReserve: suptitle.map { $0.bounds.height + pad } ?? 0, pad: pad)
        var cells = layout.defaultCells()
        var plans = plan(cells: cells, canvas: canvas)
        for pass in 0..<3 {
            if pass > 0 && !layout.collides(tightBounds: plans.map(\.tightBounds),
                                            ceiling: suptitle?.bounds.maxY ?? 0) {
                break
            }
            guard let adjusted = layout.adjusted(cells: cells, tightBounds: plans.map(\.tightBounds)) else { break }
            cells = adjusted
            plans = plan(cells: cells, canvas: canvas)
        }
        return plans
    }

    private func plan(cells: [Rect], canvas: Canvas) -> [AxesPlan] {
        zip(grid, cells).map { axes, cell in axes.plan(in: cell, canvas: canvas) }
    }
}
