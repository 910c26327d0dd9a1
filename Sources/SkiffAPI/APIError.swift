import SkiffEngine
import SkiffNetwork
import SkiffImage

/// An error with the HTTP status it is answered with, as `{"message": ...}`.
public struct APIError: Error, CustomStringConvertible, Sendable, Equatable {
    public var status: Int
    public var message: String

    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public static func badRequest(_ message: String) -> APIError { APIError(400, message) }
    public static func notFound(_ message: String) -> APIError { APIError(404, message) }
    public static func conflict(_ message: String) -> APIError { APIError(409, message) }
    public static func notImplemented(_ message: String) -> APIError { APIError(501, message) }

    public var description: String { message }

    /// Any error as an APIError: ImageError kinds map to dockerd's statuses,
    /// anything else is a 500 with its description.
    public init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as ImageError:
            switch error.kind {
            case .notFound: self.init(404, error.message)
            case .conflict, .inUse: self.init(409, error.message)
            case .invalid: self.init(400, error.message)
            default: self.init(500, error.message)
            }
        case let error as NetworkError:
            switch error.kind {
            case .invalid: self.init(400, error.message)
            case .forbidden: self.init(403, error.message)
            case .notFound: self.init(404, error.message)
            case .conflict: self.init(409, error.message)
            case .system: self.init(500, error.message)
            }
        case let error as EngineError:
            switch error.kind {
            case .invalid: self.init(400, error.message)
            case .notFound: self.init(404, error.message)
            case .conflict: self.init(409, error.message)
            case .notModified: self.init(304, error.message)
            case .forbidden: self.init(403, error.message)
            case .system: self.init(500, error.message)
            }
        default:
            self.init(500, "\(error)")
        }
    }
}
