import CZlib
import Glibc
import SkiffSystem

extension VolumeStore {
    /// Docker's copy-up: when the volume is empty and the container's root
    /// (`rootfs`, the image as the container sees it) has a directory at
    /// `path`, that directory's content, owners, modes, times, xattrs and
    /// links go into the volume, and the volume's root takes the
    /// directory's owner and mode. `path` is resolved inside `rootfs` (a
    /// symlink in the image stays in the image). The volume must be mounted
    /// (`mount`) if it has driver options. Returns whether it copied.
    @discardableResult
    public func populate(_ volume: Volume, fromRoot rootfs: String, path: String) throws(VolumeError) -> Bool {
        let fail = { (what: String) -> VolumeError in
            VolumeError(.system, "copy \(path) of the image into volume \(volume.name): \(what)")
        }
        let destination = open(volume.mountpoint, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard destination >= 0 else { throw fail("open \(volume.mountpoint): \(String(cString: strerror(errno)))") }
        defer { close(destination) }
        guard Directories.list(volume.mountpoint).isEmpty else { return false }
        let root = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw fail("open \(rootfs): \(String(cString: strerror(errno)))") }
        defer { close(root) }
        let relative = path.split(separator: "/").joined(separator: "/")
        let source = czlib_openat2_in_root(root, relative.isEmpty ? "." : relative, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        if source < 0 {
            // Nothing there, or not a directory: nothing to copy.
            if errno == ENOENT || errno == ENOTDIR { return false }
            throw fail("open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(source) }
        do {
            try TreeCopy.copy(from: source, to: destination)
        } catch {
            throw fail("\(error)")
        }
        return true
    }
}
