import DNBSupport

/// The recorded producer of a tensor: its inputs' autograd state and how to push
/// an output gradient back to them. Backward closures capture exactly what they
/// read (an input tensor only when its values are needed, cached statistics) and
/// add into the inputs' gradients, or write a first one (`gradTarget`, `addGradient`).
final class Node {
    let inputs: [AutogradMeta]
    let backward: (Tensor) throws -> Void
    init(inputs: [AutogradMeta], backward: @escaping (Tensor) throws -> Void) {
        self.inputs = inputs
        self.backward = backward
    }
}

/// A tensor's autograd state, separate from its values (PyTorch's AutogradMeta):
/// the graph links these, so holding the graph does not hold activations.
final class AutogradMeta {
    let shape: [Int]
    var grad: Tensor?
    var requiresGrad = false
    var node: Node?

    init(shape: [Int]) { self.shape = shape }

    var count: Int { shape.reduce(1, *) }

    /// The gradient buffer, allocated zeroed on first use, for kernels that accumulate.
    func gradBuffer() -> UnsafeMutablePointer<Float> {
        if let g = grad { return g.data }
        let g = Tensor.zeros(shape)
        grad = g
        return g.data
    }

    /// The gradient buffer for a kernel that can write as well as add: with no gradient yet, a fresh
    /// *uninitialised* buffer and `accumulate` false (the kernel must then write every element), else
    /// the gradient and true. Zero-filling first-use buffers only to add into them cost ~1.7 GB of
    /// writes per batch-128 training step (bench/README.md).
    func gradTarget() -> (pointer: UnsafeMutablePointer<Float>, accumulate: Bool) {
        if let g = grad { return (g.data, true) }
        let g = Tensor(uninitialized: shape)
        grad = g
        return (g.data, false)
    }

    /// Adds `g` (the same number of elements) to the gradient; with none yet, `g`'s storage becomes the
    /// gradient, no copy. Only for a backward closure's incoming gradient, which nothing else holds or
    /// writes afterwards — and for one input per call (two inputs sharing one buffer would share sums).
    func addGradient(_ g: Tensor) {
        if let mine = grad {
            let d = SendablePointer(mine.data), s = SendablePointer(g.data)
            parallelChunks(count, minimumPerThread: 1 << 16) { _, r in for i in r { d.p[i] += s.p[i] } }
        } else {
            grad = Tensor(shape: shape, storage: g.storage)
        }
    }
}

/// Whether ops record themselves for backward. Inference runs inside
/// `withNoGrad`, where nothing is recorded and nothing is kept for backward.
public enum GradMode {
    @TaskLocal public static var isEnabled = true
}

public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

/// Records `out` as produced from `inputs` when gradients are wanted.
@inline(__always)
func record(_ out: Tensor, inputs: [Tensor], backward: @escaping (Tensor) throws -> Void) {
    guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return }
    out.requiresGrad = true
    out.node = Node(inputs: inputs.map(\.autograd), backward: backward)
}

extension Tensor {
    /// Reverse-mode pass from this (scalar) tensor. Gradients of leaves accumulate
    /// into their `grad`; intermediate gradients and the graph are released as
    /// soon as they have been used, so activations free during the pass.
    public func backward() throws {
        guard count == 1 else {
            throw EngineError.notDifferentiable("backward() needs a scalar, got \(describeShape(shape))")
        }
        guard node != nil else { throw EngineError.notDifferentiable("tensor was not produced by a recorded op") }
        try backward(seed: Tensor(shape: shape, repeating: 1))
    }

    /// Reverse-mode pass with an explicit output gradient.
    public func backward(seed: Tensor) throws {
        try requireSameShape("backward", self, seed)
        var order: [AutogradMeta] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative post-order DFS: the UNet graph is deep enough to make recursion risky.
        var stack: [(AutogradMeta, Bool)] = [(autograd, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            if !visited.insert(ObjectIdentifier(t)).inserted { continue }
            stack.append((t, true))
            for input in t.node?.inputs ?? [] where input.node != nil && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        if let g = grad {
            for i in 0..<count { g.data[i] += seed.data[i] }
        } else {
            grad = seed.copy()
        }
        for t in order.reversed() {
            guard let node = t.node else { continue }
            t.node = nil
            if let g = t.grad {
                t.grad = nil
                try node.backward(g)
            }
        }
    }
}
