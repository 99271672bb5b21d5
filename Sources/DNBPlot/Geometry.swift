/// Pixel-space geometry with y growing downwards, as cairo draws.
struct Point: Equatable {
    var x: Double
    var y: Double
}

struct Rect: Equatable {
    var minX: Double
    var minY: Double
    var maxX: Double
    var maxY: Double

    init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    init(x: Double, y: Double, width: Double, height: Double) {
        self.init(minX: x, minY: y, maxX: x + width, maxY: y + height)
    }

    var width: Double { maxX - minX }
    var height: Double { maxY - minY }
    var midX: Double { (minX + maxX) / 2 }
    var midY: Double { (minY + maxY) / 2 }

    func union(_ other: Rect) -> Rect {
        Rect(minX: min(minX, other.minX), minY: min(minY, other.minY),
             maxX: max(maxX, other.maxX), maxY: max(maxY, other.maxY))
    }

    func contains(_ p: Point) -> Bool {
        p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY
    }

    func intersects(_ other: Rect) -> Bool {
        minX < other.maxX && other.minX < maxX && minY < other.maxY && other.minY < maxY
    }

    /// The part of segment a–b inside this rectangle (Liang–Barsky), if any.
    func clip(_ a: Point, _ b: Point) -> (Point, Point)? {
        var t0 = 0.0
        var t1 = 1.0
        let dx = b.x - a.x
        let dy = b.y - a.y
        for (p, q) in [(-dx, a.x - minX), (dx, maxX - a.x), (-dy, a.y - minY), (dy, maxY - a.y)] {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let r = q / p
                if p < 0 { t0 = max(t0, r) } else { t1 = min(t1, r) }
                if t0 > t1 { return nil }
            }
        }
        guard t0.isFinite, t1.isFinite else { return nil }
        return (Point(x: a.x + t0 * dx, y: a.y + t0 * dy), Point(x: a.x + t1 * dx, y: a.y + t1 * dy))
    }

    /// Whether the segment a–b passes through this rectangle.
    func intersectsSegment(_ a: Point, _ b: Point) -> Bool {
        clip(a, b) != nil
    }

    /// A polyline cut to this rectangle: the visible pieces, each connected.
    /// Done in doubles before cairo sees it, because cairo's fixed-point
    /// coordinates overflow for far-away points (e.g. 1e30 data values).
    func clip(polyline points: [Point]) -> [[Point]] {
        if points.count == 1 { return contains(points[0]) ? [points] : [] }
        var pieces: [[Point]] = []
        var current: [Point] = []
        for (a, b) in zip(points, points.dropFirst()) {
            guard let (start, end) = clip(a, b) else {
                if !current.isEmpty { pieces.append(current); current = [] }
                continue
            }
            if current.last != start {
                if !current.isEmpty { pieces.append(current) }
                current = [start]
            }
            current.append(end)
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// Shrunk by `amount` on every side (grown when negative).
    func insetBy(_ amount: Double) -> Rect {
        Rect(minX: minX + amount, minY: minY + amount, maxX: maxX - amount, maxY: maxY - amount)
    }

    /// Rounded to whole pixels, so images and spines land on the pixel grid.
    var snapped: Rect {
        Rect(minX: minX.rounded(), minY: minY.rounded(), maxX: maxX.rounded(), maxY: maxY.rounded())
    }
}
