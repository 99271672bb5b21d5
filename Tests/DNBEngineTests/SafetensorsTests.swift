import Foundation
import Testing
import DNBTestSupport
@testable import DNBEngine

/// The safetensors reader/writer: round trips, files written by the Python `safetensors`
/// library (the fixtures from tools/make_engine_fixtures.py), and every malformed-file error.
struct SafetensorsTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    // MARK: Round trips

    @Test func roundTripF32() throws {
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("a.safetensors")
        let w = (0..<24).map { Float($0) * 0.37 - 3 }
        let tensors: [(name: String, shape: [Int], values: [Float])] = [
            ("weight", [2, 3, 4], w),
            ("bias", [3], [1, -0.0, .infinity]),
            ("scalar", [], [42.5]),
            ("empty", [0, 5], []),
            ("tiny", [1], [Float.leastNonzeroMagnitude]),
        ]
        try SafetensorsFile.write(tensors, metadata: [:], to: url)
        let f = try SafetensorsFile.read(url)
        #expect(f.metadata.isEmpty)
        #expect(f.names == ["bias", "empty", "scalar", "tiny", "weight"])
        for t in tensors {
            let e = try f.entry(t.name)
            #expect(e.dtype == .f32)
            #expect(e.shape == t.shape)
            #expect(try e.floats().map(\.bitPattern) == t.values.map(\.bitPattern))
        }
        #expect(try f.entry("bias").floats()[1].sign == .minus)
        // Nothing but the file itself is left in the directory (the temp file was renamed).
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.safetensors"])
    }

    @Test func roundTripMetadataAndOtherDTypes() throws {
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("m.safetensors")
        let metadata = ["format": "pt", "note": "quotes \" backslash \\ newline \n tab \t é ✓", "": "empty key", "step": "1200"]
        let entries = [
            try SafetensorsEntry(name: "labels", shape: [2, 2], int64: [0, -1, 9, Int64.max]),
            try SafetensorsEntry(name: "pixels", shape: [3], uint8: [0, 128, 255]),
            try SafetensorsEntry(name: "x", shape: [2], floats: [0.5, -1]),
            try SafetensorsEntry(name: "raw", dtype: .i32, shape: [1], bytes: [1, 0, 0, 0x80]),
        ]
        try SafetensorsFile.write(entries: entries, metadata: metadata, to: url)
        let f = try SafetensorsFile.read(url)
        #expect(f.metadata == metadata)
        #expect(try f.entry("labels").int64s() == [0, -1, 9, Int64.max])
        #expect(try f.entry("labels").dtype == .i64)
        #expect(try f.entry("pixels").bytes == [0, 128, 255])
        #expect(try f.floats("pixels") == [0, 128, 255])
        #expect(try f.floats("x") == [0.5, -1])
        #expect(try f.entry("raw").int64s() == [Int64(Int32.min) + 1])
        #expect(throws: SafetensorsError.self) { try f.entry("x").int64s() }

        // Rewriting a file read back gives identical bytes.
        let again = dir.url.appendingPathComponent("again.safetensors")
        try f.write(to: again)
        #expect(try Data(contentsOf: again) == Data(contentsOf: url))

        // Overwriting an existing file replaces it.
        try SafetensorsFile.write([("only", [1], [7])], metadata: ["k": "v"], to: url)
        let g = try SafetensorsFile.read(url)
        #expect(g.names == ["only"])
        #expect(g.metadata == ["k": "v"])
    }

    /// For F32 tensors our bytes equal the reference implementation's. Expected bytes from:
    ///   safetensors.torch.save({'b': torch.tensor([1., 2.]), 'a': torch.tensor([[0.5], [-1.]])},
    ///                          metadata={'k': 'v "q" \\ é'})
    @Test func headerLayoutMatchesReferenceImplementation() throws {
        let bytes = try SafetensorsFile.serialize(entries: [
            SafetensorsEntry(name: "b", shape: [2], floats: [1, 2]),
            SafetensorsEntry(name: "a", shape: [2, 1], floats: [0.5, -1]),
        ], metadata: ["k": "v \"q\" \\ é"])
        let header = #"{"__metadata__":{"k":"v \"q\" \\ é"},"a":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}     "#
        var expected: [UInt8] = [152, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8)
        expected += [0x00, 0x00, 0x00, 0x3F, 0x00, 0x00, 0x80, 0xBF, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40]
        #expect(Array(header.utf8).count == 152)
        #expect(bytes == expected)
    }

    @Test func writerRejectsBadInput() throws {
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("bad.safetensors")
        #expect(throws: SafetensorsError.self) { try SafetensorsFile.write([("a", [2, 2], [1, 2, 3])], to: url) }
        #expect(throws: SafetensorsError.self) { try SafetensorsFile.write([("a", [1], [1]), ("a", [1], [2])], to: url) }
        #expect(throws: SafetensorsError.self) { try SafetensorsFile.write([("__metadata__", [1], [1])], to: url) }
        #expect(throws: SafetensorsError.self) { try SafetensorsEntry(name: "r", dtype: .f16, shape: [3], bytes: [0, 0]) }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        let error = #expect(throws: SafetensorsError.self) {
            try SafetensorsFile.write([("a", [1], [1])], to: dir.url.appendingPathComponent("no/such/dir/x.safetensors"))
        }
        #expect(String(describing: error!).contains("no/such/dir/x.safetensors"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    // MARK: Files written by the Python library

    /// Every fixture parses, carries its generator's metadata (the engine's script, or the classifier ops'), and its tensors cover the file.
    @Test func readsAllPythonFixtures() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path)
            .filter { $0.hasSuffix(".safetensors") }
        #expect(names.count >= 19)
        for name in names {
            let f = try SafetensorsFile.read(Self.fixtures.appendingPathComponent(name))
            #expect(["tools/make_engine_fixtures.py", "tools/make_classifier_fixtures.py"].contains(f.metadata["generator"] ?? ""), "\(name)")
            #expect(f.metadata["torch"]?.hasPrefix("2.") == true, "\(name)")
            #expect(!f.names.isEmpty, "\(name)")
            for n in f.names { _ = try f.floats(n) }
        }
    }

    /// linear.safetensors was made by
    ///   torch.manual_seed(301); x = torch.randn(3, 4, 7); weight = torch.randn(5, 7) * 0.4; bias = torch.randn(5)
    ///   y = F.linear(x, weight, bias)
    /// Recomputing y = x · weightᵀ + bias from what we read checks the row-major interpretation.
    @Test func pythonLinearFixtureIsConsistent() throws {
        let f = try SafetensorsFile.read(Self.fixtures.appendingPathComponent("linear.safetensors"))
        #expect(f.metadata["in_features"] == "7" && f.metadata["out_features"] == "5")
        let x = try f.entry("x"), w = try f.entry("weight"), b = try f.entry("bias"), y = try f.entry("y")
        #expect(x.shape == [3, 4, 7] && w.shape == [5, 7] && b.shape == [5] && y.shape == [3, 4, 5])
        let xs = try x.floats(), ws = try w.floats(), bs = try b.floats(), ys = try y.floats()
        for row in 0..<12 {
            for o in 0..<5 {
                var s = bs[o]
                for i in 0..<7 { s += xs[row * 7 + i] * ws[o * 7 + i] }
                #expect(abs(s - ys[row * 5 + o]) < 1e-5)
            }
        }
    }

    /// Non-F32 dtypes written by the library, checked against PyTorch's own `t.float()`
    /// (safetensors_dtypes.safetensors; see tools/make_engine_fixtures.py, make_dtypes).
    @Test func pythonDTypesConvertLikePyTorch() throws {
        let f = try SafetensorsFile.read(Self.fixtures.appendingPathComponent("safetensors_dtypes.safetensors"))
        let expected: [String: SafetensorsDType] = [
            "f64": .f64, "f16": .f16, "bf16": .bf16, "i64": .i64, "i32": .i32, "u8": .u8, "bool": .bool,
        ]
        for (name, dtype) in expected {
            let e = try f.entry(name)
            #expect(e.dtype == dtype, "\(name)")
            #expect(e.bytes.count == e.count * dtype.size)
            let reference = try f.entry(name + "_as_f32")
            #expect(reference.dtype == .f32 && reference.shape == e.shape)
            #expect(try e.floats().map(\.bitPattern) == reference.floats().map(\.bitPattern), "\(name)")
        }
        #expect(try f.entry("u8").shape == [2, 2])
        #expect(try f.entry("i64").int64s() == [-3, 0, 7, 1 << 40])
        #expect(try f.entry("i32").int64s() == [-3, 0, 7, Int64(Int32.max)])
        #expect(try f.entry("bool").int64s() == [1, 0, 1])
    }

    /// timestep_embedding.safetensors stores the int64 timesteps as I64, and
    /// get_timestep_embedding(t, 32, flip_sin_to_cos=True, downscale_freq_shift=0) at t = 0 is [cos 0…, sin 0…].
    @Test func pythonIntegerAndScalarTensors() throws {
        let f = try SafetensorsFile.read(Self.fixtures.appendingPathComponent("timestep_embedding.safetensors"))
        #expect(try f.entry("timesteps").dtype == .i64)
        #expect(try f.entry("timesteps").int64s() == [0, 1, 10, 250, 500, 999])
        let emb = try f.entry("emb32")
        #expect(emb.shape == [6, 32])
        #expect(Array(try emb.floats()[0..<32]) == Array(repeating: 1, count: 16) + Array(repeating: 0, count: 16))

        let mse = try SafetensorsFile.read(Self.fixtures.appendingPathComponent("mse.safetensors"))
        #expect(try mse.entry("y").shape == [])
        #expect(try mse.floats("gy") == [0.75])

        let resize = try SafetensorsFile.read(Self.fixtures.appendingPathComponent("resize.safetensors"))
        let u8 = try resize.entry("digit_u8"), fl = try resize.entry("digit_float")
        #expect(u8.dtype == .u8 && u8.shape == [32, 32] && fl.shape == [1, 32, 32])
        #expect(try fl.floats().map { UInt8(($0 * 255).rounded()) } == u8.bytes)
    }

    @Test func missingTensorNamesFile() throws {
        let f = try SafetensorsFile.read(Self.fixtures.appendingPathComponent("bmm.safetensors"))
        let error = #expect(throws: SafetensorsError.self) { try f.entry("nope") }
        #expect(String(describing: error!).contains("bmm.safetensors"))
        #expect(String(describing: error!).contains("nope"))
    }

    // MARK: Malformed files

    /// 8-byte length prefix + header text (not padded) + data.
    func rawFile(_ header: String, _ data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + data
    }

    /// Writes `bytes` to a temp file, reads it, and returns the error (which must name the file).
    func readError(_ bytes: [UInt8], _ label: String) throws -> SafetensorsError? {
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("\(label).safetensors")
        try Data(bytes).write(to: url)
        do {
            _ = try SafetensorsFile.read(url)
            Issue.record("\(label): expected an error")
            return nil
        } catch let error as SafetensorsError {
            #expect(error.description.contains(url.path), "\(label): \(error)")
            return error
        }
    }

    let eight: [UInt8] = [0, 0, 128, 63, 0, 0, 0, 64]   // two F32: 1, 2

    @Test func fileTooShort() throws {
        guard case .fileTooShort(_, 0)? = try readError([], "empty") else { Issue.record("empty"); return }
        guard case .fileTooShort(_, let size)? = try readError([1, 0, 0, 0, 0], "five") else { Issue.record("five"); return }
        #expect(size == 5)
    }

    @Test func absurdHeaderLength() throws {
        var bytes = rawFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, eight)
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(bytes.count).littleEndian, Array.init))
        guard case .headerLength? = try readError(bytes, "longer-than-file") else { Issue.record("longer-than-file"); return }
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(200_000_000).littleEndian, Array.init))
        guard case .headerLength? = try readError(bytes, "over-100MB") else { Issue.record("over-100MB"); return }
        bytes.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        guard case .headerLength? = try readError(bytes, "u64-max") else { Issue.record("u64-max"); return }
    }

    @Test func invalidJSON() throws {
        for (label, header) in [
            ("truncated-json", #"{"a":{"dtype":"F32","shape":[2],"#),
            ("not-object", "[1, 2, 3]"),
            ("empty-header", ""),
            ("shape-not-ints", #"{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}"#),
            ("fractional-offset", #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,7.5]}}"#),
            ("metadata-not-strings", #"{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#),
        ] {
            guard case .invalidHeader? = try readError(rawFile(header, eight), label) else { Issue.record("\(label)"); continue }
        }
        let badUTF8 = withUnsafeBytes(of: UInt64(4).littleEndian, Array.init) + [0x7B, 0xFF, 0xFE, 0x7D] + eight
        guard case .invalidHeader(_, let detail)? = try readError(badUTF8, "bad-utf8") else { Issue.record("bad-utf8"); return }
        #expect(detail.contains("UTF-8"))
    }

    @Test func missingAndUnknownDType() throws {
        guard case .missingField(_, "a", "dtype")? = try readError(
            rawFile(#"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, eight), "no-dtype") else { Issue.record("no-dtype"); return }
        guard case .missingField(_, "a", "shape")? = try readError(
            rawFile(#"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#, eight), "no-shape") else { Issue.record("no-shape"); return }
        guard case .missingField(_, "a", "data_offsets")? = try readError(
            rawFile(#"{"a":{"dtype":"F32","shape":[2]}}"#, eight), "no-offsets") else { Issue.record("no-offsets"); return }
        let error = try readError(rawFile(#"{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}"#, eight), "unknown-dtype")
        guard case .unknownDType(_, "a", "Q4")? = error else { Issue.record("unknown-dtype"); return }
        #expect(error!.description.contains("\"Q4\""))
    }

    @Test func shapeDoesNotMatchSpan() throws {
        let error = try readError(rawFile(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, eight), "span")
        guard case .sizeMismatch(_, "a", [3], "F32", 12, 8)? = error else { Issue.record("span: \(String(describing: error))"); return }
        guard case .sizeMismatch? = try readError(
            rawFile(#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}"#, eight), "dtype-size") else { Issue.record("dtype-size"); return }
        guard case .invalidEntry? = try readError(
            rawFile(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, eight), "negative-dim") else { Issue.record("negative-dim"); return }
        guard case .invalidEntry? = try readError(
            rawFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, eight), "reversed-offsets") else { Issue.record("reversed"); return }
        guard case .invalidEntry? = try readError(
            rawFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,16]}}"#, eight), "three-offsets") else { Issue.record("three"); return }
    }

    @Test func offsetsOutsideOverlappingOrNotCovering() throws {
        let outside = try readError(rawFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}"#, eight), "outside")
        guard case .offsetsOutOfBounds(_, "a", 16, 24, 8)? = outside else { Issue.record("outside: \(String(describing: outside))"); return }

        let twelve = eight + [0, 0, 64, 64]
        let overlap = try readError(rawFile(
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, twelve), "overlap")
        guard case .overlappingTensors(_, "a", "b")? = overlap else { Issue.record("overlap: \(String(describing: overlap))"); return }

        let gap = try readError(rawFile(
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, twelve), "gap")
        guard case .uncoveredBytes(_, 4, 8)? = gap else { Issue.record("gap: \(String(describing: gap))"); return }

        let trailing = try readError(rawFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, twelve), "trailing")
        guard case .uncoveredBytes(_, 8, 12)? = trailing else { Issue.record("trailing: \(String(describing: trailing))"); return }
    }

    @Test func truncatedData() throws {
        // A valid file written by the Python library, cut short.
        let whole = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("softmax.safetensors")))
        let error = try readError(Array(whole.dropLast(3)), "truncated")
        guard case .truncatedData(_, let expected, let available)? = error else { Issue.record("truncated: \(String(describing: error))"); return }
        #expect(expected == available + 3)
        #expect(error!.description.contains("truncated"))
    }
}
