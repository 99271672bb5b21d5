import Testing
@testable import DNBData

@Suite struct DatasetTests {
    @Test func syntheticDigitsAreSeeded() throws {
        let a = try SyntheticDigits.make(count: 40, seed: 11), b = try SyntheticDigits.make(count: 40, seed: 11)
        let c = try SyntheticDigits.make(count: 40, seed: 12)
        #expect(a == b)
        #expect(a.pixels != c.pixels)
        #expect(a.count == 40 && a.height == 28 && a.pixels.count == 40 * 784)
        #expect(Set(a.labels).count >= 8)                      // most classes show up
        // Digit-like: ink covers a modest part of the image, and the border stays empty.
        for i in 0..<a.count {
            let img = Array(a.image(i))
            let ink = img.filter { $0 > 127 }.count
            #expect(ink > 20 && ink < 400)
            #expect(img[0..<28].allSatisfy { $0 == 0 } && img[(27 * 28)...].allSatisfy { $0 == 0 })
        }
    }

    @Test func subsetByClassKeepsLabelsAndOrder() throws {
        let ds = try SyntheticDigits.make(count: 60, seed: 3)
        let sub = try ds.filter(classes: [3, 7])
        let want = (0..<ds.count).filter { ds.labels[$0] == 3 || ds.labels[$0] == 7 }
        #expect(sub.count == want.count && sub.count > 0)
        #expect(sub.labels == want.map { ds.labels[$0] })
        for (j, i) in want.enumerated() { #expect(sub.image(j) == ds.image(i)) }
        let limited = try ds.filter(classes: [3, 7], limit: 2)
        #expect(limited.count == 2 && limited.labels == Array(sub.labels.prefix(2)))
        #expect(sub.classCounts().keys.sorted() == [3, 7])
    }

    @Test func subsetByCount() throws {
        let ds = try SyntheticDigits.make(count: 10, seed: 3)
        let p = try ds.prefix(4)
        #expect(p.count == 4 && p.labels == Array(ds.labels.prefix(4)) && p.pixels == Array(ds.pixels.prefix(4 * 784)))
        #expect(try ds.prefix(100).count == 10)
        #expect(throws: DataError.self) { try ds.subset(indices: [10]) }
    }
}
