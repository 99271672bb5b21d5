import Foundation

/// Which half of a dataset.
public enum Split: String, Sendable, CaseIterable, Codable {
    case train, test
}

/// The four IDX files of an MNIST-layout dataset and their well-known digests.
public struct DatasetSpec: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        /// Base name without `.gz` (both the plain and the gzip file are accepted).
        public let name: String
        /// MD5 of the uncompressed bytes, lowercase hex.
        public let md5: String
        /// Number of items (first IDX dimension).
        public let count: Int
        public let magic: UInt32

        public init(name: String, md5: String, count: Int, magic: UInt32) {
            self.name = name; self.md5 = md5; self.count = count; self.magic = magic
        }
    }

    public let name: String
    public let trainImages: File, trainLabels: File, testImages: File, testLabels: File
    /// Image height and width.
    public let rows: Int, columns: Int

    public init(name: String, trainImages: File, trainLabels: File, testImages: File, testLabels: File,
                rows: Int = 28, columns: Int = 28) {
        self.name = name
        self.trainImages = trainImages; self.trainLabels = trainLabels
        self.testImages = testImages; self.testLabels = testLabels
        self.rows = rows; self.columns = columns
    }

    public var files: [File] { [trainImages, trainLabels, testImages, testLabels] }
    public func images(_ split: Split) -> File { split == .train ? trainImages : testImages }
    public func labels(_ split: Split) -> File { split == .train ? trainLabels : testLabels }

    /// A spec with the same file names and the given counts and MD5s (tests, other builds of the data).
    public func with(trainCount: Int, testCount: Int, md5s: [String: String]) -> DatasetSpec {
        func f(_ file: File, _ n: Int) -> File { File(name: file.name, md5: md5s[file.name] ?? file.md5, count: n, magic: file.magic) }
        return DatasetSpec(name: name, trainImages: f(trainImages, trainCount), trainLabels: f(trainLabels, trainCount),
                           testImages: f(testImages, testCount), testLabels: f(testLabels, testCount), rows: rows, columns: columns)
    }

    /// MNIST (LeCun, Cortes, Burges): the well-known MD5s of the original uncompressed files.
    public static let mnist = DatasetSpec(
        name: "MNIST",
        trainImages: File(name: "train-images-idx3-ubyte", md5: "6bbc9ace898e44ae57da46a324031adb", count: 60000, magic: IDX.imagesMagic),
        trainLabels: File(name: "train-labels-idx1-ubyte", md5: "a25bea736e30d166cdddb491f175f624", count: 60000, magic: IDX.labelsMagic),
        testImages: File(name: "t10k-images-idx3-ubyte", md5: "2646ac647ad5339dbf082846283269ea", count: 10000, magic: IDX.imagesMagic),
        testLabels: File(name: "t10k-labels-idx1-ubyte", md5: "27ae3e4e09519cfbb04c329615203637", count: 10000, magic: IDX.labelsMagic))

    /// Fashion-MNIST (Zalando Research) as Debian's `dataset-fashion-mnist` ships it; MD5s of the
    /// uncompressed files.
    public static let fashionMNIST = DatasetSpec(
        name: "Fashion-MNIST",
        trainImages: File(name: "train-images-idx3-ubyte", md5: "f4a8712d7a061bf5bd6d2ca38dc4d50a", count: 60000, magic: IDX.imagesMagic),
        trainLabels: File(name: "train-labels-idx1-ubyte", md5: "9018921c3c673c538a1fc5bad174d6f9", count: 60000, magic: IDX.labelsMagic),
        testImages: File(name: "t10k-images-idx3-ubyte", md5: "8181f5470baa50b63fa0f6fddb340f0a", count: 10000, magic: IDX.imagesMagic),
        testLabels: File(name: "t10k-labels-idx1-ubyte", md5: "15d484375f8d13e6eb1aabb0c3f46965", count: 10000, magic: IDX.labelsMagic))

    /// The exact uncompressed size of `file`: an IDX header, then count images of rows×columns
    /// bytes (or count labels of one byte). MNIST's training images: 16 + 60000·784 = 47 040 016.
    public func byteCount(of file: File) -> Int {
        let dims = file.magic == IDX.imagesMagic ? [file.count, rows, columns] : [file.count]
        return IDX.expectedSize(dims: dims) ?? Int.max
    }

    /// Path of `file` inside `directory`: `name.gz` if present, else `name`, else nil.
    public func path(of file: File, in directory: String) -> String? {
        let fm = FileManager.default
        for candidate in [file.name + ".gz", file.name] {
            let p = (directory as NSString).appendingPathComponent(candidate)
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue { return p }
        }
        return nil
    }

    /// Names of the files missing from `directory` (empty when all four are there).
    public func missingFiles(in directory: String) -> [String] {
        files.filter { path(of: $0, in: directory) == nil }.map(\.name)
    }
}

/// Grayscale uint8 images [count, height, width] with their labels, in dataset order.
public struct ImageDataset: Sendable, Equatable {
    public let name: String
    public let height: Int
    public let width: Int
    /// count·height·width bytes, row-major, image after image.
    public let pixels: [UInt8]
    public let labels: [UInt8]
    /// Where each image came from: its index in the dataset as first read (or drawn), so that a selection made by
    /// `subset`, `prefix` and `filter` can be remade from the original without keeping the images (the cell cache
    /// keeps this recipe, not the pixels). 4 bytes an image.
    public let origin: [Int32]

    public var count: Int { labels.count }
    public var imageSize: Int { height * width }

    /// A dataset as read or drawn: image i is the original's image i.
    public init(name: String, height: Int, width: Int, pixels: [UInt8], labels: [UInt8]) throws {
        try self.init(name: name, height: height, width: width, pixels: pixels, labels: labels, origin: (0..<Int32(clamping: labels.count)).map { $0 })
    }

    public init(name: String, height: Int, width: Int, pixels: [UInt8], labels: [UInt8], origin: [Int32]) throws {
        guard height > 0, width > 0, pixels.count == labels.count * height * width else {
            throw DataError(.wrongShape, name, "\(pixels.count) pixels do not make \(labels.count) images of \(height)×\(width)")
        }
        guard origin.count == labels.count else {
            throw DataError(.wrongShape, name, "\(origin.count) origins for \(labels.count) images")
        }
        self.name = name; self.height = height; self.width = width; self.pixels = pixels; self.labels = labels; self.origin = origin
    }

    /// The pixels of image `i`.
    public func image(_ i: Int) -> ArraySlice<UInt8> { pixels[i * imageSize ..< (i + 1) * imageSize] }

    /// The images at `indices`, in that order (labels kept).
    public func subset(indices: [Int]) throws -> ImageDataset {
        var px = [UInt8](); px.reserveCapacity(indices.count * imageSize)
        var lb = [UInt8](); lb.reserveCapacity(indices.count)
        var og = [Int32](); og.reserveCapacity(indices.count)
        for i in indices {
            guard i >= 0 && i < count else {
                throw DataError(.invalidArgument, name, "index \(i) out of range 0..<\(count)")
            }
            px.append(contentsOf: image(i)); lb.append(labels[i]); og.append(origin[i])
        }
        return try ImageDataset(name: name, height: height, width: width, pixels: px, labels: lb, origin: og)
    }

    /// The same images with each origin mapped by `transform`, e.g. to tell a test split's images (−1 − i) from
    /// a training split's (i) when both end up in one selection (`dataset split`).
    public func mappingOrigin(_ transform: (Int32) -> Int32) throws -> ImageDataset {
        try ImageDataset(name: name, height: height, width: width, pixels: pixels, labels: labels, origin: origin.map(transform))
    }

    /// The first `n` images (all of them when n ≥ count).
    public func prefix(_ n: Int) throws -> ImageDataset {
        guard n >= 0 else { throw DataError(.invalidArgument, name, "subset size \(n) must not be negative") }
        return try subset(indices: Array(0..<min(n, count)))
    }

    /// The images whose label is in `classes`, in dataset order; `limit` keeps at most that many.
    public func filter(classes: Set<Int>, limit: Int? = nil) throws -> ImageDataset {
        var idx = [Int]()
        for i in 0..<count where classes.contains(Int(labels[i])) {
            if let limit, idx.count >= limit { break }
            idx.append(i)
        }
        let result = try subset(indices: idx)
        return try ImageDataset(name: name + " classes " + classes.sorted().map(String.init).joined(separator: ","),
                                height: height, width: width, pixels: result.pixels, labels: result.labels, origin: result.origin)
    }

    /// How many images each label has.
    public func classCounts() -> [Int: Int] {
        var c = [Int: Int]()
        for l in labels { c[Int(l), default: 0] += 1 }
        return c
    }

    /// Reads one split of an MNIST-layout dataset from `directory`, verifying sizes and MD5s.
    public static func load(_ spec: DatasetSpec, split: Split, directory: String, remedy: String? = nil) throws -> ImageDataset {
        let imgFile = spec.images(split), labFile = spec.labels(split)
        let fix = remedy ?? "Replace it with the original \(spec.name) file"
        guard let imgPath = spec.path(of: imgFile, in: directory) else {
            throw DataError(.notFound, (directory as NSString).appendingPathComponent(imgFile.name + ".gz"), "missing", remedy: fix)
        }
        guard let labPath = spec.path(of: labFile, in: directory) else {
            throw DataError(.notFound, (directory as NSString).appendingPathComponent(labFile.name + ".gz"), "missing", remedy: fix)
        }
        let images = try IDX.read(path: imgPath, expectedMagic: imgFile.magic, expectedCount: imgFile.count,
                                  expectedMD5: imgFile.md5, maxBytes: spec.byteCount(of: imgFile), remedy: fix)
        guard images.dims.count == 3, images.dims[1] == spec.rows, images.dims[2] == spec.columns else {
            throw DataError(.wrongShape, imgPath, "images are \(images.dims.dropFirst().map(String.init).joined(separator: "×")), expected \(spec.rows)×\(spec.columns)",
                            remedy: fix)
        }
        let labels = try IDX.read(path: labPath, expectedMagic: labFile.magic, expectedCount: labFile.count,
                                  expectedMD5: labFile.md5, maxBytes: spec.byteCount(of: labFile), remedy: fix)
        guard labels.dims.count == 1 else {
            throw DataError(.wrongShape, labPath, "labels have \(labels.dims.count) dimensions, expected 1", remedy: fix)
        }
        return try ImageDataset(name: "\(spec.name) \(split.rawValue)", height: spec.rows, width: spec.columns,
                                pixels: images.bytes, labels: labels.bytes)
    }
}
