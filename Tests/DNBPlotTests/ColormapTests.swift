import Testing
@testable import DNBPlot

/// Lookup tables against matplotlib 3.11's `cmap(np.arange(256), bytes=True)`.
@Suite struct ColormapTests {
    @Test func greysMatchesMatplotlib() {
        let expected: [(Int, UInt32)] = [(0, 255), (1, 254), (32, 239), (64, 216), (100, 183),
                                         (128, 149), (192, 80), (254, 1), (255, 0)]
        for (index, level) in expected {
            #expect(ColormapTables.greys[index] == level << 16 | level << 8 | level, "Greys[\(index)]")
        }
    }

    @Test func grayMatchesMatplotlibIncludingTruncation() {
        // matplotlib truncates lut * 255, which repeats 121 at index 122.
        let expected: [(Int, UInt32)] = [(0, 0), (1, 1), (64, 64), (121, 121), (122, 121), (128, 128), (255, 255)]
        for (index, level) in expected {
            #expect(ColormapTables.gray[index] == level << 16 | level << 8 | level, "gray[\(index)]")
        }
    }

    /// Σ (i + 1) · level over all 256 entries, from matplotlib's tables: one
    /// number that changes if any single entry is off by one.
    @Test func wholeGreyTablesMatchMatplotlib() {
        func checksum(_ table: [UInt32]) -> Int {
            table.enumerated().reduce(0) { $0 + ($1.offset + 1) * Int($1.element & 0xff) }
        }
        #expect(checksum(ColormapTables.greys) == 3_281_893)
        #expect(checksum(ColormapTables.gray) == 5_589_664)
        #expect(ColormapTables.greys.allSatisfy { $0 >> 16 == $0 & 0xff })
    }

    @Test func viridisEndpointsAndMiddle() {
        #expect(ColormapTables.viridis.count == 256)
        #expect(ColormapTables.viridis[0] == 0x440154)
        #expect(ColormapTables.viridis[128] == 0x20908c)
        #expect(ColormapTables.viridis[255] == 0xfde724)
    }

    @Test func normalisedValuesIndexLikeMatplotlib() {
        #expect(Colormap.greys.rgb(normalized: 0) == 0xffffff)
        #expect(Colormap.greys.rgb(normalized: 1) == 0x000000)
        #expect(Colormap.greys.rgb(normalized: 0.5) == 0x959595)  // Int(0.5 * 256) = 128
        #expect(Colormap.greys.rgb(normalized: -3) == 0xffffff)
        #expect(Colormap.greys.rgb(normalized: .infinity) == 0x000000)
        #expect(Colormap.gray.rgb(normalized: .nan) == nil)
    }
}
