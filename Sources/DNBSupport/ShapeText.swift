/// A tensor shape as messages print it: `[2, 32, 32, 1]`.
public func describeShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
