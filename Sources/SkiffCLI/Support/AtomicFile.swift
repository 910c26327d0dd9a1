import Glibc

/// A file written whole or not at all, as Docker's atomicwriter writes `save -o` and
/// `export -o`: into a temporary file beside it (0600), renamed into place once complete;
/// removed if never committed.
final class AtomicFile {
    let fd: Int32
    private let path: String
    private let temporary: String
    private let context: String
    private var committed = false

    /// Checks the destination as atomicwriter.New does (its directory exists; it is a regular
    /// file or absent); errors start with `context` ("failed to save image").
    init(_ path: String, context: String) throws {
        self.path = path
        self.context = context
        let fail = { (reason: String) in CLIError("\(context): \(reason)") }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let dir = String(path[..<slash])
            var st = stat()
            guard stat(dir, &st) == 0 else { throw fail("invalid output path: stat \(dir): \(errnoText(errno))") }
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw fail("invalid output path: stat \(dir): not a directory") }
        }
        var st = stat()
        if lstat(path, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: throw fail("cannot write to a directory")
            case S_IFLNK: throw fail("cannot write to a symbolic link directly")
            case S_IFIFO: throw fail("cannot write to a named pipe (FIFO)")
            case S_IFSOCK: throw fail("cannot write to a socket")
            case S_IFCHR: throw fail("cannot write to a character device file")
            default: throw fail("cannot write to a block device file")
            }
        }
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        temporary = (dir.isEmpty ? "" : dir + "/") + ".tmp-\(base)-\(getpid())"
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fail("\(SystemError("open \(temporary)"))") }
    }

    /// Makes the file the destination.
    func commit() throws {
        guard fsync(fd) == 0, rename(temporary, path) == 0 else { throw CLIError("\(context): \(SystemError("write \(path)"))") }
        committed = true
    }

    deinit {
        close(fd)
        if !committed { unlink(temporary) }
    }
}
