import Foundation
import Testing
@testable import DNBEngine

/// Winograd kernel transforms kept for the weights a scope names, while it lasts, on its own thread only. The
/// tests change a weight in place inside a scope — breaking on purpose the promise its opener makes — to see
/// whether a transform was reused: a reused transform gives the convolution of the old weight.
struct KernelTransformCacheTests {
    private func conv(_ x: Tensor, _ w: Tensor) throws -> [Float] { try conv2dInference(x, weight: w, bias: nil, padding: 1).scalars }

    @Test func aScopeKeepsTheTransformsOfItsWeightsOnly() throws {
        let x = randn([2, 6, 6, 4], seed: 1), w = randn([3, 3, 4, 5], seed: 2), other = randn([3, 3, 4, 5], seed: 3)
        let before = try conv(x, w), otherBefore = try conv(x, other)
        try KernelTransformCache.scope(for: [w]) { () throws in
            #expect(try conv(x, w) == before, "the same floats through the cache")
            #expect(try conv(x, other) == otherBefore)
            w.data[0] += 1
            other.data[0] += 1
            #expect(try conv(x, w) == before, "w's transform is kept")
            #expect(try conv(x, other) != otherBefore, "a weight the scope does not name is not")
        }
        #expect(try conv(x, w) != before, "the scope has ended")
    }

    /// The forward transform and the input gradient's (flipped, transposed) are kept apart: one served for
    /// the other would give a wrong input gradient.
    @Test func forwardAndInputGradientTransformsAreDistinct() throws {
        let w = randn([3, 3, 4, 5], seed: 2)
        func inputGradient() throws -> [Float] {
            let x = randn([2, 6, 6, 4], seed: 1)
            x.requiresGrad = true
            try mseLoss(try conv2d(x, weight: w, bias: nil, padding: 1), randn([2, 6, 6, 5], seed: 4)).backward()
            return x.grad!.scalars
        }
        let expected = try inputGradient()
        try KernelTransformCache.scope(for: [w]) { () throws in
            #expect(try inputGradient() == expected)
            #expect(try inputGradient() == expected)
        }
    }

    @Test func innerScopesShareTheOuterCacheAndOtherThreadsSeeNone() throws {
        let x = randn([2, 6, 6, 4], seed: 1), w = randn([3, 3, 4, 5], seed: 2)
        let before = try conv(x, w)
        try KernelTransformCache.scope(for: [w]) { () throws in
            _ = try conv(x, w)
            w.data[0] += 1
            try KernelTransformCache.scope(for: [w]) { () throws in #expect(try conv(x, w) == before, "the outer scope's transform") }
            let elsewhere = Box<[Float]?>(nil)
            let done = DispatchSemaphore(value: 0)
            Thread { elsewhere.value = try? self.conv(x, w); done.signal() }.start()
            done.wait()
            #expect(elsewhere.value != nil && elsewhere.value != before, "another thread transforms the changed weight")
        }
    }
}

private final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
