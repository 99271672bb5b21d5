import Foundation
import DNBSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Safetensors, implemented from the format description (no library):
//
//   [8 bytes]  N, little-endian UInt64: length of the header
//   [N bytes]  UTF-8 JSON object:
//                { "__metadata__": { "key": "value", ... },            (optional, strings only)
//                  "name": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ... }
//              (the reference writer pads it with trailing spaces to a multiple of 8 bytes)
//   [rest]     the data buffer: raw little-endian element bytes, row-major (C order);
//              data_offsets are relative to the start of this buffer. The tensors must cover
//              the buffer exactly: no gaps, no overlaps, nothing after the last one.

/// Element types found in safetensors files. The raw value is the header spelling.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16: return 2
        case .u8, .bool: return 1
        }
    }
}

/// Every way reading or writing a safetensors file can fail. Each message names the file.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Could not open, read, or write the file.
    case io(path: String, detail: String)
    /// Fewer than the 8 bytes of the header-length prefix.
    case fileTooShort(path: String, size: Int)
    /// The header length prefix exceeds the file or the 100 MB sanity limit.
    case headerLength(path: String, length: UInt64, fileSize: Int)
    /// The header is not UTF-8, not JSON, not an object, or has a field of the wrong type.
    case invalidHeader(path: String, detail: String)
    /// A tensor entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(path: String, tensor: String, field: String)
    /// A dtype this reader does not know.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A negative dimension, or `data_offsets` not a pair of non-negative, ordered integers.
    case invalidEntry(path: String, tensor: String, detail: String)
    /// shape product × dtype size differs from the byte span of `data_offsets`.
    case sizeMismatch(path: String, tensor: String, shape: [Int], dtype: String, expectedBytes: Int, spanBytes: Int)
    /// A tensor starts past the end of the data buffer.
    case offsetsOutOfBounds(path: String, tensor: String, begin: Int, end: Int, bufferSize: Int)
    /// Two tensors share bytes.
    case overlappingTensors(path: String, first: String, second: String)
    /// Bytes of the data buffer that no tensor covers (a gap, or trailing bytes).
    case uncoveredBytes(path: String, begin: Int, end: Int)
    /// The file ends before the data the header describes.
    case truncatedData(path: String, expectedBytes: Int, availableBytes: Int)
    /// A tensor asked for by name is not in the file.
    case missingTensor(path: String, name: String)
    /// A conversion that the entry's dtype does not allow.
    case unsupportedConversion(path: String, tensor: String, dtype: String, to: String)
    /// The writer was given something it cannot store.
    case invalidTensor(name: String, detail: String)

    public var description: String {
        switch self {
        case let .io(path, detail):
            return "safetensors \(path): \(detail)"
        case let .fileTooShort(path, size):
            return "safetensors \(path): file is \(size) bytes, shorter than the 8-byte header length prefix"
        case let .headerLength(path, length, fileSize):
            return "safetensors \(path): header length \(length) is impossible (file is \(fileSize) bytes; limit \(safetensorsMaxHeader) bytes)"
        case let .invalidHeader(path, detail):
            return "safetensors \(path): invalid header: \(detail)"
        case let .missingField(path, tensor, field):
            return "safetensors \(path): tensor '\(tensor)' has no \"\(field)\""
        case let .unknownDType(path, tensor, dtype):
            return "safetensors \(path): tensor '\(tensor)' has unknown dtype \"\(dtype)\" (known: \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case let .invalidEntry(path, tensor, detail):
            return "safetensors \(path): tensor '\(tensor)': \(detail)"
        case let .sizeMismatch(path, tensor, shape, dtype, expected, span):
            return "safetensors \(path): tensor '\(tensor)' of shape \(describeShape(shape)) \(dtype) needs \(expected) bytes but data_offsets span \(span)"
        case let .offsetsOutOfBounds(path, tensor, begin, end, bufferSize):
            return "safetensors \(path): tensor '\(tensor)' data_offsets [\(begin), \(end)] lie outside the \(bufferSize)-byte data buffer"
        case let .overlappingTensors(path, first, second):
            return "safetensors \(path): tensors '\(first)' and '\(second)' overlap in the data buffer"
        case let .uncoveredBytes(path, begin, end):
            return "safetensors \(path): data buffer bytes \(begin)..<\(end) belong to no tensor"
        case let .truncatedData(path, expected, available):
            return "safetensors \(path): truncated: the header describes \(expected) bytes of tensor data but the file holds only \(available)"
        case let .missingTensor(path, name):
            return "safetensors \(path): no tensor named '\(name)'"
        case let .unsupportedConversion(path, tensor, dtype, to):
            return "safetensors \(path): tensor '\(tensor)' is \(dtype), cannot convert to \(to)"
        case let .invalidTensor(name, detail):
            return "safetensors write: tensor '\(name)': \(detail)"
        }
    }
}

/// Largest header the reader accepts (the reference implementation's limit).
public let safetensorsMaxHeader = 100_000_000

/// One tensor: its dtype, shape (row-major, PyTorch's layout) and raw little-endian bytes.
public struct SafetensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// The element bytes exactly as stored (little-endian, row-major).
    public let bytes: [UInt8]
    /// The file it came from ("" for entries built in memory); used in error messages.
    public let path: String

    /// Number of elements (1 for a 0-d tensor).
    public var count: Int { shape.reduce(1, *) }

    /// An entry from raw bytes; `bytes.count` must equal count × dtype size.
    public init(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw SafetensorsError.invalidTensor(name: name, detail: "negative dimension in \(describeShape(shape))")
        }
        guard let n = checkedCount(shape), case let (need, o) = n.multipliedReportingOverflow(by: dtype.size), !o,
              need == bytes.count else {
            throw SafetensorsError.invalidTensor(
                name: name, detail: "\(bytes.count) bytes do not fit shape \(describeShape(shape)) of \(dtype.rawValue)")
        }
        self.init(unchecked: name, dtype, shape, bytes, path: "")
    }

    /// An F32 entry.
    public init(name: String, shape: [Int], floats: [Float]) throws {
        try Self.checkCount(name, shape, floats.count)
        var out = [UInt8](repeating: 0, count: floats.count * 4)
        out.withUnsafeMutableBytes { raw in
            for (i, v) in floats.enumerated() { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        }
        self.init(unchecked: name, .f32, shape, out, path: "")
    }

    /// A U8 entry.
    public init(name: String, shape: [Int], uint8 values: [UInt8]) throws {
        try Self.checkCount(name, shape, values.count)
        self.init(unchecked: name, .u8, shape, values, path: "")
    }

    /// An I64 entry.
    public init(name: String, shape: [Int], int64 values: [Int64]) throws {
        try Self.checkCount(name, shape, values.count)
        var out = [UInt8](repeating: 0, count: values.count * 8)
        out.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() { raw.storeBytes(of: v.littleEndian, toByteOffset: i * 8, as: Int64.self) }
        }
        self.init(unchecked: name, .i64, shape, out, path: "")
    }

    init(unchecked name: String, _ dtype: SafetensorsDType, _ shape: [Int], _ bytes: [UInt8], path: String) {
        self.name = name; self.dtype = dtype; self.shape = shape; self.bytes = bytes; self.path = path
    }

    private static func checkCount(_ name: String, _ shape: [Int], _ n: Int) throws {
        guard shape.allSatisfy({ $0 >= 0 }), let c = checkedCount(shape), c == n else {
            throw SafetensorsError.invalidTensor(name: name, detail: "\(n) values do not fit shape \(describeShape(shape))")
        }
    }

    /// The values as Float, converting from any supported dtype
    /// (F16/BF16 exactly, F64 rounded, integers as Float(value), BOOL as 0/1).
    public func floats() throws -> [Float] {
        let n = count
        return bytes.withUnsafeBytes { raw -> [Float] in
            switch dtype {
            case .f32:
                return (0..<n).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            case .f64:
                return (0..<n).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
            case .f16:
                return (0..<n).map { halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
            case .bf16:
                return (0..<n).map { Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) << 16) }
            case .i64:
                return (0..<n).map { Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))) }
            case .i32:
                return (0..<n).map { Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
            case .u8:
                return (0..<n).map { Float(raw[$0]) }
            case .bool:
                return (0..<n).map { raw[$0] != 0 ? 1 : 0 }
            }
        }
    }

    /// The values as Int64, for the integer and BOOL dtypes (floating dtypes throw).
    public func int64s() throws -> [Int64] {
        let n = count
        return try bytes.withUnsafeBytes { raw -> [Int64] in
            switch dtype {
            case .i64: return (0..<n).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            case .i32: return (0..<n).map { Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
            case .u8: return (0..<n).map { Int64(raw[$0]) }
            case .bool: return (0..<n).map { raw[$0] != 0 ? 1 : 0 }
            case .f64, .f32, .f16, .bf16:
                throw SafetensorsError.unsupportedConversion(path: path, tensor: name, dtype: dtype.rawValue, to: "Int64")
            }
        }
    }
}

/// A whole safetensors file in memory.
public struct SafetensorsFile: Sendable {
    /// The `__metadata__` string map (empty when the file has none).
    public var metadata: [String: String]
    /// Tensors by name.
    public var tensors: [String: SafetensorsEntry]
    /// Tensor names in data-buffer order (for files this writer made: sorted by UTF-8 bytes).
    public var names: [String]
    /// Where it was read from ("" when built in memory).
    public var path: String

    public init(tensors: [SafetensorsEntry], metadata: [String: String] = [:]) {
        self.metadata = metadata
        self.tensors = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.names = self.tensors.keys.sorted(by: utf8Less)
        self.path = ""
    }

    public subscript(name: String) -> SafetensorsEntry? { tensors[name] }

    /// The entry called `name`, or `SafetensorsError.missingTensor` naming the file.
    public func entry(_ name: String) throws -> SafetensorsEntry {
        guard let e = tensors[name] else { throw SafetensorsError.missingTensor(path: path, name: name) }
        return e
    }

    /// Shorthand for `entry(name).floats()`.
    public func floats(_ name: String) throws -> [Float] { try entry(name).floats() }

    // MARK: Reading

    /// Reads and validates a whole file.
    public static func read(_ url: URL) throws -> SafetensorsFile {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw SafetensorsError.io(path: path, detail: "cannot read: \(errorCause(error))")
        }
        return try parse(data, path: path)
    }

    /// Parses and validates a file's bytes; `path` is only used in error messages.
    public static func parse(_ data: Data, path: String = "<memory>") throws -> SafetensorsFile {
        let fileSize = data.count
        guard fileSize >= 8 else { throw SafetensorsError.fileTooShort(path: path, size: fileSize) }
        let headerLength: UInt64 = data.withUnsafeBytes { raw in
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        }
        guard headerLength <= UInt64(safetensorsMaxHeader), headerLength <= UInt64(fileSize - 8) else {
            throw SafetensorsError.headerLength(path: path, length: headerLength, fileSize: fileSize)
        }
        let n = Int(headerLength)
        let start = data.startIndex
        let headerBytes = data.subdata(in: (start + 8)..<(start + 8 + n))
        let bufferStart = start + 8 + n
        let bufferSize = fileSize - 8 - n

        guard String(data: headerBytes, encoding: .utf8) != nil else {
            throw SafetensorsError.invalidHeader(path: path, detail: "not valid UTF-8")
        }
        let header: RawHeader
        do {
            header = try JSONDecoder().decode(RawHeader.self, from: headerBytes)
        } catch let error as DecodingError {
            throw SafetensorsError.invalidHeader(path: path, detail: explain(error))
        } catch {
            throw SafetensorsError.invalidHeader(path: path, detail: "\(error)")
        }

        // Per-tensor checks.
        struct Placed { let name: String; let dtype: SafetensorsDType; let shape: [Int]; let begin: Int; let end: Int }
        var placed: [Placed] = []
        placed.reserveCapacity(header.tensors.count)
        for (name, t) in header.tensors {
            guard let dtypeName = t.dtype else { throw SafetensorsError.missingField(path: path, tensor: name, field: "dtype") }
            guard let shape = t.shape else { throw SafetensorsError.missingField(path: path, tensor: name, field: "shape") }
            guard let offsets = t.data_offsets else { throw SafetensorsError.missingField(path: path, tensor: name, field: "data_offsets") }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw SafetensorsError.unknownDType(path: path, tensor: name, dtype: dtypeName)
            }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw SafetensorsError.invalidEntry(path: path, tensor: name, detail: "negative dimension in shape \(describeShape(shape))")
            }
            guard offsets.count == 2 else {
                throw SafetensorsError.invalidEntry(path: path, tensor: name, detail: "data_offsets must be [begin, end], got \(offsets)")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= begin else {
                throw SafetensorsError.invalidEntry(path: path, tensor: name, detail: "data_offsets [\(begin), \(end)] are not 0 <= begin <= end")
            }
            guard let count = checkedCount(shape), case let (need, o) = count.multipliedReportingOverflow(by: dtype.size), !o,
                  need == end - begin else {
                let count = checkedCount(shape)
                let need = count.map { $0.multipliedReportingOverflow(by: dtype.size) }
                throw SafetensorsError.sizeMismatch(path: path, tensor: name, shape: shape, dtype: dtype.rawValue,
                                                    expectedBytes: (need?.overflow ?? true) ? Int.max : need!.partialValue,
                                                    spanBytes: end - begin)
            }
            if begin > bufferSize {
                throw SafetensorsError.offsetsOutOfBounds(path: path, tensor: name, begin: begin, end: end, bufferSize: bufferSize)
            }
            placed.append(Placed(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
        }

        // Layout checks: sorted by position, the tensors must tile 0..<bufferSize exactly.
        placed.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        var previous: String? = nil
        for p in placed {
            if p.begin < cursor, let prev = previous {
                throw SafetensorsError.overlappingTensors(path: path, first: prev, second: p.name)
            }
            if p.begin > cursor {
                throw SafetensorsError.uncoveredBytes(path: path, begin: cursor, end: min(p.begin, bufferSize))
            }
            cursor = p.end
            previous = p.name
        }
        if cursor > bufferSize {
            throw SafetensorsError.truncatedData(path: path, expectedBytes: cursor, availableBytes: bufferSize)
        }
        if cursor < bufferSize {
            throw SafetensorsError.uncoveredBytes(path: path, begin: cursor, end: bufferSize)
        }

        var tensors: [String: SafetensorsEntry] = [:]
        tensors.reserveCapacity(placed.count)
        for p in placed {
            let bytes = [UInt8](data[(bufferStart + p.begin)..<(bufferStart + p.end)])
            tensors[p.name] = SafetensorsEntry(unchecked: p.name, p.dtype, p.shape, bytes, path: path)
        }
        var file = SafetensorsFile(tensors: [], metadata: header.metadata ?? [:])
        file.tensors = tensors
        file.names = placed.map(\.name)
        file.path = path
        return file
    }

    // MARK: Writing

    /// Writes F32 tensors (PyTorch layout, row-major) atomically.
    public static func write(_ tensors: [(name: String, shape: [Int], values: [Float])],
                             metadata: [String: String] = [:], to url: URL) throws {
        let entries = try tensors.map { try SafetensorsEntry(name: $0.name, shape: $0.shape, floats: $0.values) }
        try write(entries: entries, metadata: metadata, to: url)
    }

    /// Writes entries of any dtype atomically: header keys `__metadata__` first (omitted when
    /// empty) then tensor names in UTF-8 byte order, padded with spaces to a multiple of 8;
    /// tensor data in the same order.
    public static func write(entries: [SafetensorsEntry], metadata: [String: String] = [:], to url: URL) throws {
        let data = try serialize(entries: entries, metadata: metadata)
        try atomicWrite(data, to: url)
    }

    /// Writes this file's tensors and metadata atomically.
    public func write(to url: URL) throws {
        try Self.write(entries: names.compactMap { tensors[$0] }, metadata: metadata, to: url)
    }

    /// The bytes of a safetensors file holding `entries`.
    public static func serialize(entries: [SafetensorsEntry], metadata: [String: String] = [:]) throws -> [UInt8] {
        var seen = Set<String>()
        for e in entries {
            if e.name == "__metadata__" { throw SafetensorsError.invalidTensor(name: e.name, detail: "reserved name") }
            if !seen.insert(e.name).inserted { throw SafetensorsError.invalidTensor(name: e.name, detail: "duplicate name") }
        }
        let sorted = entries.sorted { utf8Less($0.name, $1.name) }
        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += jsonStringLiteral("__metadata__") + ":{"
            json += metadata.keys.sorted(by: utf8Less).map { jsonStringLiteral($0) + ":" + jsonStringLiteral(metadata[$0]!) }.joined(separator: ",")
            json += "}"
            first = false
        }
        var offset = 0
        for e in sorted {
            if !first { json += "," }
            first = false
            let end = offset + e.bytes.count
            json += jsonStringLiteral(e.name) + ":{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":["
                + e.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for e in sorted { out.append(contentsOf: e.bytes) }
        return out
    }
}

// MARK: - Helpers

/// Writes `bytes` atomically (see `AtomicFile`), reporting failures as safetensors I/O errors.
func atomicWrite(_ bytes: [UInt8], to url: URL) throws {
    do { try AtomicFile.write(bytes, to: url.path) } catch let error as FileError {
        throw SafetensorsError.io(path: url.path, detail: error.message)
    }
}

private func utf8Less(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

private func checkedCount(_ shape: [Int]) -> Int? {
    var n = 1
    for d in shape {
        let (m, o) = n.multipliedReportingOverflow(by: d)
        if o { return nil }
        n = m
    }
    return n
}

/// IEEE 754 binary16 → Float (exact; handles subnormals, infinities and NaN).
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exp = Int((h >> 10) & 0x1F)
    let frac = UInt32(h & 0x3FF)
    if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (frac << 13)) }
    if exp == 0 {
        let magnitude = Float(frac) * 0x1p-24
        return sign != 0 ? -magnitude : magnitude
    }
    return Float(bitPattern: sign | (UInt32(exp - 15 + 127) << 23) | (frac << 13))
}


private func explain(_ error: DecodingError) -> String {
    func at(_ path: [CodingKey]) -> String {
        if path.isEmpty { return "top level" }
        var out = ""
        for key in path {
            if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out
    }
    switch error {
    case let .dataCorrupted(ctx):
        if ctx.codingPath.isEmpty {
            let underlying = ctx.underlyingError.map { ": \($0)" } ?? ""
            return "not valid JSON (\(ctx.debugDescription)\(underlying))"
        }
        return "at \(at(ctx.codingPath)): \(ctx.debugDescription)"
    case let .typeMismatch(type, ctx):
        if ctx.codingPath.isEmpty { return "not a JSON object" }
        return "at \(at(ctx.codingPath)): expected \(type) (\(ctx.debugDescription))"
    case let .valueNotFound(type, ctx):
        return "at \(at(ctx.codingPath)): expected \(type), found null"
    case let .keyNotFound(key, ctx):
        return "at \(at(ctx.codingPath)): missing \(key.stringValue)"
    @unknown default:
        return "\(error)"
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private struct RawTensor: Decodable {
    var dtype: String?
    var shape: [Int]?
    var data_offsets: [Int]?
}

private struct RawHeader: Decodable {
    var metadata: [String: String]?
    var tensors: [(String, RawTensor)] = []

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        for key in c.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try c.decode([String: String].self, forKey: key)
            } else {
                tensors.append((key.stringValue, try c.decode(RawTensor.self, forKey: key)))
            }
        }
    }
}
