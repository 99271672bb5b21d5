import Foundation

/// Receives a long command's progress, for a front end that draws it itself (the Jupyter kernel);
/// called on the command's thread at every step, so it must be cheap and do its own rate limiting.
public typealias ProgressDisplay = (ProgressSnapshot) -> Void

/// One moment of a long command: what the terminal bar shows, as values and as its text.
public struct ProgressSnapshot: Sendable {
    public var label: String
    public var step: Int
    public var total: Int
    /// `step 10/100  loss 0.1234  3.20 steps/s  ETA 0:28`
    public var text: String
    /// The command ended (finished, failed or interrupted); no more snapshots follow.
    public var finished: Bool
}

/// The progress of a long command (`train`, `sample`, `denoise`, `refine`, `progression`): a live bar
/// on a terminal (step/total, the loss when there is one, steps/s, ETA), redrawn at most 10 times a
/// second. Elsewhere nothing, or with `plainLines` (train) a plain line every 30 s. Writes to stderr
/// only, so reports and piped output stay clean; with a `display` (the Jupyter kernel), to that instead.
final class ProgressReporter {
    let label: String
    let total: Int
    let plainLines: Bool
    let start = Date()
    let isTerminal: Bool
    let display: ProgressDisplay?
    var lastText = ""
    var lastStep = 0
    var lastPlain = Date()
    var lastDraw = Date.distantPast
    /// An exponential moving average of the loss over ~50 steps, divided by its total weight so that the
    /// first steps are not pulled towards the very first loss (as tqdm and TensorBoard debias theirs).
    var smoothedSum = 0.0, smoothedWeight = 0.0

    init(label: String, total: Int, plainLines: Bool = false, display: ProgressDisplay? = nil) {
        self.label = label
        self.total = total
        self.plainLines = plainLines && display == nil
        self.display = display
        isTerminal = display == nil && isatty(2) == 1
    }

    func update(step: Int, loss: Float? = nil) {
        if let loss {
            smoothedSum = 0.98 * smoothedSum + 0.02 * Double(loss)
            smoothedWeight = 0.98 * smoothedWeight + 0.02
        }
        guard isTerminal || plainLines || display != nil else { return }
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(step) / max(elapsed, 1e-9)
        let eta = Double(total - step) / max(rate, 1e-9)
        let lossText = smoothedWeight > 0 ? String(format: "  loss %.4f", smoothedSum / smoothedWeight) : ""
        let text = String(format: "step %d/%d%@  %.2f steps/s  ETA %@", step, total, lossText, rate, format(eta))
        if let display {
            lastText = text
            lastStep = step
            display(ProgressSnapshot(label: label, step: step, total: total, text: text, finished: false))
        } else if isTerminal {
            guard Date().timeIntervalSince(lastDraw) > 0.1 || step == total else { return }
            lastDraw = Date()
            let width = 24, filled = Int(Double(width) * Double(step) / Double(max(total, 1)))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[K\(label) [\(bar)] \(text)".utf8))
        } else if Date().timeIntervalSince(lastPlain) >= 30 {
            lastPlain = Date()
            FileHandle.standardError.write(Data("\(label): \(text)\n".utf8))
        }
    }

    func clearLine() { if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
    func finish() {
        clearLine()
        display?(ProgressSnapshot(label: label, step: lastStep, total: total, text: lastText, finished: true))
    }

    func format(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
