import DNBSupport

/// A dense float32 tensor with an explicit shape, stored contiguously in row-major order.
///
/// Image tensors are NHWC inside dnb: channels are the innermost dimension, so a
/// convolution's im2col rows and an attention block's tokens are contiguous
/// without transposes. diffusers' NCHW/OIHW tensors are converted once, at the
/// boundary (`Layout`).
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let storage: Storage
    /// Gradient, producer and flags. The graph holds these, not the tensor, so a tensor's
    /// values are freed as soon as no backward pass needs them (add, concat, reshape, upsample …
    /// never read their inputs).
    let autograd: AutogradMeta

    /// Accumulated gradient: the first backward kernel to reach it writes it, later ones add to it.
    public var grad: Tensor? {
        get { autograd.grad }
        set { autograd.grad = newValue }
    }
    /// Leaves that want gradients (parameters). Outputs of recorded ops get it automatically.
    public var requiresGrad: Bool {
        get { autograd.requiresGrad }
        set { autograd.requiresGrad = newValue }
    }
    /// The op that produced this tensor, when it was recorded for backward.
    var node: Node? {
        get { autograd.node }
        set { autograd.node = newValue }
    }
    /// Whether this tensor was recorded for backward (false for everything made under `withNoGrad`).
    public var isRecorded: Bool { node != nil }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }
    public var data: UnsafeMutablePointer<Float> { storage.pointer }
    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: storage.pointer, count: count) }

    /// Uninitialised tensor: every kernel that creates one writes all of it.
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        self.storage = Storage(count: shape.reduce(1, *))
        self.autograd = AutogradMeta(shape: shape)
    }

    init(shape: [Int], storage: Storage) {
        self.shape = shape
        self.storage = storage
        self.autograd = AutogradMeta(shape: shape)
    }

    public convenience init(shape: [Int], repeating value: Float) {
        self.init(uninitialized: shape)
        buffer.initialize(repeating: value)
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    public convenience init(shape: [Int], scalars: [Float]) throws {
        guard let count = elementCount(shape), count == scalars.count else {
            throw EngineError.shapeMismatch(op: "Tensor(shape:scalars:)",
                detail: "shape \(describeShape(shape)) holds \(elementCount(shape).map(String.init) ?? "too many (or negative)") values, got \(scalars.count)")
        }
        self.init(uninitialized: shape)
        _ = buffer.initialize(from: scalars)
    }

    public var scalars: [Float] { Array(buffer) }

    /// The single value of a one-element tensor.
    public var item: Float { data[0] }

    /// A copy that shares nothing and records nothing.
    public func copy() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// The same values under another shape (a view: storage is shared). Recorded for backward.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var dims = newShape
        if let i = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            guard known > 0, count % known == 0 else {
                throw EngineError.shapeMismatch(op: "reshape", detail: "cannot view \(describeShape(shape)) as \(describeShape(newShape))")
            }
            dims[i] = count / known
        }
        guard dims.reduce(1, *) == count else {
            throw EngineError.shapeMismatch(op: "reshape", detail: "cannot view \(describeShape(shape)) as \(describeShape(newShape))")
        }
        let out = Tensor(shape: dims, storage: storage)
        let meta = autograd
        record(out, inputs: [self]) { g in meta.addGradient(g) }
        return out
    }

    /// Drops the gradient buffer (the llm.c `zero_grad` counterpart, freeing rather than zeroing).
    public func zeroGrad() { grad = nil }

    /// The gradient buffer, allocated zeroed on first use, for kernels that accumulate.
    func gradBuffer() -> UnsafeMutablePointer<Float> { autograd.gradBuffer() }

    /// Stops gradient flow: the same storage, no node.
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = buffer.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor\(describeShape(shape))[\(preview)\(count > 8 ? ", …" : "")]"
    }
}

func requireSameShape(_ op: String, _ a: Tensor, _ b: Tensor) throws {
    guard a.shape == b.shape else {
        throw EngineError.shapeMismatch(op: op, detail: "\(describeShape(a.shape)) vs \(describeShape(b.shape))")
    }
}

func requireNonEmpty(_ op: String, _ tensors: Tensor...) throws {
    for t in tensors where t.count == 0 || t.shape.contains(0) { throw EngineError.emptyTensor(op: op) }
}

func requireRank(_ op: String, _ t: Tensor, _ rank: Int, _ what: String) throws {
    guard t.rank == rank else {
        throw EngineError.shapeMismatch(op: op, detail: "expected \(what) of rank \(rank), got \(describeShape(t.shape))")
    }
}
