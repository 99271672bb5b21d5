/// Errors of model construction, loading and saving.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case checkpoint(String)
    case input(String)

    public var description: String {
        switch self {
        case .invalidConfig(let s): return "invalid model config: \(s)"
        case .checkpoint(let s): return "checkpoint: \(s)"
        case .input(let s): return "model input: \(s)"
        }
    }
}
