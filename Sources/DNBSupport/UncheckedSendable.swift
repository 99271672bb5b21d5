/// Hands a non-Sendable value to a `@Sendable` closure whose calls the caller
/// serialises itself (a callback on the caller's thread, or disjoint slices of a
/// buffer per worker of a parallel region).
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
