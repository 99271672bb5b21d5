/// Broadcasting add, subtract and multiply, with their backward passes.
public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary("add", a, b, .add) }
public func sub(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary("sub", a, b, .sub) }
public func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary("mul", a, b, .mul) }

public func + (a: Tensor, b: Tensor) throws -> Tensor { try add(a, b) }
public func - (a: Tensor, b: Tensor) throws -> Tensor { try sub(a, b) }
public func * (a: Tensor, b: Tensor) throws -> Tensor { try mul(a, b) }

enum BinaryOp { case add, sub, mul }

func binary(_ name: String, _ a: Tensor, _ b: Tensor, _ op: BinaryOp) throws -> Tensor {
    try requireNonEmpty(name, a, b)
    if a.shape == b.shape { return sameShape(a, b, op) }
    let bc = try Broadcast(name, a.shape, b.shape)
    let out = Tensor(uninitialized: bc.outShape)
    let o = out.data, x = a.data, y = b.data
    bc.forEachRun { oo, ao, bo, n, sa, sb in
        switch op {
        case .add: for i in 0..<n { o[oo + i] = x[ao + i * sa] + y[bo + i * sb] }
        case .sub: for i in 0..<n { o[oo + i] = x[ao + i * sa] - y[bo + i * sb] }
        case .mul: for i in 0..<n { o[oo + i] = x[ao + i * sa] * y[bo + i * sb] }
        }
    }
    record(out, inputs: [a, b]) { g in
        let gp = g.data
        // Gradients of a broadcast operand sum over the repeated positions.
        if a.requiresGrad {
            let ga = a.gradBuffer()
            bc.forEachRun { oo, ao, bo, n, sa, sb in
                switch op {
                case .add, .sub: for i in 0..<n { ga[ao + i * sa] += gp[oo + i] }
                case .mul: for i in 0..<n { ga[ao + i * sa] += gp[oo + i] * y[bo + i * sb] }
                }
            }
        }
        if b.requiresGrad {
            let gb = b.gradBuffer()
            bc.forEachRun { oo, ao, bo, n, sa, sb in
                switch op {
                case .add: for i in 0..<n { gb[bo + i * sb] += gp[oo + i] }
                case .sub: for i in 0..<n { gb[bo + i * sb] -= gp[oo + i] }
                case .mul: for i in 0..<n { gb[bo + i * sb] += gp[oo + i] * x[ao + i * sa] }
                }
            }
        }
    }
    return out
}

private func sameShape(_ a: Tensor, _ b: Tensor, _ op: BinaryOp) -> Tensor {
    let out = Tensor(uninitialized: a.shape)
    let o = SendablePointer(out.data), x = SendablePointer(a.data), y = SendablePointer(b.data)
    parallelChunks(a.count, minimumPerThread: 1 << 16) { _, r in
        switch op {
        case .add: for i in r { o.p[i] = x.p[i] + y.p[i] }
        case .sub: for i in r { o.p[i] = x.p[i] - y.p[i] }
        case .mul: for i in r { o.p[i] = x.p[i] * y.p[i] }
        }
    }
    record(out, inputs: [a, b]) { g in
        let gp = SendablePointer(g.data)
        if a.requiresGrad {
            let ga = SendablePointer(a.gradBuffer())
            parallelChunks(a.count, minimumPerThread: 1 << 16) { _, r in
                switch op {
                case .add, .sub: for i in r { ga.p[i] += gp.p[i] }
                case .mul: for i in r { ga.p[i] += gp.p[i] * y.p[i] }
                }
            }
        }
        if b.requiresGrad {
            let gb = SendablePointer(b.gradBuffer())
            parallelChunks(b.count, minimumPerThread: 1 << 16) { _, r in
                switch op {
                case .add: for i in r { gb.p[i] += gp.p[i] }
                case .sub: for i in r { gb.p[i] -= gp.p[i] }
                case .mul: for i in r { gb.p[i] += gp.p[i] * x.p[i] }
                }
            }
        }
    }
    return out
}

/// x · s for a constant s.
public func scale(_ x: Tensor, _ s: Float) throws -> Tensor {
    try requireNonEmpty("scale", x)
    let out = Tensor(uninitialized: x.shape)
    let o = SendablePointer(out.data), xp = SendablePointer(x.data)
    parallelChunks(x.count, minimumPerThread: 1 << 16) { _, r in for i in r { o.p[i] = xp.p[i] * s } }
    record(out, inputs: [x]) { g in
        let gx = SendablePointer(x.gradBuffer()), gp = SendablePointer(g.data)
        parallelChunks(x.count, minimumPerThread: 1 << 16) { _, r in for i in r { gx.p[i] += gp.p[i] * s } }
    }
    return out
}
