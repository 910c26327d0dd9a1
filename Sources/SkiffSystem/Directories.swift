import Glibc

/// A failed system call: what was attempted and the errno.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var errno: Int32

    public init(_ operation: String, errno: Int32 = Glibc.errno) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}

/// Directory helpers on Glibc, shared by the stores and the runtime (no
/// Foundation: the runtime binary must start fast).
public enum Directories {
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// True for a directory (not following a final symlink).
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir -p; the last component gets `mode`.
    public static func make(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        if isDirectory(path) { return }
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 && Glibc.errno != EEXIST { throw SystemError("mkdir \(current)") }
        }
    }

    /// Names in a directory, without . and .. ([] if it cannot be read).
    public static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// rm -rf that never follows links and never descends into another
    /// filesystem: a mount point below (a container's root, a volume) is
    /// detached, not emptied.
    public static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        removeTree(path, device: st.st_dev)
    }

    private static func removeTree(_ path: String, device: dev_t) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            unlink(path)
            return
        }
        if st.st_dev != device {
            _ = umount2(path, Int32(MNT_DETACH))
            var after = stat()
            guard lstat(path, &after) == 0, after.st_dev == device else { return }
        }
        for name in list(path) { removeTree(path + "/" + name, device: device) }
        rmdir(path)
    }
}
