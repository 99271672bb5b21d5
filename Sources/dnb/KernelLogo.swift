import DNBPlot
import DNBSupport
import Foundation

/// The kernelspec's logos, drawn when `dnb kernel install` runs: a ring, dnb's stand-in for a digit,
/// emerging from noise from left to right (what diffusion does), in viridis.
enum KernelLogo {
    static func png(size: Int) throws -> [UInt8] {
        // A fixed seed: the same logo at every install.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var pixels = [Float](repeating: 0, count: size * size)
        for y in 0..<size {
            for x in 0..<size {
                let dx = (Double(x) + 0.5) / Double(size) - 0.5, dy = (Double(y) + 0.5) / Double(size) - 0.5
                let ring = exp(-pow((sqrt(dx * dx + dy * dy) - 0.3) / 0.08, 2))
                let clean = (Double(x) + 0.5) / Double(size)
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let noise = Double(state >> 11) / Double(1 << 53)
                pixels[y * size + x] = Float(clean * ring + (1 - clean) * noise)
            }
        }
        let path = NSTemporaryDirectory() + "dnb-logo-\(getpid())-\(size).png"
        defer { unlink(path) }
        try imsave(path, try GrayImage(width: size, height: size, pixels: pixels), cmap: .viridis)
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError("read", path, errno: errno) }
        return Array(data)
    }
}
