import Glibc

/// A networking failure: the step that failed and why
/// (`create veth veth1a2b3c4: File exists`).
public struct NetworkError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case invalid, notFound, conflict, forbidden, system }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// A failed system call: `step: strerror(errno)`.
    static func system(_ step: String, errno code: Int32 = errno) -> NetworkError {
        NetworkError(.system, "\(step): \(String(cString: strerror(code)))")
    }

    public var description: String { message }
}
