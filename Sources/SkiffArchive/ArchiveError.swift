import Glibc

/// A failure reading, writing or extracting an archive: what it concerns, the problem, and the
/// errno when a system call failed.
///
/// Prints as `layer entry "etc/../../x": path leaves the root` or
/// `layer entry "usr/bin/ls": open: EACCES (Permission denied)`.
public struct ArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The class of problem, for callers that react differently to each.
    public enum Kind: Sendable, Equatable {
        /// Malformed data: a bad header, checksum, number, PAX record or compressed stream.
        case corrupt
        /// The stream ended inside a header, an entry's contents or a compressed frame.
        case truncated
        /// An entry would write, link or delete outside the extraction root.
        case unsafePath
        /// Valid but not handled here (sparse files, unknown entry types).
        case unsupported
        /// A size or length past what is accepted (an oversized PAX header, a mismatched write).
        case limit
        /// An entry would replace a directory with a non-directory, or the reverse, where that is refused.
        case conflict
        /// A system call failed; `errno` says why.
        case system
    }

    public var kind: Kind
    /// What the problem concerns: `layer entry "a/b"`, `gzip stream`, `tar header at byte 1024`.
    public var subject: String
    /// The problem, or the failed call when `errno` is set (`mknod`, `open`).
    public var message: String
    /// The errno of a failed system call.
    public var errno: Int32?

    public init(_ kind: Kind, _ subject: String, _ message: String, errno: Int32? = nil) {
        self.kind = kind
        self.subject = subject
        self.message = message
        self.errno = errno
    }

    /// `layer entry "path"` as a subject.
    public static func entry(_ path: String) -> String { "layer entry \"\(path)\"" }

    /// An error about the entry at `path`.
    static func entry(_ kind: Kind, _ path: String, _ message: String) -> ArchiveError {
        ArchiveError(kind, entry(path), message)
    }

    /// A failed system call `call` (errno read now) about `subject`.
    static func system(_ subject: String, _ call: String, errno code: Int32 = Glibc.errno) -> ArchiveError {
        ArchiveError(.system, subject, call, errno: code)
    }

    public var description: String {
        var text = "\(subject): \(message)"
        if let errno { text += ": \(Self.name(ofErrno: errno)) (\(String(cString: strerror(errno))))" }
        return text
    }

    /// The symbolic name of an errno value (`EACCES`), or its number.
    static func name(ofErrno code: Int32) -> String {
        switch code {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case EINTR: "EINTR"
        case EIO: "EIO"
        case EBADF: "EBADF"
        case EAGAIN: "EAGAIN"
        case ENOMEM: "ENOMEM"
        case EACCES: "EACCES"
        case EBUSY: "EBUSY"
        case EEXIST: "EEXIST"
        case EXDEV: "EXDEV"
        case ENOTDIR: "ENOTDIR"
        case EISDIR: "EISDIR"
        case EINVAL: "EINVAL"
        case EMFILE: "EMFILE"
        case EFBIG: "EFBIG"
        case ENOSPC: "ENOSPC"
        case EROFS: "EROFS"
        case EMLINK: "EMLINK"
        case ERANGE: "ERANGE"
        case ENAMETOOLONG: "ENAMETOOLONG"
        case ENOSYS: "ENOSYS"
        case ENOTEMPTY: "ENOTEMPTY"
        case ELOOP: "ELOOP"
        case ENODATA: "ENODATA"
        case EOPNOTSUPP: "EOPNOTSUPP"
        case EDQUOT: "EDQUOT"
        default: "errno \(code)"
        }
    }
}
