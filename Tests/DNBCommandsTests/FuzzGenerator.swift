import DNBCommands
import DNBLanguage
import DNBTestSupport
import Foundation

/// A whole fuzz run follows from one seed.
typealias FuzzRandom = SplitMix64

/// Generates REPL lines and notebooks from the real registry: command names, verbs, argument
/// names, types and allowed values come from `CommandRegistry.dnb`, so new commands are fuzzed
/// as soon as they are registered. Valid values are kept tiny so that whatever runs finishes in
/// well under a second in a debug build; hostile values are either refused at once or absurd
/// (a budget must refuse them). Arguments that only cost time (steps, iterations, epochs) never
/// get huge values: a huge valid count there is a long run, not a defect.
struct FuzzGenerator {
    var random: FuzzRandom
    let commands: [CommandSpec]
    let sandbox: FuzzSandbox
    /// For notebooks that are only checked: loops over huge ranges are allowed, since nothing runs.
    var checkOnly = false

    init(seed: UInt64, sandbox: FuzzSandbox) {
        random = FuzzRandom(state: seed)
        commands = CommandRegistry.dnb(workspace: Workspace()).commands
        self.sandbox = sandbox
    }

    /// A working tiny setup, so later commands get past their prerequisites: 16 synthetic 8×8
    /// digits, a two-level UNet with 4 and 8 channels, DDIM.
    static let prelude = [
        "seed 1",
        "dataset load name=synthetic count=16 image_size=8",
        "model create sample_size=8 block_out_channels=[4, 8] down_block_types=[DownBlock2D, DownBlock2D] up_block_types=[UpBlock2D, UpBlock2D] layers_per_block=1 norm_num_groups=2",
        "scheduler create type=ddim num_train_timesteps=50",
    ]

    /// Arguments given whenever the command is generated (a generated value for the same name
    /// replaces them): what keeps a valid call tiny.
    static let tiny: [String: [(String, String)]] = [
        "dataset load": [("name", "synthetic"), ("count", "16"), ("image_size", "8")],
        "dataset show": [("n", "2")],
        "corrupt": [("n", "2")],
        "model create": [("sample_size", "8"), ("block_out_channels", "[4, 8]"), ("down_block_types", "[DownBlock2D, DownBlock2D]"),
                         ("up_block_types", "[UpBlock2D, UpBlock2D]"), ("layers_per_block", "1"), ("norm_num_groups", "2"), ("attention_head_dim", "4")],
        "scheduler create": [("num_train_timesteps", "50")],
        "scheduler add_noise": [("n", "1"), ("timesteps", "[0, 10]")],
        "scheduler timesteps": [("steps", "2")],
        "train": [("max_steps", "1"), ("batch_size", "4"), ("progress", "false"), ("epochs", "1")],
        "sample": [("n", "1"), ("steps", "2")],
        "progression": [("steps", "2"), ("snapshots", "2")],
        "refine": [("n", "1"), ("iterations", "1"), ("inference_steps", "2")],
        "denoise": [("n", "2"), ("steps", "1")],
        "classifier train": [("epochs", "1"), ("batch_size", "8")],
    ]

    /// Arguments whose size only costs time: hostile values for them stay small.
    static let timeOnly: Set<String> = ["train epochs", "train max_steps", "train checkpoint_every", "sample steps", "progression steps",
                                        "refine iterations", "refine inference_steps", "denoise steps", "scheduler timesteps steps",
                                        "classifier train epochs"]

    /// Path arguments that only read; every other path or file name may be written, so it only
    /// gets names inside the sandbox (dnb runs as root here: `/dev/null` as an output would be replaced).
    static let readPaths: Set<String> = ["dataset load data", "model load path", "load tensor path", "load checkpoint path", "train resume", "evaluate path"]

    // MARK: Values

    static let hostileInts = ["0", "-1", "-7", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                              "99999999999999999999999999", "4294967296", "2147483648", "1e17", "2.5", "1e309", "-1e309"]
    static let hostileFloats = ["0", "-0.0", "-1", "1e309", "-1e309", "1e308", "-1e308", "1e-320", "1e17", "9223372036854775807",
                                "1e-45", "0.9999999999999999", "1.0000000000000002", "1e", "1e+", "0x10", "1_000.5_"]
    static let hostileStrings = [
        "\"\"", "\"\\\"", "\"unclosed", "\"{\"", "\"}\"", "\"{nope}\"", "\"{$}\"", "\"{$x}\"", "\"\\q\"", "\"\\{\\}\\$\"",
        "\"é漢字🙂\u{202E}abc\"", "\"e\u{301}\u{301}\u{301}\"", "\"\u{7}\u{1B}[2J\"", "\"a\u{0}b\"", "naïve", "🙂", "\u{FEFF}word",
        "-", "--", ".", "..", "...", "~", "~~", "/", "a..b", "1..", "..1", "$", "$$", "$1", "${x}", "[", "]", "(", ")", "{", "}", ",",
        "=", "==", "x=", "=x", "\\", "#", "'single'", "`tick`",
    ]
    static let readableSystemPaths = ["/", "/dev/null", "/proc/self/status", "/proc", "/etc/passwd", "/nonexistent/file"]
    static let sandboxNames = ["folder", "empty.npy", "garbage.npy", "garbage.safetensors", "text.dnb", "badmodel", "loop", "dangling", "fifo",
                               "nodata", "missing.npy", "out", "out/repl", ".", "..", "../..", "../../../x", "folder/", "a b", "x.safetensors",
                               "x.npy", "x.txt", "~/m", "🙂.npy", "folder/../folder/x.npy"]

    /// A string literal reading back as `text` (docs/language.md: escapes).
    static func quote(_ text: String) -> String {
        var result = "\""
        for character in text {
            switch character {
            case "\\", "\"", "{", "}", "$": result += "\\" + String(character)
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result + "\""
    }

    /// 1,000 and 50,000 characters: long enough for quadratic work to show (`help` on a 300,000-character
    /// word spent 10 s in "did you mean" in a debug build), short enough for the test's minute.
    mutating func longText() -> String {
        String(repeating: random.pick(["a", "é", "🙂", "9", "_", " "]), count: random.pick([1000, 50_000]))
    }

    mutating func path(write: Bool) -> String {
        var choices = Self.sandboxNames + [sandbox.cwd + "/folder/abs.npy", sandbox.cwd]
        if !write { choices += Self.readableSystemPaths }
        let name = random.pick(choices)
        return random.chance(0.5) ? FuzzGenerator.quote(name) : name
    }

    mutating func smallInt() -> String { String(random.below(4)) }

    /// A value for an argument: usually what it accepts, often something hostile.
    mutating func value(for argument: ArgumentSpec, key: String) -> String {
        let qualified = key + " " + argument.name
        let isTimeOnly = Self.timeOnly.contains(qualified)
        if argument.type == .path || argument.name == "figure" || argument.name == "checkpoint" || argument.name == "resume" {
            if random.chance(0.7) { return path(write: !Self.readPaths.contains(qualified)) }
        }
        if random.chance(0.5) {
            if let allowed = argument.allowedValues, !allowed.isEmpty {
                if case .list = argument.type {
                    return "[" + (0..<(1 + random.below(3))).map { _ in random.pick(allowed).literal }.joined(separator: ", ") + "]"
                }
                return random.pick(allowed).literal
            }
            return validValue(argument.type)
        }
        return hostileValue(argument.type, timeOnly: isTimeOnly)
    }

    mutating func validValue(_ type: ValueType) -> String {
        switch type {
        case .int: return smallInt()
        case .float: return random.pick(["0.5", "1", "0.001", "2", "1e-3"])
        case .bool: return random.pick(["true", "false"])
        case .string, .path, .any: return random.pick(["samples", "x", "\"two words\"", "noisy", "denoised", "loaded", "batch"])
        case .list(let element): return "[" + (0..<(1 + random.below(3))).map { _ in validValue(element) }.joined(separator: ", ") + "]"
        case .record: return random.pick(["{steps: 1, loss: 0.5}", "{}", "{a: {b: [1]}}"])
        }
    }

    mutating func hostileValue(_ type: ValueType, timeOnly: Bool) -> String {
        switch random.below(10) {
        case 0: return random.pick(Self.hostileStrings)
        case 1: return random.pick(["none", "true", "[]", "()", "[[]]", "[none]", "1..3", "3..1", "$undefined", "[1, \"a\"]", "[,]", "[1,,2]"])
        case 2 where !timeOnly: return random.pick(["1..9223372036854775807", "[" + Array(repeating: "9223372036854775807", count: 3).joined(separator: ", ") + "]"])
        case 3: return random.chance(0.8) ? FuzzGenerator.quote(String(longText().prefix(2000))) : longText()
        default: break
        }
        switch type {
        case .int:
            let pool = timeOnly ? Self.hostileInts.filter { !["9223372036854775807", "4294967296", "2147483648", "1e17"].contains($0) } : Self.hostileInts
            return random.pick(pool)
        case .float:
            let pool = timeOnly ? Self.hostileFloats.filter { !["1e308", "1e17", "9223372036854775807"].contains($0) } : Self.hostileFloats
            return random.pick(pool)
        case .list(let element):
            return "[" + (0..<(1 + random.below(3))).map { _ in hostileValue(element, timeOnly: timeOnly) }.joined(separator: ", ") + "]"
        default:
            return random.pick(Self.hostileStrings)
        }
    }

    // MARK: Lines

    /// One command call: the tiny base arguments, then some of the command's arguments by name or
    /// by position, now and then an unknown or repeated one.
    mutating func commandCall() -> String {
        let command = random.pick(commands)
        var words = [command.name]
        var spec = command
        var key = command.name
        if command.hasVerbs {
            if random.chance(0.05) {
                words.append(random.pick(["nope", "Create", "creat", "\"create\"", "1", "[]"]))
                return words.joined(separator: " ")
            }
            spec = random.pick(command.verbs)
            words.append(spec.name)
            key += " " + spec.name
        }
        var given: [(String, String)] = Self.tiny[key] ?? []
        let count = random.below(min(spec.arguments.count, 4) + 1)
        for _ in 0..<count where !spec.arguments.isEmpty {
            let argument = random.pick(spec.arguments)
            let text = value(for: argument, key: key)
            given.removeAll { $0.0 == argument.name }
            given.append((argument.name, text))
        }
        // The base arguments of time-only work must stay small even when others are hostile.
        var parts = given.map { "\($0.0)=\($0.1)" }
        if random.chance(0.15), let argument = spec.arguments.first, !Self.timeOnly.contains(key + " " + argument.name) {
            // By position: the first declared argument, or a stray extra positional.
            parts.insert(value(for: argument, key: key), at: 0)
            parts.removeAll { $0.hasPrefix(argument.name + "=") }
        }
        if random.chance(0.08) { parts.append(random.pick(["nope=1", "\(spec.arguments.first?.name ?? "x")=1", "7", "\"extra\"", "=", "x==1"])) }
        if random.chance(0.05) { parts.shuffle(using: &random) }
        return (words + parts).joined(separator: " ")
    }

    /// A statement: mostly a command call, sometimes `let`, `for`, `param`, `time`, help, vars,
    /// or something malformed.
    mutating func statement(depth: Int = 0) -> String {
        switch random.below(24) {
        case 0: return "let \(random.pick(["x", "y", "n", "let", "for", "_", "é", "x1"])) = \(hostileOrValid())"
        case 1 where depth < 2:
            var ranges = ["1..2", "1..3", "[1, 2]", "[]", "3..1", "$x", "none", "\"ab\"", "1..0"]
            if checkOnly { ranges += ["1..9223372036854775807", "-9223372036854775808..9223372036854775807", "0..4294967296"] }
            let range = random.pick(ranges)
            let body = (0..<(1 + random.below(2))).map { _ in statement(depth: depth + 1) }.joined(separator: "; ")
            return "for \(random.pick(["i", "e", "x"])) in \(range) { \(body) }"
        case 2:
            let type = random.pick(["int", "float", "string", "str", "path", "bool", "any", "list", "list[int]", "list[list[float]]", "list[", "nope", "int]"])
            return "param \(random.pick(["p", "epochs", "x"])): \(type) = \(hostileOrValid())\(random.chance(0.5) ? " \"help text\"" : "")"
        case 3: return "time " + (random.chance(0.8) ? commandCall() : "time print 1")
        case 4: return random.pick(["help", "vars", "help \(random.pick(commands).name)", "help let", "help for", "help nope",
                                    "help model nope", "help model create", "help \(random.pick(Self.hostileStrings))"])
        case 5: return "print " + (0..<(1 + random.below(3))).map { _ in hostileOrValid() }.joined(separator: " ")
        case 6: return malformed()
        // The REPL's own command (Sources/dnb/SaveSession.swift), not in the registry the generator reads.
        case 7 where !checkOnly: return "save session \(path(write: true)) title=\(random.pick(Self.hostileStrings + ["\"A title\""]))"
        default: return commandCall()
        }
    }

    mutating func hostileOrValid() -> String {
        random.chance(0.5) ? validValue(random.pick([.int, .float, .string, .bool, .list(.int)])) : hostileValue(random.pick([.int, .float, .string]), timeOnly: true)
    }

    /// Broken syntax; anything that opens a bracket closes it on the same line (else it would
    /// swallow the lines after it), except for the rare deep nesting.
    mutating func malformed() -> String {
        switch random.below(16) {
        case 0: return String(repeating: "[", count: random.pick([50, 1000, 100_000])) + String(repeating: "]", count: random.pick([0, 50, 100_000]))
        case 1:
            let depth = random.pick([20, 500, 10_000])
            return String(repeating: "for i in 1..1 { ", count: depth) + "print 1" + String(repeating: " }", count: depth)
        case 2: return String(repeating: "(", count: random.pick([10, 3000])) + "1" + String(repeating: ")", count: random.pick([10, 3000]))
        case 3: return random.pick(["}", "]", ")", "} }", "]]]", ";;;", ";", "\\", "print 1 \\", "{}", "{ print 1 }", "for", "for i", "for i in", "for i in 1..2 {}"])
        case 4: return random.pick(["let", "let x", "let x =", "let = 1", "let x = = 1", "param", "param x", "param x:", "param x: int", "param x: int ="])
        case 5: return "print \"" + longText()
        case 6: return random.pick(Self.hostileStrings) + " " + random.pick(Self.hostileStrings)
        case 7: return "print " + String(repeating: "$x", count: 1000)
        case 8: return "print \"" + String(repeating: "{", count: random.pick([1, 1000])) + "x" + String(repeating: "}", count: random.pick([1, 1000])) + "\""
        case 9: return "\u{0}\u{1}\u{7F}\u{85}\u{2028}print 1\r"
        case 10: return random.pick(["print 1..3..5 .. ...", "print 1..9223372036854775807", "let r = -9223372036854775808..9223372036854775807"])
        case 11: return "time"
        case 12: return "print " + String(repeating: "1..", count: 200) + "2"
        case 13: return "print [" + Array(repeating: "1", count: random.pick([10, 20_000])).joined(separator: ",") + "]"
        case 14: return "print \"\\" + "\u{301}" + "\""
        default: return random.pick(commands).name + " " + random.pick(Self.hostileStrings) + "=" + random.pick(Self.hostileStrings)
        }
    }

    mutating func replLine() -> String {
        if random.chance(0.02) { return "" }
        return (0..<(random.chance(0.1) ? 2 : 1)).map { _ in statement() }.joined(separator: random.pick(["; ", ";"]))
    }

    // MARK: Notebooks

    /// A `.dnb` notebook: prose, other fences, and code cells with options, some of them broken.
    mutating func notebook() -> String {
        var parts: [String] = []
        if random.chance(0.8) { parts.append("# " + random.pick(["Fuzz", "", "🙂 title", "#", String(repeating: "t", count: 3000)])) }
        for _ in 0..<(1 + random.below(5)) {
            switch random.below(6) {
            case 0: parts.append(random.pick(["Some prose.", "", "   ", "- a list", "> quote", "<!-- ```dnb -->", "```", "~~~dnb", "    ```dnb"]))
            case 1: parts.append("```python\n```dnb\nprint inner\n```\n")
            default:
                let fence = String(repeating: "`", count: random.pick([3, 3, 3, 4, 6]))
                let indent = String(repeating: " ", count: random.pick([0, 0, 0, 1, 3, 4]))
                let options = (0..<random.below(4)).map { _ in cellOption() }.joined(separator: " ")
                let body = (0..<(1 + random.below(6))).map { _ in statement() }.joined(separator: "\n")
                let close = random.chance(0.9) ? indent + fence : random.pick(["", fence + " trailing", String(fence.dropLast()), "~~~"])
                parts.append("\(indent)\(fence)\(random.chance(0.95) ? "dnb" : "dnb-x") \(options)\n\(body)\n\(close)")
            }
        }
        return parts.joined(separator: "\n\n") + (random.chance(0.8) ? "\n" : "")
    }

    mutating func cellOption() -> String {
        let name = random.pick(["id", "echo", "allow-error", "skip", "nope", "id", "", "=", "echo="])
        if random.chance(0.3) { return name }
        let value = random.pick(["true", "false", "maybe", "", "setup", "setup", "\"quoted id\"", "🙂", "=", "1", String(repeating: "x", count: 500)])
        return name + "=" + value
    }
}
