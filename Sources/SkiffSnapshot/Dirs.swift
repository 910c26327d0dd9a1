import Glibc

/// Directory helpers for the snapshot store.
enum Dirs {
    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir -p.
    static func make(_ path: String, mode: mode_t = 0o755) throws(SnapshotError) {
        if isDirectory(path) { return }
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 && errno != EEXIST { throw .system("mkdir \(current)") }
        }
    }

    static func list(_ path: String) -> [String] {
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
    static func removeTree(_ path: String) {
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
