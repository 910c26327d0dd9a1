import Glibc

/// A snapshot operation that failed: what was done and why.
public struct SnapshotError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var errno: Int32?

    public init(_ message: String, errno: Int32? = nil) {
        self.message = message
        self.errno = errno
    }

    static func system(_ what: String, errno err: Int32 = Glibc.errno) -> SnapshotError {
        SnapshotError("\(what): \(String(cString: strerror(err)))", errno: err)
    }

    public var description: String { message }
}
