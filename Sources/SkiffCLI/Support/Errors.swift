import Glibc

/// An error that ends the command: `message` goes to stderr (when not empty) and the
/// process exits with `status`, as the docker CLI's `StatusError` does.
public struct CLIError: Error, CustomStringConvertible {
    public var message: String
    public var status: Int32

    public init(_ message: String, status: Int32 = 1) {
        self.message = message
        self.status = status
    }

    /// A silent exit with the given status (the container's exit code).
    public static func exit(_ status: Int32) -> CLIError { CLIError("", status: status) }

    public var description: String { message }
}

/// A non-2xx answer from the daemon: its `message`, printed as docker prints it.
public struct DaemonError: Error, CustomStringConvertible {
    public let statusCode: Int
    public let message: String

    public var description: String { "Error response from daemon: " + message }
    public var isNotFound: Bool { statusCode == 404 }
}

/// Nothing answered at the daemon's address.
public struct ConnectionError: Error, CustomStringConvertible {
    public let host: String
    public let errno: Int32

    public var description: String {
        if errno == EACCES {
            return "permission denied while trying to connect to the skiff daemon socket at \(host)"
        }
        return "Cannot connect to the skiff daemon at \(host). Is the skiff daemon running?"
    }
}

/// A failed system call, named with its errno text.
struct SystemError: Error, CustomStringConvertible {
    let what: String
    let errno: Int32

    init(_ what: String, errno: Int32 = Glibc.errno) {
        self.what = what
        self.errno = errno
    }

    var description: String { "\(what): \(errnoText(errno))" }
}

/// An errno's text as Go words it ("no such file or directory"), which docker's messages use.
func errnoText(_ errno: Int32) -> String {
    let text = String(cString: strerror(errno))
    guard let first = text.first else { return text }
    return first.lowercased() + text.dropFirst()
}

/// The text docker prints for an error, without a trailing newline.
func errorText(_ error: any Error) -> String {
    if let e = error as? CustomStringConvertible { return e.description }
    return "\(error)"
}
