import DNBEngine
import DNBDiffusion

/// dnb's own image classifier, which `evaluate` judges samples with: three 3×3 convolutions
/// (32, 64, 64 channels) each followed by ReLU and 2×2 max pooling, a 128-unit hidden layer whose
/// ReLU output is the feature vector (what the Fréchet distance and precision/recall compare), and a
/// linear layer to the class logits. The convolutions are those of bench/score_samples.py's PyTorch
/// CNN, so the two score samples alike. Input: NHWC [N, S, S, 1] images in [0, 1] at the size the
/// classifier was trained for.
public final class DigitClassifier {
    public static let featureDimension = 128
    public let recipe: ClassifierRecipe
    public let parameters = ParameterStore()
    let convolutions: [Conv2d]
    let hidden: Linear
    let output: Linear

    public init(recipe: ClassifierRecipe) throws {
        try recipe.validate()
        self.recipe = recipe
        var rng = RandomGenerator(seed: recipe.seed)
        let root = ParameterScope(parameters)
        var inChannels = 1
        var convolutions: [Conv2d] = []
        for (i, channels) in ClassifierRecipe.channels.enumerated() {
            convolutions.append(Conv2d(root("conv\(i + 1)"), inChannels: inChannels, outChannels: channels, kernelSize: 3,
                                       padding: 1, rng: &rng))
            inChannels = channels
        }
        self.convolutions = convolutions
        hidden = Linear(root("hidden"), inFeatures: recipe.flattenedFeatures, outFeatures: Self.featureDimension, rng: &rng)
        output = Linear(root("output"), inFeatures: Self.featureDimension, outFeatures: recipe.classes, rng: &rng)
    }

    /// Features [N, 128] and logits [N, classes] of a batch.
    public func callAsFunction(_ images: Tensor) throws -> (features: Tensor, logits: Tensor) {
        let size = recipe.imageSize
        guard images.rank == 4, images.shape[1] == size, images.shape[2] == size, images.shape[3] == 1 else {
            throw EngineError.shapeMismatch(op: "classifier", detail: "expected [N, \(size), \(size), 1] images, got \(images.shape)")
        }
        var x = images
        for conv in convolutions { x = try maxPool2d(relu(conv(x))) }
        let features = try relu(hidden(x.reshaped([images.shape[0], recipe.flattenedFeatures])))
        return (features, try output(features))
    }
}
