import Glibc
import SkiffSystem

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

extension SnapshotError {
    init(_ error: SystemError) {
        self.init(error.description, errno: error.errno)
    }
}

/// mkdir -p, failing as a SnapshotError.
func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(SnapshotError) {
    do {
        try Directories.make(path, mode: mode)
    } catch {
        throw SnapshotError(error)
    }
}
