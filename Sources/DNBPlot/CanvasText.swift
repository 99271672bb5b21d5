import CCairo

/// Horizontal anchor of a text: which side of the label sits on the given x.
enum HorizontalAlignment { case left, center, right }

/// Vertical anchor of a text, with matplotlib's meaning: top/bottom are the
/// edges of the "lp" line box, baseline the baseline, center the box middle,
/// centerBaseline the middle of the part above the baseline (used by y tick labels).
enum VerticalAlignment { case top, center, centerBaseline, baseline, bottom }

/// Size of a rendered label: advance width, and the line box above and below
/// the baseline measured on "lp" like matplotlib does, so labels with and
/// without descenders line up.
struct TextMetrics {
    var width: Double
    var ascent: Double
    var descent: Double
}

/// Text on the canvas with cairo's toy font API (DejaVu Sans via fontconfig),
/// measured and anchored the way matplotlib aligns its Text artists.
extension Canvas {
    private func setFontSize(points: Double) {
        cairo_set_font_size(cr, px(points))
    }

    private func advance(_ text: String) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        return extents.x_advance
    }

    /// The "lp" line box at a size, matplotlib's reference for text heights.
    private func lineBox(points: Double) -> (ascent: Double, descent: Double) {
        setFontSize(points: points)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, "lp", &extents)
        return (-extents.y_bearing, extents.height + extents.y_bearing)
    }

    func measure(_ text: RichText, points: Double) -> TextMetrics {
        let box = lineBox(points: points)
        var width = 0.0
        var ascent = box.ascent
        for run in text.runs {
            setFontSize(points: points * run.scale)
            width += advance(run.text)
            ascent = max(ascent, px(points * run.rise) + box.ascent * run.scale)
        }
        return TextMetrics(width: width, ascent: ascent, descent: box.descent)
    }

    func measure(_ text: String, points: Double) -> TextMetrics {
        measure(RichText(text), points: points)
    }

    /// Baseline origin for a label anchored at `anchor` (before rotation).
    func origin(of metrics: TextMetrics, at anchor: Point,
                horizontal: HorizontalAlignment, vertical: VerticalAlignment) -> Point {
        let x: Double
        switch horizontal {
        case .left: x = anchor.x
        case .center: x = anchor.x - metrics.width / 2
        case .right: x = anchor.x - metrics.width
        }
        let y: Double
        switch vertical {
        case .top: y = anchor.y + metrics.ascent
        case .bottom: y = anchor.y - metrics.descent
        case .baseline: y = anchor.y
        case .center: y = anchor.y + (metrics.ascent - metrics.descent) / 2
        case .centerBaseline: y = anchor.y + metrics.ascent / 2
        }
        return Point(x: x, y: y)
    }

    /// The pixel box a label occupies, for layout and legend placement.
    func bounds(of metrics: TextMetrics, at anchor: Point, horizontal: HorizontalAlignment,
                vertical: VerticalAlignment, rotated: Bool = false) -> Rect {
        let o = origin(of: metrics, at: .init(x: 0, y: 0), horizontal: horizontal, vertical: vertical)
        let local = Rect(minX: o.x, minY: o.y - metrics.ascent, maxX: o.x + metrics.width, maxY: o.y + metrics.descent)
        if !rotated {
            return Rect(minX: anchor.x + local.minX, minY: anchor.y + local.minY,
                        maxX: anchor.x + local.maxX, maxY: anchor.y + local.maxY)
        }
        // Rotated 90° counter-clockwise: local x runs up the page, local y to the right.
        return Rect(minX: anchor.x + local.minY, minY: anchor.y - local.maxX,
                    maxX: anchor.x + local.maxY, maxY: anchor.y - local.minX)
    }

    func draw(_ text: RichText, points: Double, at anchor: Point, horizontal: HorizontalAlignment,
              vertical: VerticalAlignment, color: Color = .black, rotated: Bool = false) {
        guard !text.isEmpty, anchor.x.isFinite, anchor.y.isFinite else { return }
        let metrics = measure(text, points: points)
        let o = origin(of: metrics, at: .init(x: 0, y: 0), horizontal: horizontal, vertical: vertical)
        cairo_save(cr)
        cairo_translate(cr, anchor.x, anchor.y)
        if rotated { cairo_rotate(cr, -Double.pi / 2) }
        setSource(color)
        var x = o.x
        for run in text.runs {
            setFontSize(points: points * run.scale)
            cairo_move_to(cr, x, o.y - px(points * run.rise))
            cairo_show_text(cr, run.text)
            x += advance(run.text)
        }
        cairo_restore(cr)
    }

    func draw(_ text: String, points: Double, at anchor: Point, horizontal: HorizontalAlignment,
              vertical: VerticalAlignment, color: Color = .black, rotated: Bool = false) {
        draw(RichText(text), points: points, at: anchor, horizontal: horizontal,
             vertical: vertical, color: color, rotated: rotated)
    }
}
