import DNBCommands
import DNBLanguage
import DNBSupport
import Foundation

/// `save session FILE.dnb`: a REPL-only command that writes the session's
/// successful entries as a notebook that `dnb run` can replay.
enum SaveSession {
    static func register(in registry: CommandRegistry, shell: REPLShell) {
        let verb = CommandSpec(
            "session", summary: "Save this session's successful entries as a .dnb notebook",
            help: "Writes the entries that changed the session, in order, one code cell each, as a notebook that `dnb run` replays to the same state: entries that failed, `save` commands and inspection commands (help, vars, print, env) are left out; a `train` stopped with Ctrl-C is kept with max_steps set to the step it reached. A relative path is written in the output directory.",
            arguments: [
                ArgumentSpec("path", .path, help: "The notebook to write, e.g. session.dnb (relative paths are in the output directory)."),
                ArgumentSpec("title", .string, default: "Saved session", help: "The notebook's title."),
            ]
        ) { [unowned shell] invocation, context in
            let path = outputPath(try invocation.string("path"), context)
            try AtomicFile.createDirectory((path as NSString).deletingLastPathComponent)
            try shell.session.save(to: path, title: try invocation.string("title"))
            let count = shell.session.entries.count
            context.out.print("saved \(count) entr\(count == 1 ? "y" : "ies") to \(path)")
        }
        if let existing = registry.command(named: "save"), existing.hasVerbs {
            // Someone else registered `save` with verbs: add ours beside them.
            guard existing.verb(named: "session") == nil else { return }
            var extended = existing
            extended.verbs.append(verb)
            registry.register(extended)
        } else if registry.command(named: "save") == nil {
            registry.register(CommandSpec("save", summary: "Save the REPL session as a notebook", verbs: [verb]))
        }
    }

    /// True when the entry calls `save`: such entries are not replayable and are not recorded.
    static func isSaveCommand(_ entry: String) -> Bool {
        guard let script = try? Parser.parse(entry) else { return false }
        return script.statements.contains { statement in
            if case .command(let call) = statement.kind { return call.name == "save" }
            return false
        }
    }
}
