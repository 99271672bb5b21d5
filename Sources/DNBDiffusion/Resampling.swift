import DNBEngine

/// diffusers' Downsample2D with a convolution: 3×3, stride 2, padding 1
/// (`downsample_padding` 1, the only value UNet2DModel configs use in practice;
/// the config reader rejects others).
public struct Downsample2D {
    public let conv: Conv2d

    public init(_ scope: ParameterScope, channels: Int, rng: inout RandomGenerator) {
        conv = Conv2d(scope("conv"), inChannels: channels, outChannels: channels, kernelSize: 3,
                      stride: 2, padding: 1, rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try conv(x) }
}

/// diffusers' Upsample2D with a convolution: nearest 2× then 3×3 padding 1.
public struct Upsample2D {
    public let conv: Conv2d

    public init(_ scope: ParameterScope, channels: Int, rng: inout RandomGenerator) {
        conv = Conv2d(scope("conv"), inChannels: channels, outChannels: channels, kernelSize: 3, padding: 1, rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try conv(try upsampleNearest2x(x)) }

    /// Without gradients: the convolution reads the upsampled pixels from x (no upsampled copy).
    func inference(_ x: Tensor) throws -> Tensor {
        try upsampledConv2dInference(x, weight: conv.weight, bias: conv.bias, stride: conv.stride, padding: conv.padding)
    }
}
