/// What the evaluation maths refuses, with the reason in words (the command adds file:line).
public struct EvaluationError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
