import DNBJupyter
import DNBSupport
import Foundation

/// The connection file Jupyter writes for a kernel it starts (`dnb kernel -f FILE`): where to bind each
/// socket and the key that signs every message.
public struct ConnectionInfo: Sendable {
    public var transport: String
    public var ip: String
    public var shellPort: Int
    public var iopubPort: Int
    public var stdinPort: Int
    public var controlPort: Int
    public var heartbeatPort: Int
    public var key: [UInt8]

    /// Reads and checks the file; a missing field or an unsupported signature scheme is an error naming it.
    public init(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError("read", path, errno: errno == 0 ? ENOENT : errno)
        }
        let json: JSON
        do { json = try JSON(parsing: Array(data)) } catch {
            throw KernelError("\(path): \(error)")
        }
        try self.init(json, file: path)
    }

    init(_ json: JSON, file: String) throws {
        func port(_ name: String) throws -> Int {
            guard let value = json[name]?.int, (0...65535).contains(value) else {
                throw KernelError("\(file): \(name) must be a port number (0 to 65535)")
            }
            return value
        }
        transport = json["transport"]?.string ?? "tcp"
        guard ["tcp", "ipc"].contains(transport) else { throw KernelError("\(file): transport \(transport) is not tcp or ipc") }
        ip = json["ip"]?.string ?? "127.0.0.1"
        shellPort = try port("shell_port")
        iopubPort = try port("iopub_port")
        stdinPort = try port("stdin_port")
        controlPort = try port("control_port")
        heartbeatPort = try port("hb_port")
        let scheme = json["signature_scheme"]?.string ?? "hmac-sha256"
        guard scheme == "hmac-sha256" else {
            throw KernelError("\(file): signature_scheme \(scheme) is not supported; dnb signs with hmac-sha256")
        }
        key = Array((json["key"]?.string ?? "").utf8)
    }

    /// `tcp://127.0.0.1:5555`, or for ipc `ipc://IP-PORT` as jupyter_client names the file.
    func endpoint(_ port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "tcp://\(ip):\(port)"
    }
}
