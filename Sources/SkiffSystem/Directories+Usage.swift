import Glibc

extension Directories {
    /// The bytes of the files below `path` as dockerd counts a writable
    /// layer's size: regular files and symlinks, each hard-linked file once,
    /// directories not at all, never crossing into another filesystem.
    public static func usage(_ path: String) -> Int64 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        var seen = Set<UInt64>()
        return usage(path, device: st.st_dev, seen: &seen)
    }

    private static func usage(_ path: String, device: dev_t, seen: inout Set<UInt64>) -> Int64 {
        var total: Int64 = 0
        for name in list(path) {
            let child = path + "/" + name
            var st = stat()
            guard lstat(child, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR where st.st_dev == device:
                total += usage(child, device: device, seen: &seen)
            case S_IFREG, S_IFLNK:
                if st.st_nlink > 1 && !seen.insert(UInt64(st.st_ino)).inserted { continue }
                total += Int64(st.st_size)
            default:
                break
            }
        }
        return total
    }
}
