import ArgumentParser
import DNBCache
import DNBLanguage
import DNBSupport
import Foundation

/// `dnb cache list | clear`: what the cell cache holds, and emptying it.
struct CacheCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "cache",
            abstract: "List or clear the cell cache of `dnb run`.",
            discussion: """
                The cache is the folder given with --cache, else $DNB_CACHE, else .dnb-cache beside the output \
                folder (--out; default out/<notebook>, so out/.dnb-cache).
                """,
            subcommands: [List.self, Clear.self])
    }

    struct Location: ParsableArguments {
        @Option(name: .customLong("cache"), help: ArgumentHelp("The cache folder.", valueName: "dir"))
        var directory: String?

        @Option(name: [.customLong("out"), .customShort("o")], help: ArgumentHelp("The output folder of the runs whose cache to use.", valueName: "dir"))
        var outputDirectory: String = "out/notebook"

        var store: CacheStore {
            CacheStore(directory: CacheOptions.folder(directory, outputDirectory: ValueType.expandingTilde(outputDirectory)))
        }
    }

    struct List: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(abstract: "List the cached cells, most recently used first, with their sizes.")
        }

        @OptionGroup var location: Location

        func run() throws {
            let store = location.store
            let listings = store.list()
            guard !listings.isEmpty else {
                Terminal.out("\(store.directory): empty\n")
                return
            }
            let table = Table(headers: ["last used", "cell", "ran for", "own size", "key"], rows: listings.map { listing in
                [utcTimestamp(listing.lastUsed), listing.entry?.label ?? "(damaged entry)", listing.entry.map { formatDuration($0.seconds) } ?? "",
                 MemoryBudget.format(Double(listing.ownBytes)), String(listing.key.prefix(12))]
            })
            Terminal.out(table.plainText)
            Terminal.out("\(listings.count) entr\(listings.count == 1 ? "y" : "ies"), \(MemoryBudget.format(Double(store.totalBytes()))) in \(store.directory) "
                + "(blobs shared by entries counted once; \"own size\" is what removing the entry frees)\n")
        }
    }

    struct Clear: ParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(abstract: "Remove every cached cell, or those not used for a while.")
        }

        @OptionGroup var location: Location

        @Option(name: .customLong("older-than"), help: ArgumentHelp("Only entries last used longer ago than this, e.g. 30m, 12h, 7d, 2w.", valueName: "age"))
        var olderThan: String?

        func validate() throws {
            if let olderThan, Self.seconds(olderThan) == nil {
                throw ValidationError("--older-than \(olderThan): give an age such as 30m, 12h, 7d or 2w")
            }
        }

        /// `90s`, `30m`, `12h`, `7d`, `2w` in seconds.
        static func seconds(_ text: String) -> TimeInterval? {
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
            guard let unit = text.last, let scale = units[unit], let number = Double(text.dropLast()), number.isFinite, number >= 0 else { return nil }
            return number * scale
        }

        func run() throws {
            let store = location.store
            guard FileManager.default.fileExists(atPath: store.directory) else {
                Terminal.out("\(store.directory): no cache there\n")
                return
            }
            do {
                let (entries, bytes) = try store.clear(olderThan: olderThan.flatMap(Self.seconds))
                Terminal.out("removed \(entries) entr\(entries == 1 ? "y" : "ies"), freed \(MemoryBudget.format(Double(bytes))) in \(store.directory)\n")
            } catch {
                Terminal.errLine("dnb: \(describeError(error))")
                throw ExitCode(1)
            }
        }
    }
}
