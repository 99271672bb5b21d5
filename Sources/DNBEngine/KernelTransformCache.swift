import Foundation

/// Winograd kernel transforms (U = G g Gᵀ, and the input gradient's flipped, transposed one) of weights that
/// stay fixed for a while, computed once and reused: a sampling loop runs every convolution hundreds of times
/// with the same weights, and a forward pass in chunks (`UNet2DModel`) once per chunk.
///
/// Only the weights named when the scope opens are cached, and the cache holds them, so their storage cannot
/// be freed and reused at the same address while it lives; whoever opens the scope promises that their values
/// do not change inside it (sampling changes no weight). Scopes belong to the thread that opens them:
/// concurrent work elsewhere never sees them. Not used for training: a step's micro-batches would share the
/// transforms, but the gain (~1 % of the CPU time by the profile) did not show beside the noise, for 85 MB more
/// memory (bench/README.md, "Training step and sampling, session 10").
public final class KernelTransformCache: @unchecked Sendable {
    private let weights: [Tensor]
    private let cached: Set<UnsafeMutableRawPointer>
    private struct Key: Hashable {
        let weight: UnsafeMutableRawPointer
        let tile: Int
        let inputGradient: Bool
    }
    private var entries: [Key: Tensor] = [:]
    private let lock = NSLock()

    private init(_ weights: [Tensor]) {
        self.weights = weights
        cached = Set(weights.map { UnsafeMutableRawPointer($0.data) })
    }

    func covers(_ weights: [Tensor]) -> Bool { weights.allSatisfy { cached.contains(UnsafeMutableRawPointer($0.data)) } }

    /// The transform of `wt` from the cache, or computed (and kept when `wt` is one of the scope's weights).
    func transform(_ wt: UnsafePointer<Float>, tile: Int, inputGradient: Bool, compute: () -> Tensor) -> Tensor {
        let pointer = UnsafeMutableRawPointer(mutating: wt)
        guard cached.contains(pointer) else { return compute() }
        let key = Key(weight: pointer, tile: tile, inputGradient: inputGradient)
        if let u = lock.withLock({ entries[key] }) { return u }
        let u = compute()
        lock.withLock { entries[key] = u }
        return u
    }

    /// The scope open on this thread, if any.
    static var current: KernelTransformCache? {
        guard let p = pthread_getspecific(key) else { return nil }
        return Unmanaged<KernelTransformCache>.fromOpaque(p).takeUnretainedValue()
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs `body` with the Winograd transforms of `weights` cached; `weights` must not change inside it. Inside a
    /// scope that already covers them, the outer cache serves (a sampling loop around each step's forward).
    public static func scope<T>(for weights: [Tensor], _ body: () throws -> T) rethrows -> T {
        let outer = pthread_getspecific(key)
        if let current, current.covers(weights) { return try body() }
        let cache = KernelTransformCache(weights)
        pthread_setspecific(key, Unmanaged.passUnretained(cache).toOpaque())
        defer { pthread_setspecific(key, outer) }
        return try withExtendedLifetime(cache) { try body() }
    }
}
