import DNBSupport

/// Matches the arguments written in a call to a command's declared
/// arguments, by name or by position. Shared by the interpreter, which stops
/// at the first problem, and `check`, which reports them all.
struct ArgumentBinding {
    /// Declared argument name to the argument written for it.
    var named: [String: Argument] = [:]
    /// Positional values collected by a variadic argument.
    var variadic: [Argument] = []
    /// `name=value` pairs with undeclared names, collected by a keywords argument.
    var keywords: [Argument] = []
    var problems: [LanguageError] = []

    init(binding arguments: [Argument], to spec: CommandSpec, path: String, location: SourceLocation) {
        let positionalSpecs = spec.arguments.filter(\.isPlain)
        let variadicSpec = spec.arguments.first { $0.isVariadic }
        let collectsKeywords = spec.arguments.contains { $0.isKeywords }
        var keywordNames: Set<String> = []
        var nextPosition = 0

        for argument in arguments {
            if let name = argument.name {
                guard let declared = spec.argument(named: name), declared.isPlain else {
                    if collectsKeywords {
                        if keywordNames.insert(name).inserted {
                            keywords.append(argument)
                        } else {
                            problems.append(LanguageError("'\(name)' is given more than once", at: argument.location))
                        }
                    } else {
                        problems.append(LanguageError(Self.unknownArgumentMessage(name, spec: spec, path: path), at: argument.location))
                    }
                    continue
                }
                guard named[name] == nil else {
                    problems.append(LanguageError("argument '\(name)' is given more than once", at: argument.location))
                    continue
                }
                named[name] = argument
                continue
            }
            // A positional fills the next declared argument not already named.
            while nextPosition < positionalSpecs.count, named[positionalSpecs[nextPosition].name] != nil {
                nextPosition += 1
            }
            if nextPosition < positionalSpecs.count {
                named[positionalSpecs[nextPosition].name] = argument
                nextPosition += 1
            } else if variadicSpec != nil {
                variadic.append(argument)
            } else {
                problems.append(LanguageError(Self.tooManyMessage(spec: spec, path: path), at: argument.location))
            }
        }

        for argument in spec.arguments where argument.isRequired && named[argument.name] == nil {
            problems.append(LanguageError(
                "missing required argument '\(argument.name)' for '\(path)' (\(argument.name)=<\(argument.type)>)",
                at: location))
        }
    }

    private static func unknownArgumentMessage(_ name: String, spec: CommandSpec, path: String) -> String {
        let names = spec.arguments.filter(\.isPlain).map(\.name)
        guard !names.isEmpty else { return "'\(path)' takes no named arguments, got '\(name)'" }
        var message = "unknown argument '\(name)' for '\(path)'"
        if let near = Suggestions.nearest(to: name, in: names) {
            message += "; did you mean '\(near)'?"
        } else {
            message += "; it accepts: " + names.joined(separator: ", ")
        }
        return message
    }

    private static func tooManyMessage(spec: CommandSpec, path: String) -> String {
        let names = spec.arguments.map(\.name)
        if names.isEmpty { return "'\(path)' takes no arguments" }
        return "too many positional arguments for '\(path)', which takes \(names.count) (\(names.joined(separator: ", ")))"
    }
}

/// Picks the verb of a command with verbs from the first positional word.
struct VerbSelection {
    var spec: CommandSpec
    var verb: String?
    var arguments: [Argument]

    init(command: CommandSpec, arguments: [Argument], location: SourceLocation) throws {
        guard command.hasVerbs else {
            self.spec = command
            self.verb = nil
            self.arguments = arguments
            self.path = command.name
            return
        }
        let verbNames = command.verbs.map(\.name)
        guard let first = arguments.first, first.name == nil, let word = first.value.word else {
            throw LanguageError("'\(command.name)' needs a verb: \(verbNames.joined(separator: ", "))",
                                at: arguments.first?.location ?? location)
        }
        guard let verbSpec = command.verb(named: word) else {
            var message = "unknown verb '\(word)' for '\(command.name)'"
            if let near = Suggestions.nearest(to: word, in: verbNames) {
                message += "; did you mean '\(near)'?"
            } else {
                message += "; expected one of: \(verbNames.joined(separator: ", "))"
            }
            throw LanguageError(message, at: first.location)
        }
        self.spec = verbSpec
        self.verb = word
        self.arguments = Array(arguments.dropFirst())
        self.path = "\(command.name) \(word)"
    }

    /// `model create`, or just `train`.
    var path: String
}
