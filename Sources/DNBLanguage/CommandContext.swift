/// What a handler can see and use besides its arguments.
public final class CommandContext {
    /// Where text, figures and tables go.
    public let out: Output
    /// Figures and other files are written under here; figure paths given to
    /// `out.figure` are relative to it.
    public let outputDirectory: String
    /// Under mpirun, on ranks other than 0: the run's real output folder (`RunOptions.sharedOutputDirectory`),
    /// where inputs left by earlier runs are found.
    public let sharedOutputDirectory: String?
    public let registry: CommandRegistry
    public let interrupt: Interrupt
    /// Variables visible at the call, innermost binding for each name.
    public let variables: [String: Value]
    /// Parameters declared so far, in declaration order.
    public let parameters: [ParameterBinding]
    /// The result fields set so far (see `setResult`).
    public private(set) var result: [String: Value] = [:]
    /// What the running command's spec declares it gives, for helpers shared by many commands.
    public let declaredResult: ResultSpec?
    /// The tables `table row` is collecting, by name.
    let tables: TableCollector

    init(out: Output, outputDirectory: String, sharedOutputDirectory: String? = nil, registry: CommandRegistry, interrupt: Interrupt,
         variables: [String: Value], parameters: [ParameterBinding], tables: TableCollector = TableCollector(),
         declaredResult: ResultSpec? = nil)
    {
        self.tables = tables
        self.declaredResult = declaredResult
        self.out = out
        self.outputDirectory = outputDirectory
        self.sharedOutputDirectory = sharedOutputDirectory
        self.registry = registry
        self.interrupt = interrupt
        self.variables = variables
        self.parameters = parameters
    }

    /// Sets fields of the command's result, the record `let NAME = COMMAND …` binds. Fields must be
    /// declared in the spec's `result:`; later calls add to (or replace) earlier ones, so a shared helper
    /// can set common fields. Unassigned commands ignore it, so handlers always set it.
    public func setResult(_ fields: [String: Value]) {
        result.merge(fields) { _, new in new }
    }

    /// Sets the field only when the command declares it: for helpers many commands share (`figure`, set
    /// by whatever writes a figure), so a command that does not declare the field is not refused.
    public func setResultIfDeclared(_ name: String, _ value: Value) {
        if declaredResult?.field(named: name) != nil { result[name] = value }
    }

    /// Throws `Interrupted` when the user pressed Ctrl-C; call it in long loops.
    public func checkInterrupt() throws {
        try interrupt.check()
    }
}
