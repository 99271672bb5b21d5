/// How a parameter is laid out in diffusers' checkpoints compared to dnb.
public enum ExternalLayout: String, Sendable, Codable {
    /// Same values, same order.
    case identical
    /// diffusers stores [Cout, Cin, KH, KW]; dnb keeps [KH, KW, Cin, Cout].
    case convolutionOIHW
}

/// A named trainable tensor: `down_blocks.0.resnets.1.conv1.weight`.
public struct Parameter {
    public let name: String
    public let tensor: Tensor
    public let layout: ExternalLayout
}

/// The ordered set of a model's parameters under diffusers' dotted names.
public final class ParameterStore {
    public private(set) var parameters: [Parameter] = []
    private var index: [String: Int] = [:]

    public init() {}

    public var tensors: [Tensor] { parameters.map(\.tensor) }
    public var count: Int { parameters.reduce(0) { $0 + $1.tensor.count } }
    public subscript(name: String) -> Parameter? { index[name].map { parameters[$0] } }

    public func register(_ name: String, _ tensor: Tensor, layout: ExternalLayout = .identical) {
        // An internal invariant: names come from the model's own layer code, never from a user's file.
        precondition(index[name] == nil, "parameter \(name) registered twice")
        tensor.requiresGrad = true
        index[name] = parameters.count
        parameters.append(Parameter(name: name, tensor: tensor, layout: layout))
    }

    public func zeroGrad() { for p in parameters { p.tensor.zeroGrad() } }

    /// The parameters holding NaN or infinite values, with how many each holds: loaded weights of a diverged run.
    public func nonFinite() -> [(name: String, count: Int)] {
        parameters.compactMap { p in
            let t = p.tensor
            var bad = 0
            for i in 0..<t.count where !t.data[i].isFinite { bad += 1 }
            return bad > 0 ? (p.name, bad) : nil
        }
    }
}

/// A dotted-name prefix under which a layer registers its parameters.
public struct ParameterScope {
    public let store: ParameterStore
    public let prefix: String

    public init(_ store: ParameterStore, prefix: String = "") {
        self.store = store
        self.prefix = prefix
    }

    public func callAsFunction(_ name: String) -> ParameterScope {
        ParameterScope(store, prefix: prefix.isEmpty ? name : prefix + "." + name)
    }

    public func callAsFunction(_ index: Int) -> ParameterScope { self(String(index)) }

    @discardableResult
    public func register(_ name: String, _ tensor: Tensor, layout: ExternalLayout = .identical) -> Tensor {
        store.register(self(name).prefix, tensor, layout: layout)
        return tensor
    }
}
