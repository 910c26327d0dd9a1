import Glibc
import SkiffAPI

/// The daemon's pid file, locked (flock) while the daemon runs: a second
/// daemon on the same exec root refuses to start.
final class PidFile {
    let path: String
    private let fd: Int32

    init(path: String) throws(ServerError) {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ServerError("cannot open pid file \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw ServerError("pid file \(path) is locked: is another skiffd running? (stop it, or use another --exec-root)")
        }
        let text = "\(getpid())\n"
        ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Removes the file and releases the lock.
    func remove() {
        unlink(path)
        close(fd)
    }
}

/// mkdir -p with `mode` for what it creates.
func makeDirectories(_ path: String, mode: mode_t) throws(ServerError) {
    var partial = ""
    for component in path.split(separator: "/") {
        partial += "/" + component
        if mkdir(partial, mode) != 0, errno != EEXIST {
            throw ServerError("cannot create \(partial): \(String(cString: strerror(errno)))")
        }
    }
}
