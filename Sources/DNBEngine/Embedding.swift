/// Row lookup `weight[indices]` ([count] → [count, dim]), PyTorch's nn.Embedding.
public func embedding(_ indices: [Int], weight: Tensor) throws -> Tensor {
    try requireNonEmpty("embedding", weight)
    try requireRank("embedding", weight, 2, "weight [num_embeddings, dim]")
    guard !indices.isEmpty else { throw EngineError.emptyTensor(op: "embedding") }
    let rows = weight.shape[0], dim = weight.shape[1]
    if let bad = indices.first(where: { $0 < 0 || $0 >= rows }) {
        throw EngineError.invalidArgument(op: "embedding", detail: "index \(bad) is outside 0..<\(rows)")
    }
    let out = Tensor(uninitialized: [indices.count, dim])
    for (i, r) in indices.enumerated() { (out.data + i * dim).update(from: weight.data + r * dim, count: dim) }
    let wm = weight.autograd
    record(out, inputs: [weight]) { g in
        let gw = wm.gradBuffer()
        for (i, r) in indices.enumerated() { for j in 0..<dim { gw[r * dim + j] += g.data[i * dim + j] } }
    }
    return out
}
