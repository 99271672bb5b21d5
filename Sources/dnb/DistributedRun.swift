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
            // mpirun binds each rank to its cores; without a setting, the ranks of a node share its cores.
            let local = Int(environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? 1
            Engine.threads = max(1, availableCores() / max(1, local))
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

    /// Rank 0's notebook text on every rank (the file need not exist on the other nodes). A rank 0 that cannot
    /// read it sends the reason, and every rank fails with it.
    static func notebookText(_ path: String, _ group: ProcessGroup) throws -> String {
        var message: [UInt8]
        if group.isRoot {
            do { message = [0] + Array(try Runner.readText(path).utf8) } catch { message = [1] + Array(describeError(error).utf8) }
        } else {
            message = []
        }
        message = try group.broadcast(message, "the notebook's text")
        let text = String(decoding: message.dropFirst(), as: UTF8.self)
        guard message.first == 0 else { throw FileError(text) }
        return text
    }

    /// A private output folder for a rank other than 0, named like the real one (figures' provenance and
    /// messages read the same): `$TMPDIR/dnb-rank-R-XXXXXX/<name>`.
    static func privateOutputDirectory(for real: String, rank: Int) throws -> (directory: String, scratch: String) {
        let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        var template = Array("\(base)/dnb-rank-\(rank)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw FileError("rank \(rank): cannot create a private output folder in \(base) (\(String(cString: strerror(errno))))")
        }
        let scratch = String(cString: made)
        let name = URL(fileURLWithPath: real).lastPathComponent
        return (scratch + "/" + (name.isEmpty ? "out" : name), scratch)
    }

    /// Removes a private folder `privateOutputDirectory` made (dnb's own files only: it made the folder).
    static func removeScratch(_ scratch: String) {
        guard URL(fileURLWithPath: scratch).lastPathComponent.hasPrefix("dnb-rank-") else { return }
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// What this rank's unit of work became, told to the others; nil when every rank completed it, else the
    /// error this rank ends the unit with: its own, or the first failing rank's message (prefixed with its rank).
    static func settle(_ error: Diagnostic?, at location: SourceLocation, _ group: ProcessGroup) -> Diagnostic? {
        let outcome: ProcessGroup.Outcome = switch error {
        case nil: .completed
        case _? where group.heardOfFailure: .stoppedByPeer
        case let error?: .failed(error.description)
        }
        do {
            guard let first = try group.agree(outcome) else { return nil }
            if let error { return error }
            return Diagnostic(message: first.description, location: location)
        } catch {
            return Diagnostic(message: describeError(error), location: location)
        }
    }

    /// The engine side of a workspace under mpirun: training and sampling split across the ranks.
    static func attach(_ group: ProcessGroup, to workspace: Workspace) {
        workspace.dataParallel = DataParallel(group: group)
    }
}
