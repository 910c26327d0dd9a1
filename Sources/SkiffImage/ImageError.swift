import Glibc
import SkiffSystem

/// An image operation that failed, naming the image, blob or entry.
public struct ImageError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        case notFound, invalid, corrupt, digestMismatch, sizeMismatch, conflict, inUse, io
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// Wraps any error thrown below (archive, snapshot, database).
    public init(_ error: any Error) {
        if let error = error as? ImageError {
            self = error
        } else {
            self.init(.io, "\(error)")
        }
    }

    static func system(_ what: String, errno err: Int32 = Glibc.errno) -> ImageError {
        ImageError(err == ENOENT ? .notFound : .io, "\(what): \(String(cString: strerror(err)))")
    }

    public var description: String { message }
}

/// mkdir -p, failing as an ImageError.
func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(ImageError) {
    do {
        try Directories.make(path, mode: mode)
    } catch {
        throw ImageError(.io, error.description)
    }
}
