import Testing
import DNBEngine
@testable import DNBDiffusion

/// UNet2DModel's fused no-grad forward against its recorded forward (the same model with gradients
/// on: every op recorded, every add a pass of its own), on tiny configs that reach every branch:
/// attention down/mid/up blocks, 1×1 shortcuts on concatenations whose group-norm groups straddle
/// the two halves, identity shortcuts, mid_block_scale_factor ≠ 1 (the rescale), class embeddings,
/// center_input_sample, head sizes inside and outside the fused attention kernel, odd batch sizes.
///
/// Tolerance: the fused path gives the same floats as the recorded one (both take `Engine.winogradTile`;
/// InferenceOpsTests checks each op for equality), measured 0 on every config below; the bound, largest
/// |fused − recorded| over the largest |recorded|, is 1e-5, what a forward with F(4,3) on one side and
/// F(2,3) on the other differs by (measured ≤ 2.1e-6), in case OpenBLAS blocks the linears' GEMMs of the
/// two paths differently. A dropped or doubled time embedding, shortcut, residual, skip or bias errs by O(0.1).
struct InferencePathTests {
    func compare(_ config: UNet2DConfig, batch: Int, classLabels: [Int]? = nil, label: String) throws {
        let model = try UNet2DModel(config: config, seed: 5)
        var rng = RandomGenerator(seed: 9)
        let size = config.sampleSize ?? 8
        let x = rng.normalTensor([batch, size, size, config.inChannels])
        let t: [Float] = (0..<batch).map { Float(17 + 101 * $0) }
        let recorded = try model(x, timesteps: t, classLabels: classLabels)
        #expect(recorded.isRecorded, "\(label): the reference must be the recorded path")
        let fused = try withNoGrad { try model(x, timesteps: t, classLabels: classLabels) }
        #expect(!fused.isRecorded)
        #expect(fused.shape == recorded.shape)
        var maxDiff: Float = 0, maxRef: Float = 0
        for i in 0..<fused.count {
            maxDiff = max(maxDiff, abs(fused.data[i] - recorded.data[i]))
            maxRef = max(maxRef, abs(recorded.data[i]))
        }
        #expect(maxRef > 0.01, "\(label): a vanishing output would compare anything")
        #expect(maxDiff / maxRef < 1e-5, "\(label): relative error \(maxDiff / maxRef)")
    }

    @Test func attentionBlocksAndStraddlingGroups() throws {
        // The first up block normalises [previous | skip] = 12 + 12 channels in 3 groups of 8: the middle group straddles them.
        var c = UNet2DConfig.tiny8
        c.blockOutChannels = [6, 12]
        c.normNumGroups = 3
        c.attentionHeadDim = 4
        c.downBlockTypes = ["DownBlock2D", "AttnDownBlock2D"]
        c.upBlockTypes = ["AttnUpBlock2D", "UpBlock2D"]
        try compare(c, batch: 3, label: "attention, 3 groups")
        c.layersPerBlock = 2
        c.sampleSize = 6
        c.attentionHeadDim = 12  // one head of 12: the sgemm attention path
        try compare(c, batch: 1, label: "two layers, 6×6, one head of 12")
    }

    @Test func midScaleClassesAndCentering() throws {
        var c = UNet2DConfig.tiny8
        c.blockOutChannels = [8, 16, 16]
        c.downBlockTypes = ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"]
        c.upBlockTypes = ["AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"]
        c.midBlockScaleFactor = 1.5
        c.centerInputSample = true
        c.numClassEmbeds = 4
        c.attentionHeadDim = 8
        try compare(c, batch: 2, classLabels: [3, 0], label: "mid scale 1.5, classes, centered")
    }

    /// A batch above `inferenceChunkRows` goes through in chunks (16 + 16 + 5 here), each image with its own
    /// timestep and class label: an image placed at the wrong offset, or given another image's timestep or
    /// label, errs by O(0.1) against the recorded forward of the whole batch.
    @Test func batchesAboveAChunk() throws {
        var c = UNet2DConfig.tiny8
        c.numClassEmbeds = 4
        let batch = 2 * UNet2DModel.inferenceChunkRows + 5
        try compare(c, batch: batch, classLabels: (0..<batch).map { $0 / 3 % 4 }, label: "\(batch) images in chunks")
        let model = try UNet2DModel(config: c, seed: 5)
        let x = Tensor(shape: [batch, 8, 8, 1], repeating: 0)
        // Labels for fewer images than given are refused, also when they would fill each chunk exactly.
        let two = Tensor(shape: [2 * UNet2DModel.inferenceChunkRows, 8, 8, 1], repeating: 0)
        for (images, labels) in [(x, [0, 1]), (two, Array(repeating: 0, count: UNet2DModel.inferenceChunkRows))] {
            let error = #expect(throws: ModelError.self) { try withNoGrad { try model(images, timesteps: [1], classLabels: labels) } }
            #expect(String(describing: error!).contains("one class label per image"), "\(error!)")
        }
    }

    @Test func noAttention() throws {
        var c = UNet2DConfig.tiny8
        c.addAttention = false
        try compare(c, batch: 2, label: "tiny8 without attention")
    }
}
