import Glibc

/// Mounting overlayfs for a container's root filesystem.
///
/// The new mount API (fsopen/fsconfig/fsmount/move_mount) takes lower
/// directories one `lowerdir+` at a time (Linux 6.8+), so an image with
/// any number of layers fits; older kernels get one `lowerdir=` option
/// string, which must stay under a page.
public enum OverlayMount {
    /// Whether this kernel has overlayfs (/proc/filesystems).
    public static var isSupported: Bool {
        let fd = open("/proc/filesystems", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 8192)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        return String(decoding: buf[0..<n], as: UTF8.self).split(separator: "\n").contains { $0.hasSuffix("\toverlay") }
    }

    /// Mounts an overlay at `target`: `lowers` top-most first; with no
    /// `upper` the mount is read-only.
    public static func mount(lowers: [String], upper: String?, work: String?, target: String, readonly: Bool = false) throws(SnapshotError) {
        precondition(!lowers.isEmpty, "overlay needs a lower directory")
        do {
            try mountWithFSConfig(lowers: lowers, upper: upper, work: work, target: target, readonly: readonly)
        } catch let error where error.errno == EINVAL || error.errno == ENOSYS {
            // Kernels before 6.8 have no "lowerdir+".
            try mountWithOptions(lowers: lowers, upper: upper, work: work, target: target, readonly: readonly)
        }
    }

    static func mountWithFSConfig(lowers: [String], upper: String?, work: String?, target: String, readonly: Bool) throws(SnapshotError) {
        let fs = fsopen("overlay", UInt32(FSOPEN_CLOEXEC))
        guard fs >= 0 else { throw .system("fsopen(overlay)") }
        defer { close(fs) }
        func set(_ key: String, _ value: String) throws(SnapshotError) {
            guard fsconfig(fs, FSCONFIG_SET_STRING.rawValue, key, value, 0) == 0 else {
                throw .system("fsconfig \(key)=\(value)")
            }
        }
        for lower in lowers { try set("lowerdir+", lower) }
        if let upper, let work {
            try set("upperdir", upper)
            try set("workdir", work)
        }
        guard fsconfig(fs, FSCONFIG_CMD_CREATE.rawValue, nil, nil, 0) == 0 else { throw .system("fsconfig create overlay") }
        let attrs = readonly || upper == nil ? UInt32(MOUNT_ATTR_RDONLY) : 0
        let mnt = fsmount(fs, UInt32(FSMOUNT_CLOEXEC), attrs)
        guard mnt >= 0 else { throw .system("fsmount overlay") }
        defer { close(mnt) }
        guard move_mount(mnt, "", AT_FDCWD, target, UInt32(MOVE_MOUNT_F_EMPTY_PATH)) == 0 else {
            throw .system("move_mount overlay to \(target)")
        }
    }

    static func mountWithOptions(lowers: [String], upper: String?, work: String?, target: String, readonly: Bool) throws(SnapshotError) {
        var options = "lowerdir=" + lowers.joined(separator: ":")
        if let upper, let work { options += ",upperdir=\(upper),workdir=\(work)" }
        guard options.utf8.count < Int(getpagesize()) else {
            throw SnapshotError("mount overlay on \(target): \(lowers.count) layers make the mount options longer than a page, and this kernel has no \"lowerdir+\"")
        }
        let flags = UInt(readonly || upper == nil ? MS_RDONLY : 0)
        guard Glibc.mount("overlay", target, "overlay", flags, options) == 0 else {
            throw .system("mount overlay on \(target)")
        }
    }

    /// Detaches whatever is mounted at `target` (ENOENT/EINVAL: nothing was).
    public static func unmount(_ target: String) throws(SnapshotError) {
        if umount2(target, Int32(MNT_DETACH)) != 0 && errno != EINVAL && errno != ENOENT {
            throw .system("umount \(target)")
        }
    }
}
