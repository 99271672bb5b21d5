#if canImport(Glibc)
import Glibc
#endif

/// A problem of the distributed layer itself (MPI missing, a peer gone, a mismatch between ranks).
public struct DistributedError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Another rank failed while this one waited for it in a collective operation: the collective is abandoned and
/// this rank's command stops with the peer's message.
public struct PeerFailure: Error, CustomStringConvertible, Equatable {
    public let rank: Int
    public let message: String
    /// From an agreement: some rank was interrupted (Ctrl-C, or mpirun's SIGTERM), so every rank stops.
    public var interrupted = false
    public var description: String { "rank \(rank) failed: \(message)" }
}

/// The processes `mpirun` started, as data-parallel training sees them (PyTorch DDP's process group, one
/// process per node or socket, each with its own engine threads). Collectives run on one communicator and
/// failures travel on another, so a rank that fails alone can tell the others while they wait for it.
///
/// Every wait is a loop of MPI_Test (Open MPI progresses non-blocking collectives only when asked) that also
/// watches for a peer's failure message and gives up after `timeout` seconds: then this rank says so on its
/// stderr and ends every rank with MPI_Abort, so a dead or stuck rank never leaves the others hanging.
public final class ProcessGroup: @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// "Open MPI v4.1.4".
    public let library: String
    /// Seconds a rank waits in one collective operation for the others (`DNB_MPI_TIMEOUT`, default 600).
    public let timeout: Double
    /// Where this rank writes what must be seen although its output is silenced (a timeout).
    public var diagnosticDescriptor: Int32 = 2

    private let mpi: OpenMPI
    /// Collectives of the work (gradients, samples, broadcasts).
    private var work: OpenMPI.Comm
    /// Failure messages and the agreement at the end of each cell or REPL entry.
    private let control: OpenMPI.Comm
    /// A collective left unfinished after a peer's failure; MPI_Finalize would wait for it forever.
    public private(set) var abandonedCollective = false
    /// Failure messages received while waiting, by rank, until the next agreement consumes them.
    private var received: [Int: String] = [:]
    /// Failure messages this rank sent, kept alive until they are delivered.
    private var sends: [(buffer: UnsafeMutableRawBufferPointer, request: OpenMPI.Request)] = []

    static let failureTag: Int32 = 7

    /// The process group when dnb runs under Open MPI's `mpirun` (OMPI_COMM_WORLD_SIZE is set), else nil.
    /// `DNB_MPI=0` runs each process on its own even then.
    public static func launch(environment: [String: String]) throws(DistributedError) -> ProcessGroup? {
        guard let worldSize = environment["OMPI_COMM_WORLD_SIZE"], environment["DNB_MPI"] != "0" else { return nil }
        var timeout = 600.0
        if let text = environment["DNB_MPI_TIMEOUT"] {
            guard let value = Double(text), value > 0, value.isFinite else {
                throw DistributedError("DNB_MPI_TIMEOUT=\(text) is not a positive number of seconds")
            }
            timeout = value
        }
        let mpi = try OpenMPI.load()
        var flag: Int32 = 0
        _ = mpi.initialized(&flag)
        if flag == 0 {
            var provided: Int32 = 0
            // Funneled: only the main thread calls MPI; the engine's threads only compute.
            let code = mpi.initThread(nil, nil, OpenMPI.threadFunneled, &provided)
            guard code == OpenMPI.success else { throw DistributedError("MPI_Init_thread failed: \(mpi.describe(code))") }
        }
        _ = mpi.commSetErrhandler(mpi.commWorld, mpi.errorsReturn)
        var rank: Int32 = 0, size: Int32 = 0
        _ = mpi.commRank(mpi.commWorld, &rank)
        _ = mpi.commSize(mpi.commWorld, &size)
        guard String(size) == worldSize else {
            throw DistributedError("mpirun started \(worldSize) processes but MPI reports \(size): is this mpirun Open MPI's?")
        }
        var work: OpenMPI.Comm? = nil, control: OpenMPI.Comm? = nil
        guard mpi.commDup(mpi.commWorld, &work) == OpenMPI.success, mpi.commDup(mpi.commWorld, &control) == OpenMPI.success,
              let work, let control else {
            throw DistributedError("MPI_Comm_dup failed")
        }
        _ = mpi.commSetErrhandler(work, mpi.errorsReturn)
        _ = mpi.commSetErrhandler(control, mpi.errorsReturn)
        return ProcessGroup(mpi: mpi, rank: Int(rank), size: Int(size), work: work, control: control, timeout: timeout)
    }

    private init(mpi: OpenMPI, rank: Int, size: Int, work: OpenMPI.Comm, control: OpenMPI.Comm, timeout: Double) {
        self.mpi = mpi
        self.rank = rank
        self.size = size
        self.work = work
        self.control = control
        self.timeout = timeout
        library = mpi.version
    }

    public var isRoot: Bool { rank == 0 }

    /// Whether a peer's failure message arrived since the last agreement (this rank's command stopped for it).
    public var heardOfFailure: Bool { !received.isEmpty }

    // MARK: - Collectives on the work communicator

    /// Sums `buffer` over the ranks, in place; every rank gets the same sums.
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>, _ what: @autoclosure () -> String) throws {
        guard size > 1, let base = buffer.baseAddress else { return }
        try forEachChunk(buffer.count, what()) { offset, count, request in
            mpi.iallreduce(OpenMPI.inPlace, base + offset, count, mpi.float, mpi.sum, work, request)
        }
    }

    /// Sums doubles over the ranks, in place.
    public func allreduceSum(_ values: inout [Double], _ what: @autoclosure () -> String) throws {
        guard size > 1, !values.isEmpty else { return }
        let count = Int32(values.count)
        try values.withUnsafeMutableBufferPointer { buffer in
            try wait(what()) { request in mpi.iallreduce(OpenMPI.inPlace, buffer.baseAddress, count, mpi.double, mpi.sum, work, request) }
        }
    }

    /// Rank 0's bytes on every rank.
    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, _ what: @autoclosure () -> String) throws {
        guard size > 1, let base = bytes.baseAddress else { return }
        try forEachChunk(bytes.count, what()) { offset, count, request in
            mpi.ibcast(base + offset, count, mpi.byte, 0, work, request)
        }
    }

    /// Rank 0's bytes, of a length the others do not know yet.
    public func broadcast(_ bytes: [UInt8], _ what: @autoclosure () -> String) throws -> [UInt8] {
        guard size > 1 else { return bytes }
        var length = [Double(bytes.count)]
        try broadcastDoubles(&length, what())
        var copy = isRoot ? bytes : [UInt8](repeating: 0, count: Int(length[0]))
        try copy.withUnsafeMutableBytes { try broadcast($0, what()) }
        return copy
    }

    private func broadcastDoubles(_ values: inout [Double], _ what: String) throws {
        let count = Int32(values.count)
        try values.withUnsafeMutableBytes { raw in
            try wait(what) { request in mpi.ibcast(raw.baseAddress, count * 8, mpi.byte, 0, work, request) }
        }
    }

    /// Every rank's `local` floats, concatenated in rank order, on every rank. `counts[r]` is rank r's count.
    public func allgather(_ local: UnsafeBufferPointer<Float>, counts: [Int], into result: UnsafeMutableBufferPointer<Float>,
                          _ what: @autoclosure () -> String) throws {
        guard counts.count == size, local.count == counts[rank], result.count == counts.reduce(0, +) else {
            throw DistributedError("allgather of \(what()): counts \(counts) do not match this rank's \(local.count) values")
        }
        guard size > 1 else {
            if let source = local.baseAddress, let target = result.baseAddress { target.update(from: source, count: local.count) }
            return
        }
        guard counts.allSatisfy({ $0 <= Int(Int32.max) }), result.count <= Int(Int32.max) else {
            throw DistributedError("allgather of \(what()): more than 2³¹ values")
        }
        let counts32 = counts.map { Int32($0) }
        var displacements: [Int32] = [0]
        for c in counts32.dropLast() { displacements.append(displacements.last! + c) }
        try wait(what()) { request in
            mpi.iallgatherv(local.baseAddress, counts32[rank], mpi.float, result.baseAddress, counts32, displacements, mpi.float, work, request)
        }
    }

    /// Large buffers go in chunks of at most 2²⁸ elements (MPI counts are 32-bit).
    private func forEachChunk(_ total: Int, _ what: String, _ start: (Int, Int32, UnsafeMutablePointer<OpenMPI.Request>) -> Int32) throws {
        let chunk = 1 << 28
        var offset = 0
        while offset < total {
            let count = min(chunk, total - offset)
            try wait(what) { start(offset, Int32(count), $0) }
            offset += count
        }
    }

    // MARK: - Waiting

    /// Starts a non-blocking operation and waits for it, watching for peers' failures and the timeout.
    private func wait(_ what: String, watchFailures: Bool = true, _ start: (UnsafeMutablePointer<OpenMPI.Request>) -> Int32) throws {
        var request: OpenMPI.Request = nil
        let code = start(&request)
        guard code == OpenMPI.success else { throw DistributedError("\(what): \(mpi.describe(code))") }
        let began = Self.now()
        var polls = 0
        while true {
            var done: Int32 = 0
            let code = mpi.test(&request, &done, nil)
            guard code == OpenMPI.success else { throw DistributedError("\(what): \(mpi.describe(code))") }
            if done != 0 { return }
            polls += 1
            if watchFailures, polls % 64 == 0, let failure = pollFailure() {
                abandonedCollective = true
                throw failure
            }
            let waited = Self.now() - began
            if waited > timeout { timedOut(what, waited: waited) }
            // Spin for the first 2 ms (a gradient allreduce between two local ranks takes about that long),
            // then sleep in growing steps up to 1 ms: a waiting rank leaves its core to the ranks still computing.
            if waited > 0.002 { usleep(UInt32(min(1000, 20 * polls / 64 + 20))) }
        }
    }

    /// A failure message from a peer, if one arrived.
    private func pollFailure() -> PeerFailure? {
        var flag: Int32 = 0
        var status = OpenMPI.Status()
        guard mpi.iprobe(OpenMPI.anySource, Self.failureTag, control, &flag, &status) == OpenMPI.success, flag != 0 else { return nil }
        let message = receiveFailure(from: status)
        received[Int(status.source)] = message
        return PeerFailure(rank: Int(status.source), message: message)
    }

    private func receiveFailure(from status: OpenMPI.Status) -> String {
        var probed = status
        var count: Int32 = 0
        _ = mpi.getCount(&probed, mpi.byte, &count)
        var bytes = [UInt8](repeating: 0, count: Int(max(count, 0)))
        _ = bytes.withUnsafeMutableBytes { mpi.recv($0.baseAddress, count, mpi.byte, status.source, Self.failureTag, control, nil) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func timedOut(_ what: String, waited: Double) -> Never {
        let text = "dnb: rank \(rank) of \(size): waited \(Int(waited)) s in \(what) for the other ranks; one of them is stuck or gone. " +
            "Stopping every rank (DNB_MPI_TIMEOUT=\(Int(timeout)) s sets this limit).\n"
        _ = text.withCString { write(diagnosticDescriptor, $0, strlen($0)) }
        _ = mpi.abort(mpi.commWorld, 1)
        exit(1)
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    // MARK: - Agreeing at the end of a cell or REPL entry

    /// What happened to a unit of work (a cell, a REPL entry) on this rank.
    public enum Outcome: Equatable {
        case completed
        /// Failed on its own, with this message (told to the other ranks).
        case failed(String)
        /// Interrupted (Ctrl-C, SIGTERM), with this message: every rank stops.
        case interrupted(String)
        /// Stopped because a peer failed (the peer's message arrived as a `PeerFailure`).
        case stoppedByPeer
    }

    /// Every rank ends each cell here. A rank that failed on its own sends its message to all others first (so
    /// those waiting for it in a collective stop); then the ranks exchange who failed. Returns nil when every rank
    /// completed, else the first failing rank and its message. The work communicator is replaced after a
    /// failure, so the next cell's collectives do not meet an abandoned one.
    public func agree(_ outcome: Outcome) throws -> PeerFailure? {
        var own: String?
        switch outcome {
        case .failed(let message), .interrupted(let message): own = message
        case .completed, .stoppedByPeer: own = nil
        }
        guard size > 1 else {
            if case .interrupted = outcome { return PeerFailure(rank: rank, message: own ?? "", interrupted: true) }
            return own.map { PeerFailure(rank: rank, message: $0) }
        }
        if let message = own {
            let bytes = Array(message.utf8.prefix(1 << 16))
            for peer in 0..<size where peer != rank {
                // The buffer lives until the send completes (completeSends frees it).
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
                buffer.copyBytes(from: bytes)
                var request: OpenMPI.Request = nil
                _ = mpi.isend(buffer.baseAddress, Int32(bytes.count), mpi.byte, Int32(peer), Self.failureTag, control, &request)
                sends.append((buffer, request))
            }
        }
        var flags = [Int32](repeating: 0, count: size)
        switch outcome {
        case .completed: break
        case .failed: flags[rank] = 1
        case .stoppedByPeer: flags[rank] = 2
        case .interrupted: flags[rank] = 3
        }
        let count = Int32(size)
        try flags.withUnsafeMutableBufferPointer { buffer in
            try wait("the agreement at the end of a cell", watchFailures: false) { request in
                mpi.iallreduce(OpenMPI.inPlace, buffer.baseAddress, count, mpi.int32, mpi.sum, control, request)
            }
        }
        var first: PeerFailure?
        for peer in 0..<size where flags[peer] == 1 || flags[peer] == 3 {
            let message: String
            if peer == rank, let own {
                message = own
            } else if let early = received.removeValue(forKey: peer) {
                message = early
            } else {
                var status = OpenMPI.Status()
                var flag: Int32 = 0
                let began = Self.now()
                while mpi.iprobe(Int32(peer), Self.failureTag, control, &flag, &status) == OpenMPI.success, flag == 0 {
                    if Self.now() - began > timeout { timedOut("receiving rank \(peer)'s failure", waited: Self.now() - began) }
                    usleep(100)
                }
                message = receiveFailure(from: status)
            }
            if first == nil { first = PeerFailure(rank: peer, message: message) }
        }
        first?.interrupted = flags.contains(3)
        try completeSends()
        if flags.contains(where: { $0 != 0 }) {
            // A fresh work communicator: collectives abandoned on the old one never complete.
            // MPI_Comm_dup is blocking, but every rank has just passed the agreement.
            var fresh: OpenMPI.Comm? = nil
            if mpi.commDup(control, &fresh) == OpenMPI.success, let fresh {
                _ = mpi.commSetErrhandler(fresh, mpi.errorsReturn)
                work = fresh
            }
        }
        return first
    }

    private func completeSends() throws {
        let began = Self.now()
        for i in sends.indices {
            var done: Int32 = 0
            while sends[i].request != nil {
                guard mpi.test(&sends[i].request, &done, nil) == OpenMPI.success else { break }
                if done != 0 { break }
                if Self.now() - began > timeout { timedOut("sending a failure message", waited: Self.now() - began) }
                usleep(100)
            }
            sends[i].buffer.deallocate()
        }
        sends.removeAll()
    }

    // MARK: - Ending

    /// Ends this process with rank 0's `status` once every rank got here (MPI_Finalize), or with MPI_Abort when
    /// a collective was abandoned on any rank (finalising would wait for it forever).
    public func finish(status: Int32) -> Never {
        // [any rank abandoned a collective, rank 0's status]: every rank exits as rank 0 does.
        var flags: [Double] = [abandonedCollective ? 1 : 0, isRoot ? Double(status) : 0]
        let abandoned: Bool
        do {
            try flags.withUnsafeMutableBufferPointer { buffer in
                let count = Int32(buffer.count)
                try wait("the end of the run", watchFailures: false) { request in
                    mpi.iallreduce(OpenMPI.inPlace, buffer.baseAddress, count, mpi.double, mpi.sum, control, request)
                }
            }
            abandoned = flags[0] > 0
        } catch {
            abandoned = true
        }
        let status = isRoot ? status : Int32(flags[1])
        fflush(nil)  // every C stream, stdout among them
        if abandoned {
            _ = mpi.abort(mpi.commWorld, status == 0 ? 1 : status)
        } else {
            _ = mpi.finalize()
        }
        exit(status)
    }
}

/// The share of `count` items rank `rank` of `size` takes: contiguous, in rank order, sizes differing by at
/// most one (the first `count % size` ranks take one more).
public func shard(of count: Int, rank: Int, size: Int) -> Range<Int> {
    let base = count / size, extra = count % size
    let start = rank * base + min(rank, extra)
    return start..<(start + base + (rank < extra ? 1 : 0))
}

/// Every rank's share of `count` items, in rank order.
public func shardCounts(of count: Int, size: Int) -> [Int] {
    (0..<size).map { shard(of: count, rank: $0, size: size).count }
}
