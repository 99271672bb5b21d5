import Foundation
import DNBEngine
import DNBDiffusion
import DNBPlot
import DNBLanguage

/// `denoise`: the tutorial's do_inference — noise test images at random timesteps and denoise them.
enum DenoiseCommand {
    static func specs(_ ws: Workspace) -> [CommandSpec] {
        [CommandSpec("denoise", summary: "Noise test images at random timesteps, then denoise them with n steps", help: """
            Takes `n` random test images, adds noise at a random timestep each (scheduler.add_noise), and runs \
            the scheduler's reverse process for `steps` steps from the noisy images, as the tutorial's \
            do_inference. The figure has rows Clean, Noisy and Denoised. `scheduler timesteps` explains why \
            very few steps can change the digit.
            """, arguments: [
                ArgumentSpec("steps", .int, default: .int(1), bounds: [.atLeast(1)], help: "inference steps (at most num_train_timesteps)"),
                ArgumentSpec("n", .int, default: .int(8), bounds: [.atLeast(1)], help: "how many test images (the tutorial's batch_size)"),
                ArgumentSpec("split", .string, default: .string("test"), allowed: [.string("test"), .string("train")], help: "where the clean images come from"),
            ] + SampleCommands.common, result: ResultSpec([
                ResultField("mse", .float, help: "mean squared error of the denoised images to the clean ones"),
                ResultField("timesteps", .list(.int), help: "the timestep each image was noised at"),
                Results.tensor, Results.shape, Results.figure,
            ]), prerequisite: {
                _ = try ws.requireModel(); _ = try ws.requireScheduler(); _ = try ws.requireData()
            }) { inv, ctx in
            let model = try ws.requireModel(), scheduler = try ws.requireScheduler(), data = try ws.requireData()
            let steps = try inv.int("steps")
            let split = try inv.string("split")
            guard let set = split == "test" ? data.test : data.train else { throw MissingPrerequisite("no \(split) split loaded") }
            let n = min(try inv.int("n"), set.count)
            try SampleCommands.checkMemory(model, images: n, keptPerImage: 4, "denoise n=\(n)")
            let indices = Array(ws.rng.permutation(set.count).prefix(n))
            let clean = set.images(indices)
            let noise = ws.rng.normalTensor(clean.shape)
            let timesteps = try (0..<n).map { _ in try ws.rng.randint(below: scheduler.numTrainTimesteps) }
            let noisy = try scheduler.schedule.addNoise(clean, noise: noise, timesteps: timesteps)
            let labels = model.config.numClassEmbeds != nil ? indices.map { Int(set.labels[$0]) } : nil
            let progress = ProgressReporter(label: "denoise", total: steps, display: ws.progressDisplay)
            defer { progress.finish() }
            let denoised = try SampleCommands.withSamplingWeights(ws, inv) {
                try denoiseLoop(model: model, scheduler: scheduler, start: noisy, steps: steps, classLabels: labels,
                                guidance: try SampleCommands.guidanceScale(inv, model: model), rng: &ws.rng, dataParallel: ws.dataParallel) { i, _, _ in
                    progress.update(step: i + 1)
                    try ctx.checkInterrupt()
                }
            }
            progress.finish()
            ws.tensors["denoised"] = denoised
            let figure = try DNBPlot.Figure.imageGrid([grayImages(clean), grayImages(noisy), grayImages(denoised)],
                                                  rowTitles: ["Clean", "Noisy", "Denoised"])
            try ws.emit(figure, name: try inv.optionalString("figure"), defaultName: "denoise-\(steps)-steps",
                        caption: "\(n) \(split) images (top), noised at timesteps \(timesteps.map(String.init).joined(separator: ", ")) (middle), denoised in \(steps) \(ws.schedulerName) step\(steps == 1 ? "" : "s") (bottom)", inv, ctx)
            var mse = 0.0
            for i in 0..<clean.count { let d = Double(clean.data[i] - denoised.data[i]); mse += d * d }
            ctx.setResult(Results.kept("denoised", denoised).merging([
                "mse": finite(mse / Double(clean.count)), "timesteps": .list(timesteps.map(Value.int)),
            ]) { $1 })
            ctx.out.print("denoised \(n) images in \(steps) step\(steps == 1 ? "" : "s") (timesteps \(summarizeList(scheduler.timesteps))); mean squared error to the clean images: \(String(format: "%.4f", mse / Double(clean.count)))")
        }]
    }
}

func summarizeList(_ ts: [Int]) -> String {
    ts.count <= 8 ? ts.map(String.init).joined(separator: ", ") : ts.prefix(4).map(String.init).joined(separator: ", ") + ", …, " + String(ts.last!)
}
