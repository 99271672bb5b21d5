import DNBSupport

/// Concatenation along the last (channel) dimension: torch.cat(dim=1) on NCHW
/// is the last dimension in dnb's NHWC layout.
public func concatChannels(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try requireNonEmpty("concat", a, b)
    guard a.rank == b.rank, a.shape.dropLast() == b.shape.dropLast() else {
        throw EngineError.shapeMismatch(op: "concat", detail: "\(describeShape(a.shape)) and \(describeShape(b.shape)) differ outside the channel dimension")
    }
    let ca = a.shape.last!, cb = b.shape.last!, c = ca + cb
    let rows = a.count / ca
    let out = Tensor(uninitialized: Array(a.shape.dropLast()) + [c])
    let ap = SendablePointer(a.data), bp = SendablePointer(b.data), op = SendablePointer(out.data)
    parallelChunks(rows, minimumPerThread: 512) { _, r in
        for i in r {
            (op.p + i * c).update(from: ap.p + i * ca, count: ca)
            (op.p + i * c + ca).update(from: bp.p + i * cb, count: cb)
        }
    }
    let am = a.autograd, bm = b.autograd  // the values are not needed for backward
    record(out, inputs: [a, b]) { g in
        let gp = SendablePointer(g.data)
        let ta = am.requiresGrad ? am.gradTarget() : nil, tb = bm.requiresGrad ? bm.gradTarget() : nil
        let ga = ta.map { SendablePointer($0.pointer) }, gb = tb.map { SendablePointer($0.pointer) }
        let accA = ta?.accumulate ?? false, accB = tb?.accumulate ?? false
        parallelChunks(rows, minimumPerThread: 512) { _, r in
            for i in r {
                if let ga {
                    if accA { for j in 0..<ca { ga.p[i * ca + j] += gp.p[i * c + j] } }
                    else { (ga.p + i * ca).update(from: gp.p + i * c, count: ca) }
                }
                if let gb {
                    if accB { for j in 0..<cb { gb.p[i * cb + j] += gp.p[i * c + ca + j] } }
                    else { (gb.p + i * cb).update(from: gp.p + i * c + ca, count: cb) }
                }
            }
        }
    }
    return out
}
