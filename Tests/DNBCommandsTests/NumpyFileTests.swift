import Foundation
import Testing
import DNBTestSupport
@testable import DNBCommands

/// `load tensor` reads .npy files a user hands it: whatever they hold ends in a value or a
/// `NumpyFile.Error`, never a trap.
@Suite struct NumpyFileTests {
    /// A version 1.0 header claiming `shape`, followed by `data` bytes.
    func npy(shape: String, data: Int) -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let n = UInt16(header.utf8.count)
        return Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8) + [UInt8](repeating: 0, count: data))
    }

    /// (2³², 2³², 16, 16): the element count overflows Int; it used to trap in `reduce(1, *)`.
    @Test func hugeShapeIsAnErrorNotAnOverflow() throws {
        let e = #expect(throws: NumpyFile.Error.self) { try NumpyFile.decode(npy(shape: "(4294967296, 4294967296, 16, 16)", data: 64), path: "big.npy") }
        #expect(e?.description == "big.npy: shape [4294967296, 4294967296, 16, 16] needs more than 2⁶³ values of data, the file has 64")
        // Fits in Int, but four bytes each do not.
        let e2 = #expect(throws: NumpyFile.Error.self) { try NumpyFile.decode(npy(shape: "(4611686018427387904,)", data: 8), path: "b.npy") }
        #expect(e2?.description.contains("4611686018427387904 float32 values = more than 2⁶³ bytes") == true)
        let ok = try NumpyFile.decode(npy(shape: "(2, 1)", data: 8), path: "ok.npy")
        #expect(ok.shape == [2, 1] && ok.values == [0, 0])
    }

    /// 3000 seeded mutations of a valid file (`Mutations`); the 10-byte preamble and the header
    /// text are where sizes live. 3000 cases take well under a second in a debug build.
    @Test func fuzz() throws {
        let valid = [UInt8](NumpyFile.encode(shape: [2, 3, 4], values: (0..<24).map(Float.init)))
        var m = Mutations(seed: 5)
        var values = 0, errors = 0
        for _ in 0..<3000 {
            do { _ = try NumpyFile.decode(Data(m.mutate(valid, header: 128)), path: "f.npy"); values += 1 } catch is NumpyFile.Error {
                errors += 1
            }
        }
        #expect(values + errors == 3000 && errors > 2000)
    }
}
