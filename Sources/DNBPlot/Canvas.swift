import CCairo

/// A cairo ARGB32 image surface plus the few drawing primitives a figure needs,
/// all in pixels; sizes given in points are converted with the figure's dpi.
final class Canvas {
    let width: Int
    let height: Int
    let dpi: Double
    let surface: OpaquePointer
    let cr: OpaquePointer

    init(width: Int, height: Int, dpi: Double) throws {
        guard width > 0, height > 0, width <= 32767, height <= 32767 else {
            throw PlotError.invalidFigureSize(width: width, height: height)
        }
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height)) else {
            throw PlotError.renderingFailed("cairo could not create a surface")
        }
        if cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS {
            let reason = String(cString: cairo_status_to_string(cairo_surface_status(surface)))
            cairo_surface_destroy(surface)
            throw PlotError.renderingFailed(reason)
        }
        guard let cr = cairo_create(surface) else {
            cairo_surface_destroy(surface)
            throw PlotError.renderingFailed("cairo could not create a context")
        }
        self.width = width
        self.height = height
        self.dpi = dpi
        self.surface = surface
        self.cr = cr
        configureFont()
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    /// Pixels for a length in points.
    func px(_ points: Double) -> Double { points * dpi / 72 }

    private func configureFont() {
        cairo_select_font_face(cr, Style.fontFamily, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        guard let options = cairo_font_options_create() else { return }
        // Unhinted metrics keep text widths proportional to the font size, so
        // layout does not jump between sizes; slight hinting keeps glyphs crisp.
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_SLIGHT)
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_set_font_options(cr, options)
        cairo_font_options_destroy(options)
    }

    // MARK: Colour and shapes

    func setSource(_ color: Color, alpha: Double = 1) {
        cairo_set_source_rgba(cr, color.red, color.green, color.blue, alpha)
    }

    func fill(_ rect: Rect, color: Color, alpha: Double = 1) {
        guard rect.width.isFinite, rect.height.isFinite else { return }
        setSource(color, alpha: alpha)
        cairo_rectangle(cr, rect.minX, rect.minY, rect.width, rect.height)
        cairo_fill(cr)
    }

    /// A straight axis-parallel line (spine, tick, grid line). Like Agg's
    /// snapping, the centre is moved onto a pixel centre so thin lines stay crisp.
    func crispLine(from a: Point, to b: Point, width: Double, color: Color) {
        func snap(_ v: Double) -> Double { (v - 0.5).rounded() + 0.5 }
        // A non-finite coordinate would put the cairo context into an error state.
        guard a.x.isFinite, a.y.isFinite, b.x.isFinite, b.y.isFinite, width > 0 else { return }
        var a = a
        var b = b
        if a.x == b.x { a.x = snap(a.x); b.x = a.x }
        if a.y == b.y { a.y = snap(a.y); b.y = a.y }
        setSource(color)
        cairo_set_line_width(cr, width)
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT)
        cairo_move_to(cr, a.x, a.y)
        cairo_line_to(cr, b.x, b.y)
        cairo_stroke(cr)
    }

    /// Data lines: each run of points is one connected polyline, clipped to `clip`.
    func polylines(_ runs: [[Point]], width: Double, color: Color, clip: Rect) {
        cairo_save(cr)
        cairo_rectangle(cr, clip.minX, clip.minY, clip.width, clip.height)
        cairo_clip(cr)
        setSource(color)
        cairo_set_line_width(cr, width)
        // matplotlib's lines.solid_joinstyle is "round" and capstyle "projecting".
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE)
        // Cut well outside the clip so line ends and joins are still clipped by cairo.
        let bounds = clip.insetBy(-4 * width - 2)
        for run in runs.flatMap({ bounds.clip(polyline: $0) }) {
            cairo_move_to(cr, run[0].x, run[0].y)
            if run.count == 1 {
                // A lone point still shows as a dot, as a zero-length projecting line does in Agg.
                cairo_line_to(cr, run[0].x, run[0].y)
            }
            for p in run.dropFirst() { cairo_line_to(cr, p.x, p.y) }
            cairo_stroke(cr)
        }
        cairo_restore(cr)
    }

    /// Filled circles of `diameter` pixels centred on `points`, clipped to `clip` (line markers).
    func dots(_ points: [Point], diameter: Double, color: Color, clip: Rect) {
        guard diameter > 0 else { return }
        cairo_save(cr)
        cairo_rectangle(cr, clip.minX, clip.minY, clip.width, clip.height)
        cairo_clip(cr)
        setSource(color)
        for p in points {
            cairo_new_sub_path(cr)
            cairo_arc(cr, p.x, p.y, diameter / 2, 0, 2 * Double.pi)
        }
        cairo_fill(cr)
        cairo_restore(cr)
    }

    /// The legend frame: matplotlib's FancyBboxPatch "round" box.
    func roundedBox(_ rect: Rect, radius: Double, fill: Color, fillAlpha: Double,
                    stroke: Color, lineWidth: Double) {
        let r = min(radius, rect.width / 2, rect.height / 2)
        cairo_new_path(cr)
        cairo_arc(cr, rect.maxX - r, rect.minY + r, r, -Double.pi / 2, 0)
        cairo_arc(cr, rect.maxX - r, rect.maxY - r, r, 0, Double.pi / 2)
        cairo_arc(cr, rect.minX + r, rect.maxY - r, r, Double.pi / 2, Double.pi)
        cairo_arc(cr, rect.minX + r, rect.minY + r, r, Double.pi, 3 * Double.pi / 2)
        cairo_close_path(cr)
        setSource(fill, alpha: fillAlpha)
        cairo_fill_preserve(cr)
        setSource(stroke)
        cairo_set_line_width(cr, lineWidth)
        cairo_stroke(cr)
    }
}
