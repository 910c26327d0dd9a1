import Glibc

/// A cgroup operation that failed: the step, the file it touched, and the cause.
///
/// Prints as `write /sys/fs/cgroup/memory/skiff/abc/memory.limit_in_bytes: EINVAL (Invalid argument)`.
public struct CgroupError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was being done: `write`, `read`, `mkdir`, `rmdir`, `freeze`, `resolve cgroupsPath`, …
    public var stage: String
    /// The file or directory involved, if any.
    public var path: String?
    /// The errno the kernel returned, if the cause is a failed system call.
    public var errno: Int32?
    /// A hint after the errno, or the whole cause when there is no errno.
    public var detail: String?

    public init(stage: String, path: String? = nil, errno: Int32? = nil, detail: String? = nil) {
        self.stage = stage
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        var text = stage
        if let path { text += " " + path }
        if let errno { text += ": \(Self.name(ofErrno: errno)) (\(String(cString: strerror(errno))))" }
        if let detail { text += (errno == nil ? ": " : "; ") + detail }
        return text
    }

    /// The symbolic name of an errno value (`EBUSY`), or its number.
    public static func name(ofErrno code: Int32) -> String {
        switch code {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case ESRCH: "ESRCH"
        case EINTR: "EINTR"
        case EIO: "EIO"
        case ENXIO: "ENXIO"
        case E2BIG: "E2BIG"
        case EBADF: "EBADF"
        case EAGAIN: "EAGAIN"
        case ENOMEM: "ENOMEM"
        case EACCES: "EACCES"
        case EFAULT: "EFAULT"
        case EBUSY: "EBUSY"
        case EEXIST: "EEXIST"
        case EXDEV: "EXDEV"
        case ENODEV: "ENODEV"
        case ENOTDIR: "ENOTDIR"
        case EISDIR: "EISDIR"
        case EINVAL: "EINVAL"
        case ENFILE: "ENFILE"
        case EMFILE: "EMFILE"
        case EFBIG: "EFBIG"
        case ENOSPC: "ENOSPC"
        case EROFS: "EROFS"
        case ERANGE: "ERANGE"
        case ENAMETOOLONG: "ENAMETOOLONG"
        case ENOTEMPTY: "ENOTEMPTY"
        case ELOOP: "ELOOP"
        case EOPNOTSUPP: "EOPNOTSUPP"
        case ETIMEDOUT: "ETIMEDOUT"
        case ECANCELED: "ECANCELED"
        default: "errno \(code)"
        }
    }
}
