/// Seeded damage to a valid file, for fuzzing readers: each call applies one to three of
/// truncation, bit flips, a huge 32-bit field (0xFFFFFFFF, 2³¹ or random, either byte order —
/// what overflows size arithmetic), and an inserted run of random bytes. Same seed, same files.
public struct Mutations {
    var rng: SplitMix64

    public init(seed: UInt64) { rng = SplitMix64(state: seed) }

    public mutating func next() -> UInt64 { rng.next() }

    /// A number in 0..<bound (bound > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// `bytes` damaged; `header` is how many leading bytes hold sizes and offsets (half of the
    /// huge-field writes land there).
    public mutating func mutate(_ bytes: [UInt8], header: Int = 64) -> [UInt8] {
        var b = bytes
        for _ in 0...below(3) {
            switch below(4) {
            case 0:
                b = Array(b.prefix(below(b.count + 1)))
            case 1:
                guard !b.isEmpty else { continue }
                for _ in 0...below(8) { b[below(b.count)] ^= UInt8(1) << UInt8(below(8)) }
            case 2:
                guard b.count >= 4 else { continue }
                let span = below(2) == 0 ? min(header, b.count - 3) : b.count - 3
                let at = below(max(span, 1))
                let values: [UInt32] = [0xFFFF_FFFF, 0x8000_0000, UInt32(truncatingIfNeeded: next())]
                let v = values[below(values.count)]
                let bigEndian = below(2) == 0
                for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> UInt32(bigEndian ? 24 - 8 * i : 8 * i)) }
            default:
                let run = (0..<(1 + below(32))).map { _ in UInt8(truncatingIfNeeded: next()) }
                b.insert(contentsOf: run, at: below(b.count + 1))
            }
        }
        return b
    }
}
