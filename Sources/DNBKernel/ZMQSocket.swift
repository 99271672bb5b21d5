import CZMQ
import Foundation

/// A ZeroMQ failure, with libzmq's reason.
public struct KernelError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }

    static func zmq(_ action: String) -> KernelError {
        KernelError("\(action): \(String(cString: zmq_strerror(zmq_errno())))")
    }
}

/// The process's ZeroMQ context: its I/O threads carry every socket's traffic.
final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    init() throws {
        guard let handle = zmq_ctx_new() else { throw KernelError.zmq("cannot start ZeroMQ") }
        self.handle = handle
    }

    /// Waits until every socket is closed and its linger time is over, so replies already queued are sent.
    func terminate() {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}

/// One ZeroMQ socket. A socket belongs to one thread at a time (libzmq's rule); the kernel gives each
/// socket to one thread, except iopub, whose sends go through `Publisher`'s lock.
final class ZMQSocket: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    let name: String

    init(_ context: ZMQContext, type: Int32, name: String) throws {
        guard let handle = zmq_socket(context.handle, type) else { throw KernelError.zmq("cannot create the \(name) socket") }
        self.handle = handle
        self.name = name
        // Replies still queued at shutdown get a second to leave; then the process ends regardless.
        _ = dnb_zmq_set_int(handle, ZMQ_LINGER, 1000)
    }

    func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw KernelError.zmq("cannot bind the \(name) socket to \(endpoint)") }
    }

    func close() { zmq_close(handle) }

    /// Sends the frames as one multipart message.
    func send(_ frames: [[UInt8]]) throws {
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            let sent = frame.withUnsafeBytes { buffer in
                zmq_send(handle, buffer.baseAddress, buffer.count, flags)
            }
            if sent < 0 {
                if zmq_errno() == EINTR { continue }
                throw KernelError.zmq("cannot send on the \(name) socket")
            }
        }
    }

    /// The frames of the next message, or nil when none arrives within `timeout` milliseconds (-1: wait).
    func receive(timeout: Int) throws -> [[UInt8]]? {
        guard try wait(timeout: timeout) else { return nil }
        var frames: [[UInt8]] = []
        repeat {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            while zmq_msg_recv(&message, handle, 0) < 0 {
                if zmq_errno() != EINTR { throw KernelError.zmq("cannot receive on the \(name) socket") }
            }
            let size = zmq_msg_size(&message)
            let data = zmq_msg_data(&message)
            frames.append(size == 0 || data == nil ? [] : Array(UnsafeRawBufferPointer(start: data, count: size)))
        } while hasMore
        return frames
    }

    private var hasMore: Bool {
        var more: Int32 = 0
        var size = MemoryLayout<Int32>.size
        return zmq_getsockopt(handle, ZMQ_RCVMORE, &more, &size) == 0 && more != 0
    }

    /// True when a message is waiting; false after `timeout` ms or an interrupted wait (a signal).
    func wait(timeout: Int) throws -> Bool {
        var item = zmq_pollitem_t(socket: handle, fd: -1, events: Int16(ZMQ_POLLIN), revents: 0)
        let ready = zmq_poll(&item, 1, timeout)
        if ready < 0 {
            if zmq_errno() == EINTR { return false }
            throw KernelError.zmq("cannot wait on the \(name) socket")
        }
        return ready > 0
    }
}
