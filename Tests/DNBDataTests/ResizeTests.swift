import Foundation
import Testing
import DNBEngine
@testable import DNBData

@Suite struct ResizeTests {
    static func inputs() throws -> IDXArray {
        try IDX.parse(Fixture.bytes("resize_in.idx3"), name: "resize_in.idx3", expectedMagic: IDX.imagesMagic)
    }

    /// PIL's bilinear (torchvision Resize on a PIL "L" image) reproduced bit for bit.
    @Test(arguments: [(32, 32), (16, 16), (24, 40), (10, 20)])
    func pilBilinearIsBitExact(size: (Int, Int)) throws {
        let (h, w) = size
        let input = try Self.inputs()
        let expected = try IDX.parse(Fixture.bytes("resize_pil_\(h)x\(w).idx3"), name: "expected", expectedMagic: IDX.imagesMagic)
        #expect(expected.dims == [input.dims[0], h, w])
        let r = try PILBilinearResizer(inputHeight: 28, inputWidth: 28, outputHeight: h, outputWidth: w)
        var mismatches = 0
        for i in 0..<input.dims[0] {
            let got = try r.resize(input.bytes[(i * 784)..<((i + 1) * 784)])
            let want = Array(expected.bytes[(i * h * w)..<((i + 1) * h * w)])
            mismatches += zip(got, want).filter { $0 != $1 }.count
        }
        #expect(mismatches == 0)
        #expect(r.verticalFirst == (h < 28 && w > h))
    }

    /// Resize + ToTensor: the float32 values torchvision produces, bit for bit.
    @Test func tutorialPreprocessingMatchesTorchvisionFloats() throws {
        let input = try Self.inputs()
        let n = input.dims[0]
        let ds = try ImageDataset(name: "fixture", height: 28, width: 28, pixels: input.bytes, labels: [UInt8](repeating: 0, count: n))
        let prepared = try PreparedDataset(ds, DNBData.tutorialPreprocessing)
        let t = prepared.images(Array(0..<n))
        #expect(t.shape == [n, 32, 32, 1])
        let ref = try Fixture.bytes("resize_pil_32x32.f32")
        let want: [UInt32] = ref.withUnsafeBytes { raw in (0..<(n * 1024)).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) } }
        let got = t.scalars.map(\.bitPattern)
        #expect(got == want)
        // The cached form is uint8 at 32×32.
        #expect(prepared.bytes(0)?.count == 1024)
    }

    @Test func minusOneToOneRange() throws {
        let ds = try ImageDataset(name: "x", height: 2, width: 2, pixels: [0, 255, 128, 51], labels: [0])
        let p = try PreparedDataset(ds, Preprocessing(height: 2, width: 2, range: .minusOneToOne))
        let v = p.images([0]).scalars
        #expect(v[0] == -1 && v[1] == 1)
        #expect(v[2] == (Float(128) / 255 - 0.5) / 0.5)
        let q = try PreparedDataset(ds, Preprocessing(height: 2, width: 2))
        #expect(q.images([0]).scalars == [0, 1, Float(128) / 255, Float(51) / 255])
    }

    @Test func floatBilinearUsesTheEngine() throws {
        let ds = try SyntheticDigits.make(count: 3, seed: 5)
        let p = try PreparedDataset(ds, Preprocessing(size: 32, resize: .floatBilinear))
        let x = Tensor(uninitialized: [3, 28, 28, 1])
        for i in 0..<(3 * 784) { x.data[i] = Float(ds.pixels[i]) / 255 }
        let want = try resizeBilinear(x, height: 32, width: 32)
        #expect(p.images([0, 1, 2]).scalars == want.scalars)
        #expect(p.bytes(0) == nil)
        // It differs from PIL's (PIL rounds to bytes after each pass).
        let pil = try PreparedDataset(ds, DNBData.tutorialPreprocessing)
        #expect(pil.images([0]).scalars != p.images([0]).scalars)
    }

    @Test func sameSizeIsIdentity() throws {
        let ds = try SyntheticDigits.make(count: 2, seed: 1)
        let p = try PreparedDataset(ds, Preprocessing(size: 28))
        #expect(Array(p.bytes(1)!) == Array(ds.image(1)))
    }
}
