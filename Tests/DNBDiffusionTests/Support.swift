@testable import DNBDiffusion

extension UNet2DConfig {
    /// An 8×8 UNet with (8, 8) channels, one layer per block and 4 groups: a training step takes milliseconds
    /// in a debug build.
    static var tiny8: UNet2DConfig {
        var config = UNet2DConfig.tutorial
        config.sampleSize = 8
        config.blockOutChannels = [8, 8]
        config.downBlockTypes = ["DownBlock2D", "DownBlock2D"]
        config.upBlockTypes = ["UpBlock2D", "UpBlock2D"]
        config.layersPerBlock = 1
        config.normNumGroups = 4
        return config
    }
}
