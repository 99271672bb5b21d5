import DNBSupport
import Foundation
import Testing
import DNBTestSupport
@testable import DNBData

@Suite(.enabled(if: realMNISTDirectory != nil, "real MNIST not found ($DNB_DATA or ../shared/data/mnist beside the repository); skipped"))
struct RealMNISTTests {
    @Test func loadsAndVerifiesBothSplits() throws {
        let located = try DataLocator(explicitDirectory: try #require(realMNISTDirectory), allowFetch: false).locateMNIST()
        let test = try located.load(.test)
        #expect(test.count == 10000)
        let counts = test.classCounts()
        #expect((0...9).map { counts[$0] ?? 0 } == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        let train = try located.load(.train)
        #expect(train.count == 60000 && train.classCounts()[1] == 6742)
    }

    /// The whole test split through the tutorial's Resize((32, 32)): MD5 of PIL's output computed in Python.
    @Test func pilResizeOfTheTestSplitMatchesPython() throws {
        let test = try ImageDataset.load(.mnist, split: .test, directory: try #require(realMNISTDirectory))
        let prepared = try PreparedDataset(test, DNBData.tutorialPreprocessing)
        var all = [UInt8]()
        all.reserveCapacity(10000 * 1024)
        for i in 0..<prepared.count { all.append(contentsOf: prepared.bytes(i)!) }
        #expect(Digest.md5Hex(all) == "2232de72c30a77419ff38de1d6425c0f")
    }
}
