/// An engine failure, classified the way Docker's API reports it.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        case invalid      // 400
        case notFound     // 404
        case conflict     // 409
        case notModified  // 304
        case forbidden    // 403
        case system       // 500
    }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    static func noSuchContainer(_ name: String) -> EngineError {
        EngineError(.notFound, "No such container: \(name)")
    }
}
