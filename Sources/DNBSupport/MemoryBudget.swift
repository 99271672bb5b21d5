import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How much memory dnb may allocate: the smaller of physical memory, RLIMIT_AS / RLIMIT_DATA and the
/// cgroup's memory.max (each when present), or `DNB_MEMORY_LIMIT` (`2G`, `512M`, `1.5G`, bytes) when set.
/// Commands estimate what they will allocate before allocating and refuse what exceeds it, so a too-large
/// `n`, `image_size` or `block_out_channels` gets a message instead of "failed to allocate" and an abort.
public struct MemoryBudget: Sendable, Equatable {
    public var limit: Double
    /// Where the limit comes from: "physical memory", "RLIMIT_AS", "cgroup memory.max", "DNB_MEMORY_LIMIT".
    public var source: String

    public init(limit: Double, source: String) {
        self.limit = limit
        self.source = source
    }

    /// The budget of this process.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MemoryBudget {
        if let text = environment["DNB_MEMORY_LIMIT"] {
            guard let bytes = parse(text) else {
                throw MemoryBudgetError("DNB_MEMORY_LIMIT=\(text) is not a size; use bytes or a number with K, M, G or T (e.g. 2G)")
            }
            return MemoryBudget(limit: bytes, source: "DNB_MEMORY_LIMIT")
        }
        var candidates = [(Double(ProcessInfo.processInfo.physicalMemory), "physical memory")]
        #if canImport(Glibc)
        for (resource, name) in [(RLIMIT_AS, "RLIMIT_AS"), (RLIMIT_DATA, "RLIMIT_DATA")] {
            var r = rlimit()
            if getrlimit(__rlimit_resource_t(resource.rawValue), &r) == 0, r.rlim_cur != rlim_t.max {
                candidates.append((Double(r.rlim_cur), name))
            }
        }
        #endif
        // cgroup v2, then v1 (whose "no limit" is a huge number, which then simply loses the comparison).
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let bytes = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                candidates.append((bytes, "cgroup memory.max"))
                break
            }
        }
        let smallest = candidates.min { $0.0 < $1.0 }!  // physical memory is always a candidate
        return MemoryBudget(limit: smallest.0, source: smallest.1)
    }

    /// `2G`, `512M`, `1.5g`, `64K`, `1T` (powers of 1024) or plain bytes; nil when not a positive finite size.
    public static func parse(_ text: String) -> Double? {
        var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
        if digits.hasSuffix("B") { digits.removeLast() }
        var scale = 1.0
        if let last = digits.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
            scale = pow(1024, Double(power))
            digits.removeLast()
        }
        guard let value = Double(digits), value.isFinite, value > 0 else { return nil }
        return value * scale
    }

    /// Refuses `bytes` beyond the limit: "sample n=100000 needs about 61 GB; the limit is 23.5 GB (physical memory);
    /// use a smaller n". Estimates are doubles so that absurd sizes (n=1e17) compare instead of overflowing.
    public func check(_ bytes: Double, for what: String, advice: String) throws {
        guard bytes.isFinite, bytes <= limit else {
            throw MemoryBudgetError("\(what) needs about \(MemoryBudget.format(bytes)); the limit is \(MemoryBudget.format(limit)) (\(source)); \(advice)")
        }
    }

    /// Checks against the process's budget.
    public static func check(_ bytes: Double, for what: String, advice: String) throws {
        try current().check(bytes, for: what, advice: advice)
    }

    /// 1000-based, three significant digits at most: "61 GB", "23.5 GB", "512 KB".
    public static func format(_ bytes: Double) -> String {
        guard bytes.isFinite else { return "an unbounded amount" }
        let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = bytes, unit = 0
        while value >= 999.5 && unit < units.count - 1 { value /= 1000; unit += 1 }
        if unit == units.count - 1 && value >= 1000 { return String(format: "%.3g bytes", bytes) }
        let text = value >= 100 || unit == 0 ? String(format: "%.0f", value) : value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
        let trimmed = text.contains(".") ? String(text.reversed().drop { $0 == "0" }.drop { $0 == "." }.reversed()) : text
        return "\(trimmed) \(units[unit])"
    }
}

/// A command would allocate more than the memory budget allows.
public struct MemoryBudgetError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}
