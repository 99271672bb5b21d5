import Foundation

/// Sinusoidal timestep features, diffusers' `get_timestep_embedding` with
/// max_period 10000, computed in float32 in the same order so values match:
/// exponent_i = −ln(10000) · i / (half − shift), emb = t · exp(exponent),
/// [sin, cos] (or [cos, sin] with `flipSinToCos`). The exponential is rounded
/// correctly from double; PyTorch's vectorised one can be 1 ulp away, which
/// moves large-t arguments by up to ~6e-5 rad. Timesteps carry no gradient.
public func timestepEmbedding(_ timesteps: [Float], dimension: Int, flipSinToCos: Bool = true,
                              downscaleFreqShift: Float = 0, maxPeriod: Float = 10000) throws -> Tensor {
    guard !timesteps.isEmpty else { throw EngineError.emptyTensor(op: "timestep_embedding") }
    guard dimension >= 2 else {
        throw EngineError.invalidArgument(op: "timestep_embedding", detail: "dimension \(dimension) must be at least 2")
    }
    let half = dimension / 2
    let logPeriod = Float(-log(Double(maxPeriod)))
    let freqs = (0..<half).map { i in Float(exp(Double(logPeriod * Float(i) / (Float(half) - downscaleFreqShift)))) }
    let out = Tensor.zeros([timesteps.count, dimension])  // an odd dimension leaves the last column zero, as diffusers pads
    for (row, t) in timesteps.enumerated() {
        let dst = out.data + row * dimension
        for i in 0..<half {
            let arg = t * freqs[i]
            let (first, second) = flipSinToCos ? (cosf(arg), sinf(arg)) : (sinf(arg), cosf(arg))
            dst[i] = first
            dst[half + i] = second
        }
    }
    return out
}
