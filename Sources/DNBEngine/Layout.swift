import DNBSupport

/// Conversions between PyTorch's layouts and dnb's, done once at the boundary.
public enum Layout {
    /// NCHW values → NHWC tensor.
    public static func nhwc(fromNCHW values: UnsafePointer<Float>, shape s: [Int]) throws -> Tensor {
        guard s.count == 4 else { throw EngineError.shapeMismatch(op: "nhwc", detail: "expected NCHW, got \(describeShape(s))") }
        let (n, c, h, w) = (s[0], s[1], s[2], s[3])
        let t = Tensor(uninitialized: [n, h, w, c])
        for i in 0..<n { for ch in 0..<c { for y in 0..<h { for x in 0..<w {
            t.data[((i * h + y) * w + x) * c + ch] = values[((i * c + ch) * h + y) * w + x]
        } } } }
        return t
    }

    public static func nhwc(fromNCHW values: [Float], shape: [Int]) throws -> Tensor {
        guard values.count == shape.reduce(1, *) else {
            throw EngineError.shapeMismatch(op: "nhwc", detail: "\(values.count) values for shape \(describeShape(shape))")
        }
        return try values.withUnsafeBufferPointer { try nhwc(fromNCHW: $0.baseAddress!, shape: shape) }
    }

    /// NHWC tensor → NCHW values and shape.
    public static func nchw(_ t: Tensor) throws -> (values: [Float], shape: [Int]) {
        try requireRank("nchw", t, 4, "NHWC tensor")
        let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        var out = [Float](repeating: 0, count: t.count)
        for i in 0..<n { for y in 0..<h { for x in 0..<w { for ch in 0..<c {
            out[((i * c + ch) * h + y) * w + x] = t.data[((i * h + y) * w + x) * c + ch]
        } } } }
        return (out, [n, c, h, w])
    }

    /// OIHW convolution weights → HWIO tensor.
    public static func hwio(fromOIHW values: [Float], shape s: [Int]) throws -> Tensor {
        guard s.count == 4, values.count == s.reduce(1, *) else {
            throw EngineError.shapeMismatch(op: "hwio", detail: "expected OIHW values, got shape \(describeShape(s)) with \(values.count) values")
        }
        let (o, i, kh, kw) = (s[0], s[1], s[2], s[3])
        let t = Tensor(uninitialized: [kh, kw, i, o])
        for a in 0..<o { for b in 0..<i { for y in 0..<kh { for x in 0..<kw {
            t.data[((y * kw + x) * i + b) * o + a] = values[((a * i + b) * kh + y) * kw + x]
        } } } }
        return t
    }

    /// HWIO tensor → OIHW values and shape.
    public static func oihw(_ t: Tensor) throws -> (values: [Float], shape: [Int]) {
        try requireRank("oihw", t, 4, "HWIO weight")
        let (kh, kw, i, o) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        var out = [Float](repeating: 0, count: t.count)
        for a in 0..<o { for b in 0..<i { for y in 0..<kh { for x in 0..<kw {
            out[((a * i + b) * kh + y) * kw + x] = t.data[((y * kw + x) * i + b) * o + a]
        } } } }
        return (out, [o, i, kh, kw])
    }

    /// Converts a parameter's values from its diffusers layout into a dnb tensor.
    public static func internalTensor(_ values: [Float], externalShape: [Int], layout: ExternalLayout) throws -> Tensor {
        switch layout {
        case .identical: return try Tensor(shape: externalShape, scalars: values)
        case .convolutionOIHW: return try hwio(fromOIHW: values, shape: externalShape)
        }
    }

    /// A parameter's values and shape in its diffusers layout.
    public static func externalValues(_ t: Tensor, layout: ExternalLayout) throws -> (values: [Float], shape: [Int]) {
        switch layout {
        case .identical: return (t.scalars, t.shape)
        case .convolutionOIHW: return try oihw(t)
        }
    }
}
