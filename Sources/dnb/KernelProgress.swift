import DNBCommands
import DNBJupyter
import DNBKernel
import Foundation

/// A long command's progress in a notebook: one `display_data` with a `display_id` when it starts,
/// replaced in place by `update_display_data` at most 4 times a second (a 10,000-step `train` sends
/// about as many messages as it runs quarter-seconds, not 10,000), and a last update when it ends.
final class KernelProgress {
    static let interval = 0.25
    let publisher: ExecutionPublisher
    private var displayID: String?
    private var lastSent = 0.0

    init(publisher: ExecutionPublisher) {
        self.publisher = publisher
    }

    func show(_ snapshot: ProgressSnapshot) {
        let now = ProcessInfo.processInfo.systemUptime
        if displayID == nil {
            guard !snapshot.finished else { return }
            let id = "dnb-progress-" + UUID().uuidString.lowercased()
            displayID = id
            publisher.display(id: id, data: Self.data(snapshot), update: false)
            lastSent = now
        } else if let id = displayID, snapshot.finished || now - lastSent >= Self.interval {
            publisher.display(id: id, data: Self.data(snapshot), update: true)
            lastSent = now
            if snapshot.finished { displayID = nil }
        }
    }

    /// The terminal's bar as text, and an HTML `<progress>` for front ends that render HTML.
    static func data(_ snapshot: ProgressSnapshot) -> [String: JSON] {
        let width = 24
        let filled = snapshot.total > 0 ? min(width, width * snapshot.step / snapshot.total) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let text = "\(snapshot.label) [\(bar)] \(snapshot.text)"
        let html = "<div><progress value=\"\(snapshot.step)\" max=\"\(max(snapshot.total, 1))\" style=\"width: 20em\"></progress> "
            + "<code>\(snapshot.label) \(snapshot.text)</code></div>"
        return ["text/plain": .string(text), "text/html": .string(html)]
    }
}
