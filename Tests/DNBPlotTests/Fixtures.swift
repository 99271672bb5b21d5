import Foundation
import DNBTestSupport
@testable import DNBPlot

/// Deterministic stand-ins for the notebook's data, so pictures and
/// assertions do not depend on training.
enum Fixtures {
    /// A noisy, decreasing MSE curve like a DDPM training run.
    static func lossCurve(count: Int = 2000, seed: UInt64 = 1) -> [Double] {
        var rng = SplitMix64(state: seed)
        return (0..<count).map { i in
            let t = Double(i)
            return 0.03 + 0.9 * exp(-t / 150) + 0.02 * rng.normal() * exp(-t / 800) + 0.01 * abs(rng.normal())
        }
    }

    /// A 28×28 ring in [-1, 1], "digit-like" enough to judge rendering.
    static func digit(_ k: Int, noise: Double = 0, seed: UInt64 = 7) throws -> GrayImage {
        var rng = SplitMix64(state: seed &+ UInt64(k))
        var pixels: [Float] = []
        for y in 0..<28 {
            for x in 0..<28 {
                let r = (Double((x - 14) * (x - 14) + (y - 14) * (y - 14))).squareRoot()
                let ring = exp(-pow(r - 7 - Double(k % 3), 2) / 4)
                pixels.append(Float(2 * ring - 1 + noise * rng.normal()))
            }
        }
        return try GrayImage(width: 28, height: 28, pixels: pixels)
    }
}

extension SplitMix64 {
    /// A standard normal draw (Box–Muller).
    mutating func normal() -> Double {
        let u = max(uniform(), 1e-12)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * uniform())
    }
}
