/// matplotlib's tight_layout for a grid of equally sized subplots: measure how
/// far each axes' decorations (ticks, labels, title) reach beyond its slot,
/// then choose margins and gaps so that nothing overlaps and everything stays
/// `pad` (1.08 font sizes) away from the figure edge and its neighbours.
struct TightLayout {
    let rows: Int
    let columns: Int
    let width: Double
    let height: Double
    /// Space reserved above the grid for the suptitle, including its pad.
    let topReserve: Double
    let pad: Double

    /// The subplot slots of matplotlib's default subplot parameters, the
    /// layout tight_layout starts from.
    func defaultCells() -> [Rect] {
        cells(left: Style.subplotLeft * width, right: (1 - Style.subplotRight) * width,
              top: (1 - Style.subplotTop) * height, bottom: Style.subplotBottom * height,
              horizontalGap: nil, verticalGap: nil)
    }

    /// Slots in row-major order for margins (pixels from each figure edge)
    /// and gaps between slots; nil gaps mean matplotlib's default wspace/hspace.
    func cells(left: Double, right: Double, top: Double, bottom: Double,
               horizontalGap: Double?, verticalGap: Double?) -> [Rect] {
        let (cellWidth, hGap) = Self.slots(width - left - right, count: columns, gap: horizontalGap,
                                           space: Style.subplotWSpace)
        let (cellHeight, vGap) = Self.slots(height - top - bottom, count: rows, gap: verticalGap,
                                            space: Style.subplotHSpace)
        var result: [Rect] = []
        for row in 0..<rows {
            for column in 0..<columns {
                result.append(Rect(x: left + Double(column) * (cellWidth + hGap),
                                   y: top + Double(row) * (cellHeight + vGap),
                                   width: cellWidth, height: cellHeight))
            }
        }
        return result
    }

    /// `count` equal slots along `length` pixels: their size and the gap between them, which is
    /// `gap` when given, else matplotlib's `space` (wspace / hspace) times the slot size.
    static func slots(_ length: Double, count: Int, gap: Double?, space: Double) -> (size: Double, gap: Double) {
        let n = Double(count)
        if let gap { return ((length - gap * (n - 1)) / n, gap) }
        let size = length / (n + space * (n - 1))
        return (size, space * size)
    }

    /// One tight_layout pass: given slots and the tight bounds their axes got
    /// in them, new slots; nil when the decorations leave no room for axes
    /// (matplotlib then keeps the layout it had).
    func adjusted(cells: [Rect], tightBounds: [Rect]) -> [Rect]? {
        func index(_ row: Int, _ column: Int) -> Int { row * columns + column }
        func leftReach(_ i: Int) -> Double { cells[i].minX - tightBounds[i].minX }
        func rightReach(_ i: Int) -> Double { tightBounds[i].maxX - cells[i].maxX }
        func topReach(_ i: Int) -> Double { cells[i].minY - tightBounds[i].minY }
        func bottomReach(_ i: Int) -> Double { tightBounds[i].maxY - cells[i].maxY }

        let left = max(0, (0..<rows).map { leftReach(index($0, 0)) }.max()!) + pad
        let right = max(0, (0..<rows).map { rightReach(index($0, columns - 1)) }.max()!) + pad
        let top = max(0, (0..<columns).map { topReach(index(0, $0)) }.max()!) + pad + topReserve
        let bottom = max(0, (0..<columns).map { bottomReach(index(rows - 1, $0)) }.max()!) + pad

        var horizontalGap = pad
        if columns > 1 {
            var widest = -Double.infinity
            for row in 0..<rows {
                for column in 0..<(columns - 1) {
                    widest = max(widest, rightReach(index(row, column)) + leftReach(index(row, column + 1)))
                }
            }
            horizontalGap += widest
        }
        var verticalGap = pad
        if rows > 1 {
            var tallest = -Double.infinity
            for row in 0..<(rows - 1) {
                for column in 0..<columns {
                    tallest = max(tallest, bottomReach(index(row, column)) + topReach(index(row + 1, column)))
                }
            }
            verticalGap += tallest
        }
        let result = self.cells(left: left, right: right, top: top, bottom: bottom,
                           horizontalGap: horizontalGap, verticalGap: verticalGap)
        guard let first = result.first, first.width > 1, first.height > 1,
              result.allSatisfy({ $0.width.isFinite && $0.height.isFinite }) else { return nil }
        return result
    }

    /// Whether a layout still needs work: decorations closer than `pad` to
    /// each other, to `ceiling` (the suptitle's bottom) or to the figure edge.
    /// A single matplotlib pass can leave image titles touching the edge,
    /// because shrinking an image to square pixels changes its reach.
    func collides(tightBounds: [Rect], ceiling: Double) -> Bool {
        let slack = 1.0  // rounding of snapped image boxes
        let inner = Rect(minX: pad - slack, minY: ceiling + pad - slack,
                         maxX: width - pad + slack, maxY: height - pad + slack)
        let halfPad = pad / 2 - slack
        for (i, a) in tightBounds.enumerated() {
            if a.minX < inner.minX || a.minY < inner.minY || a.maxX > inner.maxX || a.maxY > inner.maxY {
                return true
            }
            let grown = a.insetBy(-halfPad)
            for b in tightBounds[(i + 1)...] where grown.intersects(b.insetBy(-halfPad)) {
                return true
            }
        }
        return false
    }
}
