import Foundation
import Testing
import DNBTestSupport

/// Every example in README.md and docs/ is executed, so the documentation cannot drift from the tool:
/// - dnb code (```dnb blocks, whole notebooks in ````markdown blocks, `dnb> ` lines of a REPL session)
///   passes `dnb check` with the real command registry — every command, verb, argument name, literal
///   value and bound as documented — and runs for real when it uses only the language's own statements
///   (the diffusion commands would train for minutes; their end-to-end runs are CLITests' job);
/// - every `dnb …` line of a shell example runs, with `run` replaced by `check` (same parsing of the
///   notebook and its `--set` values, without training), `report FILE.md` on a small report put there,
///   and every script it names exists.
@Suite("examples in README and docs", .enabled(if: CLIBinary.url != nil, CLIBinary.missingMessage))
struct DocExamplesTests {
    static let documents = ["README.md"] + ((try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/docs")) ?? [])
        .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }

    struct Block { var document: String; var line: Int; var info: String; var text: String }

    /// Fenced blocks at the top level of a Markdown file (a longer fence may contain shorter ones).
    static func blocks(in document: String) throws -> [Block] {
        let lines = try String(contentsOfFile: repositoryRoot + "/" + document, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var result: [Block] = []
        var open: (fence: String, info: String, line: Int, body: [String])?
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if var current = open {
                if trimmed == current.fence {
                    result.append(Block(document: document, line: current.line, info: current.info,
                                        text: current.body.joined(separator: "\n")))
                    open = nil
                } else {
                    current.body.append(line)
                    open = current
                }
            } else if trimmed.hasPrefix("```") {
                let fence = String(trimmed.prefix { $0 == "`" })
                open = (fence, String(trimmed.dropFirst(fence.count)).trimmingCharacters(in: .whitespaces), index + 1, [])
            }
        }
        return result
    }

    /// The dnb code of a block as a notebook, or nil when the block holds none.
    static func notebook(_ block: Block) -> String? {
        if block.info.hasPrefix("dnb") { return "```dnb\n\(block.text)\n```\n" }
        if block.info == "markdown", block.text.contains("```dnb") { return block.text + "\n" }
        let prompts = block.text.split(separator: "\n").filter { $0.hasPrefix("dnb> ") }
        if block.info == "text", !prompts.isEmpty {
            return "```dnb\n" + prompts.map { String($0.dropFirst(5)) }.joined(separator: "\n") + "\n```\n"
        }
        return nil
    }

    static let languageOnly: Set<String> = ["let", "for", "if", "param", "print", "time", "timeit", "vars", "help", "table", "}"]

    /// A line of the language's own statements: `let r = train …` runs a command (any bare word after `=`
    /// may be one), so it does not count.
    static func isLanguageOnly(_ line: String) -> Bool {
        let words = line.trimmingCharacters(in: .whitespaces).split(separator: " ").map(String.init)
        guard let first = words.first, languageOnly.contains(first) else { return false }
        if first == "let", words.count > 3, words[3].first?.isLetter == true, !words[3].contains("("),
           !["true", "false", "none"].contains(words[3]), !languageOnly.contains(words[3]) { return false }
        return true
    }

    @Test func dnbCodeInTheDocsPassesCheckAndLanguageExamplesRun() throws {
        var checked = 0
        for document in Self.documents {
            for block in try Self.blocks(in: document) {
                guard let text = Self.notebook(block) else { continue }
                let dir = try TemporaryDirectory()
                try dir.write("example.dnb", text)
                let where_ = "\(block.document):\(block.line)"
                let check = try CLIBinary.run(["check", "example.dnb"], in: dir)
                #expect(check.status == 0, "the example at \(where_) fails check:\n\(check.stderr)")
                checked += 1
                let code = text.split(separator: "\n").filter { !$0.hasPrefix("```") && !$0.hasPrefix("#") && !$0.isEmpty }
                if code.allSatisfy({ Self.isLanguageOnly(String($0)) }) {
                    let run = try CLIBinary.run(["run", "example.dnb"], in: dir)
                    #expect(run.status == 0, "the example at \(where_) fails to run:\n\(run.stdout)\n\(run.stderr)")
                }
            }
        }
        #expect(checked >= 3, "the docs hold dnb examples: the README's REPL session and docs/language.md's notebooks")
    }

    @Test func shellExamplesRunAndNameFilesThatExist() throws {
        var ran = 0
        for document in Self.documents {
            for block in try Self.blocks(in: document) where block.info == "sh" {
                for raw in block.text.split(separator: "\n") {
                    // Drop the comment after a command.
                    let line = String(raw.split(separator: "#", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces)
                    var words = line.split(separator: " ").map(String.init)
                    // `mpirun … dnb ARGS`: the dnb part is checked as below (DistributedTests runs dnb under mpirun).
                    if words.first == "mpirun", let binary = words.firstIndex(where: { $0.hasSuffix("dnb") }) {
                        words = Array(words[binary...])
                    }
                    guard let first = words.first else { continue }
                    let where_ = "\(block.document):\(block.line)"
                    if first == "bash" {
                        #expect(FileManager.default.fileExists(atPath: repositoryRoot + "/" + words[1]), "\(where_): \(words[1]) is missing")
                    } else if first.hasSuffix("dnb"), words.count > 1 {
                        var arguments = Array(words.dropFirst())
                        if arguments.first == "run", !arguments.contains("--help") {
                            // `check` parses the same notebook; the `--set` values are checked by `run --help`, which
                            // applies them to the notebook's parameters without running a cell.
                            arguments[0] = "check"
                            arguments = Array(arguments.prefix(2))
                        }
                        let dir = try TemporaryDirectory()
                        if arguments.first == "report", arguments.count > 1 {
                            // `dnb report FILE.md …` converts a report a run wrote: one is put where the example names it.
                            let folder = URL(fileURLWithPath: dir.file(arguments[1])).deletingLastPathComponent().path
                            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                            try dir.write(arguments[1], "# A report\n\n## Parameters\n\n```output\nok\n```\n")
                        }
                        let result = try CLIBinary.run(arguments.map { $0.hasPrefix("notebooks/") ? repositoryRoot + "/" + $0 : $0 },
                                                       in: dir)
                        #expect(result.status == 0, "\(where_): `\(line)` → status \(result.status)\n\(result.stderr)")
                        ran += 1
                    }
                }
            }
        }
        #expect(ran >= 3, "the README shows how to check and run the notebooks")
    }
}
