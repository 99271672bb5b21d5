import DNBSupport

/// Every failure the engine reports instead of trapping.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(op: String, detail: String)
    case emptyTensor(op: String)
    case invalidArgument(op: String, detail: String)
    case notDifferentiable(String)
    case nonFinite(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let op, let detail): return "\(op): shape mismatch: \(detail)"
        case .emptyTensor(let op): return "\(op): empty tensor"
        case .invalidArgument(let op, let detail): return "\(op): \(detail)"
        case .notDifferentiable(let what): return "backward: \(what)"
        case .nonFinite(let what): return "non-finite value: \(what)"
        }
    }
}
