import DNBEngine

/// The leaf modules of diffusers models, each owning its parameters under
/// diffusers' names and initialised like PyTorch's defaults:
/// U(−1/√fan_in, 1/√fan_in) for weights and biases, ones/zeros for norms.

public struct Conv2d {
    public let weight: Tensor  // [KH, KW, Cin, Cout]
    public let bias: Tensor?
    public let stride: Int, padding: Int

    public init(_ scope: ParameterScope, inChannels: Int, outChannels: Int, kernelSize: Int,
                stride: Int = 1, padding: Int = 0, bias: Bool = true, rng: inout RandomGenerator) {
        let bound = 1 / Float(inChannels * kernelSize * kernelSize).squareRoot()
        weight = scope.register("weight", rng.uniformTensor([kernelSize, kernelSize, inChannels, outChannels], low: -bound, high: bound),
                                layout: .convolutionOIHW)
        self.bias = bias ? scope.register("bias", rng.uniformTensor([outChannels], low: -bound, high: bound)) : nil
        self.stride = stride
        self.padding = padding
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }

    /// self(norm(x, thenSiLU:)) (+ `perImageBias` [N, Cout] on every pixel of its image) (+ `residual`, as
    /// `add(residual, …)`) as one recorded op that does not keep the normalised activation for backward
    /// (`groupNormConv2d`: the same floats, ~370 MB less at the tutorial's batch 128, and no pass of its own
    /// for the per-image bias or the residual).
    public func callAsFunction(_ x: Tensor, normalizedBy norm: GroupNorm, thenSiLU: Bool,
                               perImageBias: Tensor? = nil, residual: Tensor? = nil) throws -> Tensor {
        try groupNormConv2d(x, groups: norm.groups, normWeight: norm.weight, normBias: norm.bias, eps: norm.eps,
                            silu: thenSiLU, weight: weight, bias: bias, stride: stride, padding: padding,
                            sampleBias: perImageBias, residual: residual)
    }
}

public struct Linear {
    public let weight: Tensor  // [out, in]
    public let bias: Tensor?

    public init(_ scope: ParameterScope, inFeatures: Int, outFeatures: Int, bias: Bool = true, rng: inout RandomGenerator) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = scope.register("weight", rng.uniformTensor([outFeatures, inFeatures], low: -bound, high: bound))
        self.bias = bias ? scope.register("bias", rng.uniformTensor([outFeatures], low: -bound, high: bound)) : nil
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try linear(x, weight: weight, bias: bias) }
}

public struct GroupNorm {
    public let weight: Tensor, bias: Tensor
    public let groups: Int, eps: Float

    public init(_ scope: ParameterScope, groups: Int, channels: Int, eps: Float) throws {
        guard groups > 0, channels % groups == 0 else {
            throw ModelError.invalidConfig("GroupNorm: \(channels) channels are not divisible into \(groups) groups (norm_num_groups)")
        }
        weight = scope.register("weight", Tensor(shape: [channels], repeating: 1))
        bias = scope.register("bias", Tensor.zeros([channels]))
        self.groups = groups
        self.eps = eps
    }

    /// Normalises, optionally applying SiLU in the same pass.
    public func callAsFunction(_ x: Tensor, thenSiLU: Bool = false) throws -> Tensor {
        try groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps, fusedSiLU: thenSiLU)
    }
}

public struct Embedding {
    public let weight: Tensor

    public init(_ scope: ParameterScope, count: Int, dimension: Int, rng: inout RandomGenerator) {
        weight = scope.register("weight", rng.normalTensor([count, dimension]))  // PyTorch: N(0, 1)
    }

    public func callAsFunction(_ indices: [Int]) throws -> Tensor { try embedding(indices, weight: weight) }
}
