import DNBJupyter
import Foundation

/// The iopub socket, shared by the shell thread (a cell's outputs) and the control thread (status, the
/// timed flush of stream text): every send holds the lock, which also gives libzmq the memory barrier it
/// asks for when a socket changes threads.
final class Publisher: @unchecked Sendable {
    private let socket: ZMQSocket
    private let signer: Signer
    let session: String
    private let lock = NSLock()
    /// Stream text not yet sent, by stream name, with the request it belongs to.
    private var pending: [(name: String, text: String)] = []
    private var pendingParent: WireMessage?

    init(socket: ZMQSocket, signer: Signer, session: String) {
        self.socket = socket
        self.signer = signer
        self.session = session
    }

    func publish(_ type: String, _ content: JSON, parent: WireMessage?, metadata: JSON = [:]) {
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
        sendLocked(type, content, parent: parent, metadata: metadata)
    }

    func status(_ state: String, parent: WireMessage?) {
        publish("status", ["execution_state": .string(state)], parent: parent)
    }

    /// Stream text is gathered and sent at most every 50 ms (by `flush`), so a loop printing thousands
    /// of lines sends a few dozen messages, not thousands; anything else sent first flushes it, so order holds.
    func stream(_ name: String, _ text: String, parent: WireMessage?) {
        lock.lock()
        defer { lock.unlock() }
        if pendingParent?.id != parent?.id { flushLocked() }
        pendingParent = parent
        if let last = pending.last, last.name == name {
            pending[pending.count - 1].text += text
        } else {
            pending.append((name, text))
        }
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
        socket.close()
    }

    func flush() {
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
    }

    private func flushLocked() {
        for (name, text) in pending {
            sendLocked("stream", ["name": .string(name), "text": .string(text)], parent: pendingParent)
        }
        pending = []
    }

    private func sendLocked(_ type: String, _ content: JSON, parent: WireMessage?, metadata: JSON = [:]) {
        var message = WireMessage(type: type, content: content, parent: parent, session: session, metadata: metadata)
        // iopub is a PUB socket: the topic frame stands where a reply's identities would.
        message.identities = [Array("kernel.\(session).\(type)".utf8)]
        do { try socket.send(message.frames(signer: signer)) } catch { KernelLog.write("\(error)") }
    }
}

/// What a backend sends while a cell runs, tied to the request that started it.
public final class ExecutionPublisher: @unchecked Sendable {
    let publisher: Publisher
    let parent: WireMessage
    let silent: Bool

    init(publisher: Publisher, parent: WireMessage, silent: Bool) {
        self.publisher = publisher
        self.parent = parent
        self.silent = silent
    }

    /// A stream, display or error output; nothing at all for a silent request (the protocol's rule).
    public func send(_ output: JupyterOutput) {
        guard !silent else { return }
        if case .stream(let name, let text) = output {
            publisher.stream(name, text, parent: parent)
        } else {
            publisher.publish(output.messageType, .object(output.content), parent: parent)
        }
    }

    /// A display that later updates replace in place (`display_id`): progress bars.
    public func display(id: String, data: [String: JSON], update: Bool) {
        guard !silent else { return }
        publisher.publish(update ? "update_display_data" : "display_data",
                          ["data": .object(data), "metadata": [:], "transient": ["display_id": .string(id)]], parent: parent)
    }
}

/// The kernel's own messages (refused messages, socket failures) go to its stderr, which Jupyter shows in
/// the server's log, never into a notebook.
enum KernelLog {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data("dnb kernel: \(text)\n".utf8))
    }
}
