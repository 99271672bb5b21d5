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
    let o = SendablePointer(out.data), x = SendablePointer(a.data), y = SendablePointer(b.data)
    let n = bc.inner, sa = bc.aStep, sb = bc.bStep
    let rowsPerThread = max(1, (1 << 15) / n)
    parallelChunks(bc.rows, minimumPerThread: rowsPerThread) { _, range in
        bc.forEachRow(range) { oo, ao, bo in
            switch op {
            case .add: broadcastRow(o.p + oo, x.p + ao, sa, y.p + bo, sb, n) { $0 + $1 }
            case .sub: broadcastRow(o.p + oo, x.p + ao, sa, y.p + bo, sb, n) { $0 - $1 }
            case .mul: broadcastRow(o.p + oo, x.p + ao, sa, y.p + bo, sb, n) { $0 * $1 }
            }
        }
    }
    // Only mul reads its operands in backward; add and sub let them be freed.
    let am = a.autograd, bm = b.autograd, kept: [Tensor] = op == .mul ? [a, b] : []
    record(out, inputs: [a, b]) { g in
        let gp = SendablePointer(g.data)
        // ∂/∂a: g (add, sub) or g·b (mul); ∂/∂b: g, −g or g·a. A broadcast operand sums
        // its gradient over the repeated positions.
        withExtendedLifetime(kept) {
            if am.requiresGrad {
                broadcastGradient(bc, into: am, reduced: am.count < bc.count, step: sa, offset: { _, ao, _ in ao }, g: gp,
                                  other: op == .mul ? y : nil, otherStep: sb, otherOffset: { _, _, bo in bo }, sign: 1)
            }
            if bm.requiresGrad {
                broadcastGradient(bc, into: bm, reduced: bm.count < bc.count, step: sb, offset: { _, _, bo in bo }, g: gp,
                                  other: op == .mul ? x : nil, otherStep: sa, otherOffset: { _, ao, _ in ao }, sign: op == .sub ? -1 : 1)
            }
        }
    }
    return out
}

/// o[i] = f(x[i·sx], y[i·sy]) for i < n, with steps 0 or 1 (loops specialised so they vectorise).
@inline(__always)
private func broadcastRow(_ o: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ sx: Int,
                          _ y: UnsafePointer<Float>, _ sy: Int, _ n: Int, _ f: (Float, Float) -> Float) {
    if sx == 1 && sy == 1 {
        for i in 0..<n { o[i] = f(x[i], y[i]) }
    } else if sx == 1 {
        let v = y[0]
        for i in 0..<n { o[i] = f(x[i], v) }
    } else if sy == 1 {
        let v = x[0]
        for i in 0..<n { o[i] = f(v, y[i]) }
    } else {
        let v = f(x[0], y[0])
        for i in 0..<n { o[i] = v }
    }
}

/// Adds sign · g (times the other operand when `other` is given, for mul) into `target`'s
/// gradient. `offset` / `otherOffset` pick the operand's row offset from forEachRow's
/// (out, a, b) triple. Rows are split across threads; a broadcast (`reduced`) target is
/// summed per thread and the partials added in thread order, so results do not depend on scheduling.
@inline(__always)
private func broadcastGradient(_ bc: Broadcast, into target: AutogradMeta, reduced: Bool, step: Int,
                               offset: (Int, Int, Int) -> Int, g: SendablePointer<Float>,
                               other: SendablePointer<Float>?, otherStep: Int, otherOffset: (Int, Int, Int) -> Int,
                               sign: Float) {
    let n = bc.inner, rows = bc.rows
    let rowsPerThread = max(1, (1 << 15) / n)
    let threads = max(1, min(Engine.threads, rows / rowsPerThread))
    // A target of the output's size gets each element once: written when it has no gradient yet.
    let (dstPointer, add) = !reduced && step == 1 ? target.gradTarget() : (target.gradBuffer(), true)
    let dst = SendablePointer(dstPointer)
    // Per-thread sums for a broadcast target (thread 0 accumulates straight into the gradient).
    let partial = reduced && threads > 1 ? Tensor.zeros([threads - 1, target.count]) : nil
    let pp = partial.map { SendablePointer($0.data) }
    let tc = target.count
    parallelFor(threads) { t in
        let acc = t == 0 || pp == nil ? dst.p : pp!.p + (t - 1) * tc
        bc.forEachRow((rows * t / threads)..<(rows * (t + 1) / threads)) { oo, ao, bo in
            let d = acc + offset(oo, ao, bo), gr = g.p + oo
            if let other {
                let y = other.p + otherOffset(oo, ao, bo)
                if step == 1 && !add {
                    if otherStep == 1 { for i in 0..<n { d[i] = sign * gr[i] * y[i] } }
                    else { let v = sign * y[0]; for i in 0..<n { d[i] = v * gr[i] } }
                } else if step == 1 {
                    if otherStep == 1 { for i in 0..<n { d[i] += sign * gr[i] * y[i] } }
                    else { let v = sign * y[0]; for i in 0..<n { d[i] += v * gr[i] } }
                } else {
                    var s: Float = 0
                    if otherStep == 1 { for i in 0..<n { s += gr[i] * y[i] } }
                    else { for i in 0..<n { s += gr[i] }; s *= y[0] }
                    d[0] += sign * s
                }
            } else if step == 1 && !add {
                if sign == 1 { d.update(from: gr, count: n) } else { for i in 0..<n { d[i] = -gr[i] } }
            } else if step == 1 {
                if sign == 1 { for i in 0..<n { d[i] += gr[i] } } else { for i in 0..<n { d[i] -= gr[i] } }
            } else {
                var s: Float = 0
                for i in 0..<n { s += gr[i] }
                d[0] += sign * s
            }
        }
    }
    if let pp {
        for t in 0..<(threads - 1) {
            let part = pp.p + t * tc
            for i in 0..<tc { dst.p[i] += part[i] }
        }
    }
    withExtendedLifetime(partial) {}
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
    let am = a.autograd, bm = b.autograd, count = a.count, kept: [Tensor] = op == .mul ? [a, b] : []
    record(out, inputs: [a, b]) { g in
        let gp = SendablePointer(g.data)
        withExtendedLifetime(kept) {
            // a's gradient of a sum or difference is g itself: taken as it is when a has none yet.
            if am.requiresGrad, op != .mul {
                am.addGradient(g)
            } else if am.requiresGrad {
                let (ga, acc) = am.gradTarget()
                let gap = SendablePointer(ga)
                parallelChunks(count, minimumPerThread: 1 << 16) { _, r in
                    if acc { for i in r { gap.p[i] += gp.p[i] * y.p[i] } } else { for i in r { gap.p[i] = gp.p[i] * y.p[i] } }
                }
            }
            if bm.requiresGrad {
                let (gb, acc) = bm.gradTarget()
                let gbp = SendablePointer(gb)
                parallelChunks(count, minimumPerThread: 1 << 16) { _, r in
                    switch (op, acc) {
                    case (.add, true): for i in r { gbp.p[i] += gp.p[i] }
                    case (.add, false): gbp.p.advanced(by: r.lowerBound).update(from: gp.p + r.lowerBound, count: r.count)
                    case (.sub, true): for i in r { gbp.p[i] -= gp.p[i] }
                    case (.sub, false): for i in r { gbp.p[i] = -gp.p[i] }
                    case (.mul, true): for i in r { gbp.p[i] += gp.p[i] * x.p[i] }
                    case (.mul, false): for i in r { gbp.p[i] = gp.p[i] * x.p[i] }
                    }
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
    let xm = x.autograd, count = x.count
    record(out, inputs: [x]) { g in
        let (dst, acc) = xm.gradTarget()
        let gx = SendablePointer(dst), gp = SendablePointer(g.data)
        parallelChunks(count, minimumPerThread: 1 << 16) { _, r in
            if acc { for i in r { gx.p[i] += gp.p[i] * s } } else { for i in r { gx.p[i] = gp.p[i] * s } }
        }
    }
    return out
}
