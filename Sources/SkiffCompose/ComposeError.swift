/// Everything the loader refuses, with the message `skiff compose` prints.
public struct ComposeError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String

    public init(_ description: String) { self.description = description }
}
