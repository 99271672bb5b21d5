import Foundation

/// Process exit codes for `dnb run` and `dnb check` (see docs/language.md).
public enum ExitStatus: Int32, Sendable {
    case success = 0
    /// A cell failed (and was not allowed to).
    case cellFailed = 1
    /// Bad command line: unreadable notebook, bad or unknown `--set`, unusable output directory.
    case usage = 64
    /// The notebook does not parse or does not pass `check`.
    case invalidInput = 65
    /// Stopped by Ctrl-C.
    case interrupted = 130
}

public struct RunOptions {
    /// Receives `report.md` and whatever commands write (figures/…).
    public var outputDirectory: String
    /// `name=value` strings from `--set`, read with the value grammar.
    public var overrides: [String] = []
    /// Run the remaining cells after a failure (an interruption still stops).
    public var keepGoing = false
    /// Key/value lines for the report header: versions, CPU, …
    public var environment: [(key: String, value: String)] = []
    /// Every seed the session set so far (where, which), oldest first; asked for around each cell.
    public var seeds: () -> [(key: String, value: String)] = { [] }
    /// Globals bound before the first cell, e.g. values the executable provides.
    public var predefinedVariables: [String: Value] = [:]
    public var timeSource: TimeSource = .monotonic
    /// The date printed in the report.
    public var date = Date()
    public var interrupt: Interrupt = .shared
    /// Part of the notebook to run (`--only`, `--from`, `--until`); nil runs it all.
    public var selection: CellSelection?
    /// The cell cache; nil runs every cell (`--no-cache`).
    public var cache: CacheSettings?
    /// Called when a code cell starts, e.g. to show progress.
    public var onCellStart: ((Cell) -> Void)?
    /// Called when a code cell's outputs come from the cell cache instead.
    public var onCellRestored: ((Cell, CellResult) -> Void)?
    /// One-line notices for the user (the cache's: a damaged entry, a failed write).
    public var onMessage: ((String) -> Void)?
    /// Called with each output item as it is produced, e.g. to echo it live.
    public var onOutput: ((Cell, OutputItem) -> Void)?
    /// Writes another rendering of the final report.md (given its path), e.g. report.html, and returns the
    /// files it wrote relative to the output folder, for the manifest (RunnerOutputFolder.swift).
    public var renderReport: ((String) throws -> [String])?
    /// Called once the run is set up (output folder claimed, parameters bound) with what went wrong, if anything;
    /// returns what the run fails with. Processes running one notebook together start its cells only if all can.
    public var settleSetup: ((String?) -> String?)?
    /// Called after every cell that ran with its error (nil: it completed) and whether it was interrupted;
    /// returns the error it ends with and whether the run stops as interrupted. Processes running one notebook
    /// together (mpirun) agree here, so a cell fails on every rank when it fails on one, with that rank's message.
    public var settleCell: ((Cell, Diagnostic?, Bool) -> (Diagnostic?, interrupted: Bool))?
    /// Under mpirun, on ranks other than 0: the run's real output folder. These ranks write into a private
    /// one (`outputDirectory`) and find there, or else here, files earlier runs left (a checkpoint to resume).
    public var sharedOutputDirectory: String?

    public init(outputDirectory: String) {
        self.outputDirectory = outputDirectory
    }
}

/// What happened to one cell of a run.
public struct CellResult {
    public enum Status: Sendable {
        /// Ran without error; prose cells are always completed.
        case completed
        case failed
        case skipped
    }

    public var cell: Cell
    public var status: Status
    public var outputs: [OutputItem]
    public var seconds: Double
    public var error: Diagnostic?
    /// Set when the cell's outputs and state came from the cache instead of running it.
    public var restored: CacheOrigin?

    public init(cell: Cell, status: Status, outputs: [OutputItem], seconds: Double, error: Diagnostic? = nil, restored: CacheOrigin? = nil) {
        self.cell = cell
        self.status = status
        self.outputs = outputs
        self.seconds = seconds
        self.error = error
        self.restored = restored
    }
}

/// When and in how long a restored cell originally ran.
public struct CacheOrigin: Codable, Hashable, Sendable {
    public var date: Date
    public var seconds: Double
    public init(date: Date, seconds: Double) {
        self.date = date
        self.seconds = seconds
    }
}

/// Why a run ended before its last cell.
public struct RunStop {
    public var cell: Cell
    public var error: Diagnostic
    public var interrupted: Bool
}

public struct RunResult {
    public var status: ExitStatus
    /// Cells in file order up to where the run ended; empty when nothing ran.
    public var cells: [CellResult]
    /// Every declared parameter with the value in effect and where it came from.
    public var parameters: [ParameterBinding]
    public var stop: RunStop?
    /// Set when a report was written.
    public var reportPath: String?
    /// Problems to show the user on stderr (check errors, usage errors, report write failures).
    public var messages: [String]
}
