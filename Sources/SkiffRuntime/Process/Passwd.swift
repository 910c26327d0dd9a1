import CSkiffSpawn
import Glibc

/// The container's /etc/passwd, read inside its root (symlinks cannot
/// leave it), for the HOME that runc and crun set when the config has none.
public enum Passwd {
    /// The home directory of `uid` in `rootfs`, or "/" when it has none.
    static func home(uid: UInt32, rootfs: String) -> String {
        let fd = skiff_open_in_root(rootfs, "/etc/passwd", O_RDONLY)
        guard fd >= 0 else { return "/" }
        defer { close(fd) }
        guard let bytes = try? FileIO.readAll(fd: fd, path: "/etc/passwd") else { return "/" }
        return home(uid: uid, passwd: String(decoding: bytes, as: UTF8.self))
    }

    static func home(uid: UInt32, passwd: String) -> String {
        for line in passwd.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 6, UInt32(fields[2]) == uid, !fields[5].isEmpty { return String(fields[5]) }
        }
        return "/"
    }

    /// The host's name for `uid` (/etc/passwd read directly: the runtime is
    /// a static executable, without glibc's NSS).
    public static func userName(uid: UInt32) -> String? {
        guard let text = try? FileIO.readString("/etc/passwd") else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 3, UInt32(fields[2]) == uid { return String(fields[0]) }
        }
        return nil
    }

    /// `env` with HOME added from the container's passwd when missing.
    static func withHome(_ env: [String], uid: UInt32, rootfs: String) -> [String] {
        if env.contains(where: { $0.hasPrefix("HOME=") }) { return env }
        return env + ["HOME=" + home(uid: uid, rootfs: rootfs)]
    }
}
