import Foundation

/// dnb's seedable generator: xoshiro256** seeded through SplitMix64.
///
/// Documented so any implementation can reproduce it:
/// - seeding: the four state words are successive SplitMix64 outputs from `seed`;
/// - `uniform()`: the top 24 bits of the next output × 2⁻²⁴, in [0, 1);
/// - `normal()`: Box–Muller in double precision on two 53-bit uniforms
///   u1 ∈ (0, 1], u2 ∈ [0, 1): r = √(−2 ln u1), z0 = r cos 2πu2, z1 = r sin 2πu2,
///   returned z0 then z1 (the spare is part of the state);
/// - `randint(below:)`: Lemire's unbiased multiply-shift rejection;
/// - `permutation(n)`: Fisher–Yates from the last index down.
/// Numbers are drawn sequentially on the calling thread, so the same seed gives
/// the same numbers on every machine and thread count.
public struct RandomGenerator: Sendable, Equatable, Codable {
    public var state: [UInt64]
    public var spareNormal: Double?

    public init(seed: UInt64) {
        var s = seed
        state = (0..<4).map { _ in RandomGenerator.splitMix64(&s) }
        spareNormal = nil
    }

    /// A generator at a saved state (a checkpoint's): four words, not all zero — xoshiro's all-zero state
    /// is a fixed point that yields 0 forever (and `randint`'s rejection loop would never end).
    public init(state: [UInt64], spareNormal: Double? = nil) throws {
        guard state.count == 4 else {
            throw EngineError.invalidArgument(op: "RandomGenerator", detail: "the state must be 4 words of xoshiro256**, got \(state.count)")
        }
        guard state.contains(where: { $0 != 0 }) else {
            throw EngineError.invalidArgument(op: "RandomGenerator", detail: "the state is all zero, which xoshiro256** never reaches (a corrupted file?)")
        }
        if let spareNormal, !spareNormal.isFinite {
            throw EngineError.invalidArgument(op: "RandomGenerator", detail: "the spare normal \(spareNormal) is not finite")
        }
        self.state = state
        self.spareNormal = spareNormal
    }

    private enum CodingKeys: String, CodingKey { case state, spareNormal }

    /// Decoding validates as `init(state:spareNormal:)` does, so a corrupted file is an error, not a trap or a hang.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let state = try container.decode([UInt64].self, forKey: .state)
        let spare = try container.decodeIfPresent(Double.self, forKey: .spareNormal)
        do { try self.init(state: state, spareNormal: spare) } catch {
            throw DecodingError.dataCorruptedError(forKey: .state, in: container, debugDescription: String(describing: error))
        }
    }

    static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]; state[3] ^= state[1]; state[1] ^= state[2]; state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    public mutating func normal() -> Float {
        if let z = spareNormal { spareNormal = nil; return Float(z) }
        let u1 = Double((next() >> 11) + 1) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        let r = (-2 * log(u1)).squareRoot()
        spareNormal = r * sin(2 * Double.pi * u2)
        return Float(r * cos(2 * Double.pi * u2))
    }

    /// An integer in 0..<bound, unbiased; a bound below 1 is an error (there is no such integer).
    public mutating func randint(below bound: Int) throws -> Int {
        guard bound > 0 else {
            throw EngineError.invalidArgument(op: "randint", detail: "the bound must be at least 1, got \(bound)")
        }
        return index(below: UInt64(bound))
    }

    /// Lemire's draw in 0..<b for b ≥ 1 (the callers above guarantee it).
    private mutating func index(below b: UInt64) -> Int {
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        var i = n - 1
        while i > 0 { p.swapAt(i, index(below: UInt64(i + 1))); i -= 1 }
        return p
    }

    public mutating func normalTensor(_ shape: [Int]) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count { t.data[i] = normal() }
        return t
    }

    public mutating func uniformTensor(_ shape: [Int], low: Float = 0, high: Float = 1) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count { t.data[i] = low + (high - low) * uniform() }
        return t
    }
}
