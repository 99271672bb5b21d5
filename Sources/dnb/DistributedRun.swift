import DNBCommands
import DNBDiffusion
import DNBDistributed
import DNBEngine
import DNBLanguage
import DNBSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `mpirun -np N dnb run …` and `mpirun -np N dnb < script`: what changes when dnb runs as one of N ranks
/// (docs/distributed.md). Rank 0 reads the notebook or script and sends it to the others, prints, and writes the
/// report, figures and checkpoints; the others compute their share in silence, writing into a private folder
/// that is removed at the end. After every cell (REPL entry) the ranks agree on whether it failed anywhere.
enum DistributedRun {
    /// The process group when dnb runs under mpirun, with the engine's threads shared out among the ranks of a
    /// node unless `--threads` or DNB_THREADS says otherwise; nil otherwise. A broken MPI set-up ends the process
    /// with the reason.
    static func start(threadsGiven: Bool) -> ProcessGroup? {
        let environment = ProcessInfo.processInfo.environment
        let group: ProcessGroup?
        do {
            group = try ProcessGroup.launch(environment: environment)
        } catch {
            Terminal.errLine("dnb: \(error)")
            exit(ExitStatus.usage.rawValue)
        }
        guard let group else { return nil }
        if !threadsGiven, (environment["DNB_THREADS"] ?? "").isEmpty {
            // A rank mpirun bound to some cores uses those; an unbound one shares the node's cores with the
            // node's other ranks.
            let online = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            let local = Int(environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? 1
            let allowed = availableCores()
            Engine.threads = allowed < online ? allowed : max(1, online / max(1, local))
        }
        if !group.isRoot { silence(group) }
        return group
    }

    /// Cores this process may run on (Foundation reads the affinity mask mpirun's binding narrows).
    static func availableCores() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Ranks other than 0 print nothing: stdout and stderr go to /dev/null. A copy of stderr stays open for the
    /// one message such a rank must give itself (a collective that timed out); failures reach rank 0 instead.
    private static func silence(_ group: ProcessGroup) {
        let saved = dup(STDERR_FILENO)
        if saved >= 0 { group.diagnosticDescriptor = saved }
        let null = open("/dev/null", O_WRONLY)
        guard null >= 0 else { return }
        dup2(null, STDOUT_FILENO)
        dup2(null, STDERR_FILENO)
        close(null)
    }

    /// Rank 0's notebook text and `--set` overrides on every rank: the file need not exist on the other nodes,
    /// and the ranks run one notebook with one set of parameters. A rank 0 that cannot read the file sends the
    /// reason, and every rank fails with it.
    static func rootInput(notebook path: String, overrides: [String], _ group: ProcessGroup) throws -> (text: String, overrides: [String]) {
        var message: [UInt8] = []
        if group.isRoot {
            // 0, the overrides separated by NUL (a command-line argument cannot hold one), 0, the text; or 1, the reason.
            do {
                let text = try Runner.readText(path)
                message = [0] + Array(overrides.joined(separator: "\u{0}").utf8) + [0] + Array(text.utf8)
            } catch {
                message = [1] + Array(describeError(error).utf8)
            }
        }
        message = try group.broadcast(message, "the notebook's text")
        guard message.first == 0 else { throw FileError(String(decoding: message.dropFirst(), as: UTF8.self)) }
        let body = message.dropFirst()
        let split = body.firstIndex(of: 0) ?? body.endIndex
        let sets = String(decoding: body[..<split], as: UTF8.self)
        return (String(decoding: body[split...].dropFirst(), as: UTF8.self),
                sets.isEmpty ? [] : sets.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init))
    }

    /// Rank 0's next REPL entry (text and first line; nil: the script ended) on every rank.
    static func rootEntry(_ entry: (String, Int)?, _ group: ProcessGroup) throws -> (String, Int)? {
        // 0: the end; 1, the line number as text, a space, the entry.
        var message: [UInt8] = []
        if group.isRoot { message = entry.map { [1] + Array("\($0.1) \($0.0)".utf8) } ?? [0] }
        message = try group.broadcast(message, "the next entry of the script")
        guard message.first == 1 else { return nil }
        let body = String(decoding: message.dropFirst(), as: UTF8.self)
        guard let space = body.firstIndex(of: " "), let line = Int(body[..<space]) else { return nil }
        return (String(body[body.index(after: space)...]), line)
    }

    /// A private output folder for a rank other than 0, named like the real one (figures' provenance and
    /// messages read the same): `$TMPDIR/dnb-rank-R-XXXXXX/<name>`, with a marker holding this process's id.
    /// Folders of this kind whose process is gone (a rank killed by mpirun) are removed first.
    static func privateOutputDirectory(for real: String, rank: Int) throws -> (directory: String, scratch: String) {
        let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        removeAbandonedScratch(in: base)
        var template = Array("\(base)/dnb-rank-\(rank)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw FileError("rank \(rank): cannot create a private output folder in \(base) (\(String(cString: strerror(errno))))")
        }
        let scratch = String(cString: made)
        try AtomicFile.write(String(getpid()), to: scratch + "/" + scratchMarker)
        let name = URL(fileURLWithPath: real).lastPathComponent
        return (scratch + "/" + (name.isEmpty ? "out" : name), scratch)
    }

    static let scratchMarker = ".dnb-rank-scratch"

    /// Removes a private folder `privateOutputDirectory` made: only one that carries its marker.
    static func removeScratch(_ scratch: String) {
        guard URL(fileURLWithPath: scratch).lastPathComponent.hasPrefix("dnb-rank-"),
              FileManager.default.fileExists(atPath: scratch + "/" + scratchMarker) else { return }
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// Private folders whose process no longer exists.
    private static func removeAbandonedScratch(in base: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] where name.hasPrefix("dnb-rank-") {
            let folder = base + "/" + name
            guard let text = try? String(contentsOfFile: folder + "/" + scratchMarker, encoding: .utf8),
                  let pid = Int32(text), kill(pid, 0) != 0, errno == ESRCH else { continue }
            removeScratch(folder)
        }
    }

    /// What this rank's unit of work (a cell, a REPL entry) became, told to the others. Returns the error it
    /// ends with on this rank — its own, or the first failing rank's message (prefixed with that rank) — and
    /// whether any rank was interrupted (then every rank stops).
    static func settle(_ error: Diagnostic?, interrupted: Bool, at location: SourceLocation, _ group: ProcessGroup) -> (Diagnostic?, interrupted: Bool) {
        let outcome: ProcessGroup.Outcome = switch error {
        case nil: .completed
        case _? where group.heardOfFailure: .stoppedByPeer
        case let error? where interrupted: .interrupted(error.summary)
        case let error?: .failed(error.summary)
        }
        do {
            guard let first = try group.agree(outcome) else { return (nil, false) }
            return (error ?? Diagnostic(message: first.description, location: location), first.interrupted)
        } catch {
            return (Diagnostic(message: describeError(error), location: location), false)
        }
    }

    /// The engine side of a workspace under mpirun: training and sampling split across the ranks.
    static func attach(_ group: ProcessGroup, to workspace: Workspace) {
        workspace.dataParallel = DataParallel(group: group)
    }
}
