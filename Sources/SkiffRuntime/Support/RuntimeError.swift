import Glibc

/// A runtime failure: the stage that failed and why, e.g.
/// `mount on /proc: EPERM (Operation not permitted)`.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public var stage: String
    public var message: String
    /// The errno behind the failure, when there was one.
    public var errno: Int32?

    public init(stage: String, _ message: String, errno: Int32? = nil) {
        self.stage = stage
        self.message = message
        self.errno = errno
    }

    /// A failed system call: `what: ENAME (strerror)`.
    public static func system(_ stage: String, _ what: String, errno err: Int32 = Glibc.errno) -> RuntimeError {
        RuntimeError(stage: stage, "\(what): \(Errno.describe(err))", errno: err)
    }

    public var description: String { message }
}

/// errno names, for messages that say what a syscall returned.
public enum Errno {
    static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO", E2BIG: "E2BIG",
        ENOEXEC: "ENOEXEC", EBADF: "EBADF", ECHILD: "ECHILD", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM",
        EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST", EXDEV: "EXDEV",
        ENODEV: "ENODEV", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL", ENFILE: "ENFILE",
        EMFILE: "EMFILE", ENOSPC: "ENOSPC", EROFS: "EROFS", EPIPE: "EPIPE", ERANGE: "ERANGE",
        ENAMETOOLONG: "ENAMETOOLONG", ENOSYS: "ENOSYS", ENOTEMPTY: "ENOTEMPTY", ELOOP: "ELOOP",
        EOPNOTSUPP: "EOPNOTSUPP", ETXTBSY: "ETXTBSY", EBADMSG: "EBADMSG",
        ECONNREFUSED: "ECONNREFUSED", ENXIO: "ENXIO",
    ]

    public static func describe(_ err: Int32) -> String {
        let text = String(cString: strerror(err))
        if let name = names[err] { return "\(name) (\(text))" }
        return "errno \(err) (\(text))"
    }
}
