import Foundation
import DNBEngine
import DNBPlot
import DNBEvaluation

/// The two figures of `evaluate`.
enum EvaluationFigures {
    /// The predicted-class histogram as outlined bars (one polyline per class, NaN-separated).
    static func histogram(_ counts: [Int], entropy: Double, title: String) throws -> DNBPlot.Figure {
        let figure = try DNBPlot.Figure(figsize: (6, 3.5))
        let axes = try figure.axes(0, 0)
        var x: [Double] = [], y: [Double] = []
        for (c, count) in counts.enumerated() {
            let left = Double(c) - 0.4, right = Double(c) + 0.4, h = Double(count)
            x += [left, left, right, right, .nan]
            y += [0, h, h, 0, .nan]
        }
        axes.plot(y: y, x: x)
        axes.title = "\(title) (normalised entropy \(String(format: "%.3f", entropy)))"
        axes.xlabel = "predicted class"
        axes.ylabel = "samples"
        axes.xLimits = (-0.7, Double(counts.count) - 0.3)
        axes.yLimits = (0, Double(max(1, counts.max() ?? 1)) * 1.1)
        return figure
    }

    /// Up to 16 images, least confident first, each titled with its predicted class and confidence.
    static func leastConfident(_ images: Tensor, _ summary: PredictionSummary, columns: Int = 8) throws -> DNBPlot.Figure {
        let picks = summary.leastConfident(16)
        let all = try grayImages(images)
        let shown = picks.map { all[$0] }
        let titles = picks.map { "\(summary.predicted[$0]): \(String(format: "%.2f", summary.confidence[$0]))" }
        let rows = stride(from: 0, to: shown.count, by: columns).map { Array(shown[$0..<min(shown.count, $0 + columns)]) }
        let titleRows = stride(from: 0, to: titles.count, by: columns).map { Array(titles[$0..<min(titles.count, $0 + columns)]) }
        return DNBPlot.Figure.imageGrid(rows, titles: titleRows, vmin: 0, vmax: 1)
    }

    /// When the labels differ only in one number ("DDIM 10 steps", "DDIM 20 steps"): the label with that
    /// number as N, the axis's name, and each label's number; otherwise nil ("DPM-Solver++ 10 steps" beside
    /// "DDPM 250 steps" is no sweep, and a label's other characters never join its number).
    static func sweep(_ labels: [String]) -> (axis: String, values: [Double])? {
        var templates = Set<String>(), values: [Double] = []
        for label in labels {
            let numbers = label.matches(of: /-?[0-9]+(?:\.[0-9]+)?/)
            guard numbers.count == 1, let value = Double(label[numbers[0].range]) else { return nil }
            values.append(value)
            templates.insert(label.replacingCharacters(in: numbers[0].range, with: "N"))
        }
        guard templates.count == 1, let axis = templates.first else { return nil }
        return (axis, values)
    }

    /// The x axis of evaluations that are no sweep when their labels do not fit under it: their order,
    /// named by their labels when that fits in the axis's name.
    static func orderAxisName(_ labels: [String]) -> String {
        let named = "evaluation: " + labels.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: ", ")
        return named.count <= 90 ? named : "evaluation, in the order of the table"
    }

    /// The ticks of evaluations that are no sweep, at 1, 2, 3, …: their labels where all fit side by side
    /// under a 6-inch axis (about 60 characters of 10-point text, counting the longest for each), else the
    /// numbers (at most about 10 of them: every k-th), which `orderAxisName` then explains.
    static func categoryTicks(_ labels: [String]) -> (ticks: [(position: Double, label: String)], named: Bool) {
        if labels.count * (labels.map(\.count).max() ?? 0) <= 60 {
            return (labels.enumerated().map { (Double($0.offset + 1), $0.element) }, true)
        }
        let every = (labels.count + 9) / 10
        return (stride(from: 1, through: labels.count, by: every).map { (Double($0), String($0)) }, false)
    }

    /// One figure of every evaluation so far: a line over a sweep's number (labels such as "DDIM 20 steps"
    /// or "steps=500"), else one mark per evaluation over ticks that name them.
    static func metric(_ metric: String, _ evaluations: [(label: String, result: EvaluationResult)]) throws -> DNBPlot.Figure {
        let labels = evaluations.map(\.label)
        let sweep = sweep(labels)
        let x = sweep?.values ?? evaluations.indices.map { Double($0 + 1) }
        let y: [Double] = evaluations.map { e in
            switch e.result.figures.first(where: { $0.name == metric })?.value {
            case .int(let i)?: return Double(i)
            case .double(let d)?: return d
            case nil: return .nan
            }
        }
        let figure = try DNBPlot.Figure(figsize: (6, 3.5))
        let axes = try figure.axes(0, 0)
        if let sweep {
            // Sorted by x, so a sweep evaluated out of order (50 steps first, then 10 and 20) draws one line.
            let order = x.indices.sorted { x[$0] < x[$1] }
            axes.plot(y: order.map { y[$0] }, x: order.map { x[$0] }, label: metric, marker: .circle)
            axes.xlabel = sweep.axis
        } else {
            // Different samplers or models are categories: no line between them, no ticks between them.
            let (ticks, named) = categoryTicks(labels)
            axes.plot(y: y, x: x, label: metric, lineWidth: 0, marker: .circle)
            axes.xTickLabels = ticks
            axes.xLimits = (0.5, Double(labels.count) + 0.5)
            axes.xlabel = named ? "evaluation" : orderAxisName(labels)
        }
        axes.ylabel = metric
        axes.grid(true)
        return figure
    }
}
