import DNBEngine

/// A torchinfo-style summary: one row per module (Type: depth-index) with its
/// parameter count, modules in registration order as diffusers builds them.
public struct ModelSummary {
    public struct Row: Equatable {
        public let depth: Int
        public let label: String  // "Conv2d: 1-1"
        public let parameters: Int?  // nil prints "--"
    }

    public let rows: [Row]
    public let total: Int
    public let trainable: Int

    /// Rows down to `depth` (torchinfo's default is 3); deeper modules are folded into their parent's count.
    public init(_ model: UNet2DModel, depth: Int = 3) {
        // depth ≥ 1 (`model summary` bounds it); 0 would list nothing and index past the counters.
        let depth = max(1, depth)
        let tree = ModuleNode.tree(of: model)
        var rows: [Row] = []
        var counters = [Int](repeating: 0, count: depth + 1)
        func visit(_ node: ModuleNode, _ level: Int) {
            counters[level] += 1
            let showsChildren = level < depth && !node.children.isEmpty
            // torchinfo prints "--" where the count is carried by the rows below.
            let count: Int? = showsChildren || node.total == 0 ? (node.direct > 0 ? node.direct : nil) : node.total
            rows.append(Row(depth: level, label: "\(node.type): \(level)-\(counters[level])", parameters: count))
            if showsChildren { for child in node.children { visit(child, level + 1) } }
        }
        for child in tree.children { visit(child, 1) }
        self.rows = rows
        total = model.parameters.count
        trainable = model.parameters.parameters.filter { $0.tensor.requiresGrad }.reduce(0) { $0 + $1.tensor.count }
    }

    public var text: String {
        let width = 70
        var lines = [String(repeating: "=", count: width),
                     pad("Layer (type:depth-idx)", "Param #", width), String(repeating: "=", count: width),
                     pad("UNet2DModel", "--", width)]
        for row in rows {
            let prefix = String(repeating: "│    ", count: row.depth - 1) + "├─"
            lines.append(pad(prefix + row.label, row.parameters.map(grouped) ?? "--", width))
        }
        lines += [String(repeating: "=", count: width), "Total params: \(grouped(total))",
                  "Trainable params: \(grouped(trainable))", "Non-trainable params: \(grouped(total - trainable))",
                  String(repeating: "=", count: width)]
        return lines.joined(separator: "\n")
    }

    func pad(_ left: String, _ right: String, _ width: Int) -> String {
        left + String(repeating: " ", count: max(1, width - left.count - right.count)) + right
    }
}

/// 1707009 → "1,707,009".
public func grouped(_ n: Int) -> String {
    let digits = Array(String(abs(n)))
    var out = ""
    for (i, d) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(d)
    }
    return n < 0 ? "-" + out : out
}

/// The module hierarchy of a UNet2DModel with diffusers' module types.
struct ModuleNode {
    let type: String
    var direct = 0
    var children: [ModuleNode] = []
    var total: Int { direct + children.reduce(0) { $0 + $1.total } }

    init(_ type: String, direct: Int = 0, children: [ModuleNode] = []) {
        self.type = type
        self.direct = direct
        self.children = children
    }

    static func conv(_ c: Conv2d) -> ModuleNode { ModuleNode("Conv2d", direct: c.weight.count + (c.bias?.count ?? 0)) }
    static func linear(_ l: Linear) -> ModuleNode { ModuleNode("Linear", direct: l.weight.count + (l.bias?.count ?? 0)) }
    static func norm(_ g: GroupNorm) -> ModuleNode { ModuleNode("GroupNorm", direct: g.weight.count + g.bias.count) }
    static func list(_ items: [ModuleNode]) -> ModuleNode { ModuleNode("ModuleList", children: items) }

    static func resnet(_ r: ResnetBlock2D) -> ModuleNode {
        var children = [norm(r.norm1), conv(r.conv1), linear(r.timeEmbProj), norm(r.norm2), ModuleNode("Dropout"), conv(r.conv2), ModuleNode("SiLU")]
        if let s = r.convShortcut { children.append(conv(s)) }
        return ModuleNode("ResnetBlock2D", children: children)
    }

    static func attention(_ a: Attention) -> ModuleNode {
        ModuleNode("Attention", children: [norm(a.groupNorm), linear(a.toQ), linear(a.toK), linear(a.toV),
                                           list([linear(a.toOut), ModuleNode("Dropout")])])
    }

    static func tree(of model: UNet2DModel) -> ModuleNode {
        var top: [ModuleNode] = [conv(model.convIn), ModuleNode("Timesteps"),
                                 ModuleNode("TimestepEmbedding", children: [linear(model.timeLinear1), ModuleNode("SiLU"), linear(model.timeLinear2)])]
        if let e = model.classEmbedding { top.append(ModuleNode("Embedding", direct: e.weight.count)) }
        top.append(list(model.downBlocks.map { block in
            var parts: [ModuleNode] = []
            if !block.attentions.isEmpty { parts.append(list(block.attentions.map(attention))) }
            parts.append(list(block.resnets.map(resnet)))
            if let d = block.downsampler { parts.append(list([ModuleNode("Downsample2D", children: [conv(d.conv)])])) }
            return ModuleNode(block.typeName, children: parts)
        }))
        top.append(list(model.upBlocks.map { block in
            var parts: [ModuleNode] = []
            if !block.attentions.isEmpty { parts.append(list(block.attentions.map(attention))) }
            parts.append(list(block.resnets.map(resnet)))
            if let u = block.upsampler { parts.append(list([ModuleNode("Upsample2D", children: [conv(u.conv)])])) }
            return ModuleNode(block.typeName, children: parts)
        }))
        var mid: [ModuleNode] = []
        if let a = model.midBlock.attention { mid.append(list([attention(a)])) }
        mid.append(list(model.midBlock.resnets.map(resnet)))
        top.append(ModuleNode("UNetMidBlock2D", children: mid))
        top += [norm(model.convNormOut), ModuleNode("SiLU"), conv(model.convOut)]
        return ModuleNode("UNet2DModel", children: top)
    }
}
