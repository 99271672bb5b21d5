import DNBLanguage

extension CommandRegistry {
    /// The registry of a dnb session: the language's built-ins plus every dnb command bound to `workspace`.
    public static func dnb(workspace: Workspace) -> CommandRegistry {
        let registry = CommandRegistry()
        let groups = [EnvironmentCommand.specs, DatasetCommand.specs, CorruptCommand.specs, ModelCommand.specs, SchedulerCommand.specs,
                      TrainCommand.specs, SampleCommands.specs, DenoiseCommand.specs, PlotCommand.specs, SaveLoadCommands.specs, ShowCommand.specs,
                      ClassifierCommand.specs, EvaluateCommand.specs]
        for specs in groups { for spec in specs(workspace) { registry.register(spec) } }
        registry.addSessionDescription { SessionDescription.tables(workspace) }
        return registry
    }
}
