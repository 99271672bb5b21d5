import CZMQ
import Synchronization

/// The heartbeat: a REP socket that sends every message straight back, on a thread of its own so that it
/// answers while a cell runs (a client that hears nothing for a while declares the kernel dead).
final class Heartbeat: @unchecked Sendable {
    let socket: ZMQSocket
    let done = Atomic<Bool>(false)

    init(_ context: ZMQContext, endpoint: String) throws {
        socket = try ZMQSocket(context, type: ZMQ_REP, name: "heartbeat")
        try socket.bind(endpoint)
    }

    /// Echoes until `stop()` holds, checking it every 100 ms; then closes the socket.
    func run(until stop: () -> Bool) {
        defer { socket.close(); done.store(true, ordering: .relaxed) }
        while !stop() {
            do {
                guard let frames = try socket.receive(timeout: 100) else { continue }
                try socket.send(frames)
            } catch {
                KernelLog.write("\(error)")
                return
            }
        }
    }
}
