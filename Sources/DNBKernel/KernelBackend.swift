import DNBJupyter

/// What a language gives the kernel: the protocol side (sockets, signatures, message order, history) is
/// `Kernel`'s; running code, completing and explaining it is the backend's.
public protocol KernelBackend: AnyObject {
    var info: KernelInfo { get }
    /// Runs one cell; outputs go through `publisher` as they are produced.
    func execute(_ code: String, executionCount: Int, publisher: ExecutionPublisher) -> ExecutionOutcome
    func isComplete(_ code: String) -> (status: String, indent: String?)
    /// Matches for the text before `cursor` (offsets in Unicode code points, as the protocol counts).
    func complete(_ code: String, cursor: Int) -> (matches: [String], start: Int, end: Int)
    /// Help for the name at `cursor`, nil when there is none.
    func inspect(_ code: String, cursor: Int) -> String?
    /// Asks the running cell to stop (interrupt_request, SIGINT). Called from another thread.
    func interrupt()
}

/// The fixed part of `kernel_info_reply`.
public struct KernelInfo: Sendable {
    public var implementation: String
    public var implementationVersion: String
    public var languageInfo: JSON
    public var banner: String
    public var helpLinks: [(text: String, url: String)]

    public init(implementation: String, implementationVersion: String, languageInfo: JSON, banner: String, helpLinks: [(text: String, url: String)]) {
        self.implementation = implementation
        self.implementationVersion = implementationVersion
        self.languageInfo = languageInfo
        self.banner = banner
        self.helpLinks = helpLinks
    }

    var content: JSON {
        ["status": "ok", "protocol_version": .string(WireMessage.protocolVersion), "implementation": .string(implementation),
         "implementation_version": .string(implementationVersion), "language_info": languageInfo, "banner": .string(banner),
         "help_links": .array(helpLinks.map { ["text": .string($0.text), "url": .string($0.url)] }), "debugger": false]
    }
}

/// How a cell ended: its result (`execute_result`, IPython's `Out[n]`), if any, or the error it stopped with.
public enum ExecutionOutcome {
    case ok(result: [String: JSON]?)
    case error(JupyterOutput)
}
