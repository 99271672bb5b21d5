/// What a handler can see and use besides its arguments.
public final class CommandContext {
    /// Where text, figures and tables go.
    public let out: Output
    /// Figures and other files are written under here; figure paths given to
    /// `out.figure` are relative to it.
    public let outputDirectory: String
    public let registry: CommandRegistry
    public let interrupt: Interrupt
    /// Variables visible at the call, innermost binding for each name.
    public let variables: [String: Value]
    /// Parameters declared so far, in declaration order.
    public let parameters: [ParameterBinding]

    init(out: Output, outputDirectory: String, registry: CommandRegistry, interrupt: Interrupt,
         variables: [String: Value], parameters: [ParameterBinding])
    {
        self.out = out
        self.outputDirectory = outputDirectory
        self.registry = registry
        self.interrupt = interrupt
        self.variables = variables
        self.parameters = parameters
    }

    /// Throws `Interrupted` when the user pressed Ctrl-C; call it in long loops.
    public func checkInterrupt() throws {
        try interrupt.check()
    }
}
