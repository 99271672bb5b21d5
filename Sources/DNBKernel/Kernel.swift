import DNBJupyter
import Foundation
import Synchronization
import CZMQ

/// A Jupyter kernel speaking messaging protocol 5.3 over ZeroMQ: shell and control ROUTER sockets, iopub
/// PUB, stdin ROUTER (bound, unused: dnb never asks for input) and a heartbeat REP echoed on its own
/// thread. The shell thread runs requests one at a time; the control thread answers interrupt and
/// shutdown while a cell runs, and sends gathered stream text every 50 ms.
public final class Kernel: @unchecked Sendable {
    let connection: ConnectionInfo
    let backend: KernelBackend
    let signer: Signer
    let context: ZMQContext
    let shell: ZMQSocket
    let control: ZMQSocket
    let stdin: ZMQSocket
    let publisher: Publisher
    let session = UUID().uuidString.lowercased()
    var history = KernelHistory()
    var executionCount = 0
    private let stopping = Atomic<Bool>(false)
    /// The process that started the kernel, when it asked to be watched as jupyter_client does
    /// (`JPY_PARENT_PID`, as ipykernel reads it); launchers that start kernels detached do not set it.
    private let parentProcess: pid_t? = {
        guard let text = ProcessInfo.processInfo.environment["JPY_PARENT_PID"], let pid = pid_t(text),
              pid > 1, pid == getppid() else { return nil }
        return pid
    }()

    /// Binds every socket; a port in use or a bad address is an error naming the socket.
    public init(connection: ConnectionInfo, backend: KernelBackend) throws {
        self.connection = connection
        self.backend = backend
        signer = Signer(key: connection.key)
        context = try ZMQContext()
        shell = try ZMQSocket(context, type: ZMQ_ROUTER, name: "shell")
        control = try ZMQSocket(context, type: ZMQ_ROUTER, name: "control")
        stdin = try ZMQSocket(context, type: ZMQ_ROUTER, name: "stdin")
        let iopub = try ZMQSocket(context, type: ZMQ_PUB, name: "iopub")
        try shell.bind(connection.endpoint(connection.shellPort))
        try control.bind(connection.endpoint(connection.controlPort))
        try stdin.bind(connection.endpoint(connection.stdinPort))
        try iopub.bind(connection.endpoint(connection.iopubPort))
        publisher = Publisher(socket: iopub, signer: signer, session: session)
    }

    /// Serves until a shutdown request (or the parent process going away). A restart is the client's to do:
    /// it starts a new kernel process, whose workspace is new.
    public func run() throws {
        let heartbeat = try Heartbeat(context, endpoint: connection.endpoint(connection.heartbeatPort))
        let heartbeatThread = Thread { heartbeat.run(until: { self.stopping.load(ordering: .relaxed) }) }
        heartbeatThread.start()
        let controlThread = Thread { self.serveControl() }
        controlThread.start()
        publisher.status("starting", parent: nil)
        while !stopping.load(ordering: .relaxed) {
            guard let frames = try shell.receive(timeout: 100) else { continue }
            handle(frames, on: shell)
        }
        publisher.flush()
        // Let the control thread and the heartbeat see the flag and close their sockets.
        while !controlDone.load(ordering: .relaxed) || !heartbeat.done.load(ordering: .relaxed) { usleep(10_000) }
        for socket in [shell, stdin] { socket.close() }
        publisher.close()
        context.terminate()
    }

    private let controlDone = Atomic<Bool>(false)

    private func serveControl() {
        defer { control.close(); controlDone.store(true, ordering: .relaxed) }
        while !stopping.load(ordering: .relaxed) {
            publisher.flush()
            // The notebook server went away without a shutdown (killed): no kernel is left behind.
            if let parentProcess, getppid() != parentProcess { stop(); break }
            do {
                guard let frames = try control.receive(timeout: 50) else { continue }
                handle(frames, on: control)
            } catch {
                KernelLog.write("\(error)")
            }
        }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        backend.interrupt()
    }

    // MARK: - Requests

    func handle(_ frames: [[UInt8]], on socket: ZMQSocket) {
        let request: WireMessage
        do {
            request = try WireMessage(frames: frames, signer: signer)
        } catch {
            KernelLog.write("\(socket.name): \(error)")
            return
        }
        // Control carries only what must work while a cell runs; the rest belongs to the shell thread,
        // which owns the backend and the history.
        if socket === control, !["kernel_info_request", "interrupt_request", "shutdown_request"].contains(request.type) {
            KernelLog.write("control: \(request.type) is not served on the control channel; ignored")
            return
        }
        publisher.status("busy", parent: request)
        defer { publisher.status("idle", parent: request) }
        switch request.type {
        case "kernel_info_request": reply(request, on: socket, backend.info.content)
        case "execute_request" where socket === shell: execute(request)
        case "is_complete_request": reply(request, on: socket, isComplete(request))
        case "complete_request": reply(request, on: socket, complete(request))
        case "inspect_request": reply(request, on: socket, inspect(request))
        case "history_request": reply(request, on: socket, history.reply(to: request.content, session: 1))
        case "comm_info_request": reply(request, on: socket, ["status": "ok", "comms": [:]])
        case "interrupt_request":
            backend.interrupt()
            reply(request, on: socket, ["status": "ok"])
        case "shutdown_request":
            let restart = request.content["restart"]?.bool ?? false
            reply(request, on: socket, ["status": "ok", "restart": .bool(restart)])
            publisher.publish("shutdown_reply", ["status": "ok", "restart": .bool(restart)], parent: request)
            stop()
        case "comm_open", "comm_msg", "comm_close":
            break  // dnb has no comms (comm_info_reply says so); the protocol lets a kernel ignore them
        default:
            KernelLog.write("\(socket.name): unknown message type \(request.type) ignored")
        }
    }

    func reply(_ request: WireMessage, on socket: ZMQSocket, _ content: JSON, metadata: JSON = [:]) {
        let type = request.type.hasSuffix("_request") ? String(request.type.dropLast(8)) + "_reply" : request.type + "_reply"
        let message = WireMessage(type: type, content: content, parent: request, session: session, metadata: metadata)
        do { try socket.send(message.frames(signer: signer)) } catch { KernelLog.write("\(error)") }
    }
}
