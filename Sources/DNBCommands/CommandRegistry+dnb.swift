import DNBLanguage

extension CommandRegistry {
    /// The registry of a dnb session: the language's built-ins plus every dnb command bound to `workspace`.
    public static func dnb(workspace: Workspace) -> CommandRegistry {
        let registry = CommandRegistry()
        for spec in EnvironmentCommand.specs(workspace) { registry.register(spec) }
        return registry
    }
}
