import Foundation
import DNBSupport
import DNBEngine

/// A seeded stand-in for MNIST that needs no files: digit-like strokes (one polyline template per
/// class, jittered in scale, rotation, position, shape and thickness), anti-aliased into uint8
/// images inside the central 20×20 box like MNIST. Same seed → same images and labels.
public enum SyntheticDigits {
    typealias P = (x: Double, y: Double)

    static func ellipse(_ cx: Double, _ cy: Double, _ rx: Double, _ ry: Double, from a0: Double = 0, to a1: Double = 2 * Double.pi, n: Int = 14) -> [P] {
        (0...n).map { i in
            let a = a0 + (a1 - a0) * Double(i) / Double(n)
            return (cx + rx * cos(a), cy + ry * sin(a))
        }
    }

    /// Strokes per digit in the unit square (x right, y down).
    static let templates: [[[P]]] = [
        [ellipse(0.5, 0.5, 0.27, 0.4)],
        [[(0.5, 0.1), (0.5, 0.9)], [(0.36, 0.25), (0.5, 0.1)]],
        [[(0.25, 0.3), (0.35, 0.14), (0.58, 0.12), (0.72, 0.26), (0.68, 0.45), (0.25, 0.88), (0.78, 0.88)]],
        [[(0.27, 0.18), (0.55, 0.11), (0.72, 0.26), (0.5, 0.47), (0.73, 0.63), (0.64, 0.85), (0.27, 0.86)]],
        [[(0.62, 0.9), (0.62, 0.1), (0.22, 0.62), (0.8, 0.62)]],
        [[(0.72, 0.12), (0.32, 0.12), (0.29, 0.45), (0.6, 0.42), (0.73, 0.62), (0.62, 0.85), (0.27, 0.85)]],
        [[(0.66, 0.12), (0.42, 0.32), (0.3, 0.6)] + ellipse(0.5, 0.68, 0.2, 0.19, from: Double.pi, to: 3 * Double.pi)],
        [[(0.22, 0.14), (0.78, 0.14), (0.42, 0.9)]],
        [ellipse(0.5, 0.3, 0.17, 0.18), ellipse(0.5, 0.7, 0.21, 0.2)],
        [ellipse(0.5, 0.33, 0.2, 0.2), [(0.7, 0.33), (0.62, 0.9)]],
    ]

    /// `count` images of `size`×`size` with labels drawn uniformly from 0…9.
    public static func make(count: Int, seed: UInt64, size: Int = 28, name: String = "synthetic digits") throws -> ImageDataset {
        guard count >= 0, size > 0, let total = elementCount([count, size, size]) else {
            throw DataError(.invalidArgument, name, "\(count) images of \(size)×\(size): the count must not be negative and the size must be positive")
        }
        var rng = RandomGenerator(seed: seed)
        var pixels = [UInt8](repeating: 0, count: total)
        var labels = [UInt8]()
        labels.reserveCapacity(count)
        for i in 0..<count {
            let label = (try? rng.randint(below: 10)) ?? 0  // 10 ≥ 1: never throws
            labels.append(UInt8(label))
            func u(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * Double(rng.uniform()) }
            let scale = u(0.85, 1.1), angle = u(-0.22, 0.22), dx = u(-0.06, 0.06), dy = u(-0.06, 0.06)
            let slant = u(-0.15, 0.15)
            let thickness = u(1.0, 2.0) * Double(size) / 28
            let (c, s) = (cos(angle), sin(angle))
            let box = 20.0 * Double(size) / 28, margin = (Double(size) - box) / 2
            var segments = [(P, P)]()
            for stroke in templates[label] {
                let pts: [P] = stroke.map { p in
                    let x0 = p.x - 0.5 + u(-0.025, 0.025) + slant * (0.5 - p.y), y0 = p.y - 0.5 + u(-0.025, 0.025)
                    let x = (c * x0 - s * y0) * scale + 0.5 + dx, y = (s * x0 + c * y0) * scale + 0.5 + dy
                    return (margin + x * box, margin + y * box)
                }
                for j in 1..<pts.count { segments.append((pts[j - 1], pts[j])) }
            }
            let base = i * size * size
            for py in 0..<size {
                for px in 0..<size {
                    let q: P = (Double(px) + 0.5, Double(py) + 0.5)
                    var d = Double.infinity
                    for (a, b) in segments {
                        let (ex, ey) = (b.x - a.x, b.y - a.y)
                        let len2 = ex * ex + ey * ey
                        let t = len2 > 0 ? min(1, max(0, ((q.x - a.x) * ex + (q.y - a.y) * ey) / len2)) : 0
                        let (fx, fy) = (a.x + t * ex - q.x, a.y + t * ey - q.y)
                        d = min(d, (fx * fx + fy * fy).squareRoot())
                    }
                    let v = min(1, max(0, thickness + 0.5 - d))
                    pixels[base + py * size + px] = UInt8((v * 255).rounded())
                }
            }
        }
        return try ImageDataset(name: name, height: size, width: size, pixels: pixels, labels: labels)
    }
}
