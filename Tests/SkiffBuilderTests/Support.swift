import Glibc
import SkiffSystem

/// A temporary directory for one test, and files in it.
struct Scratch {
    let path: String

    init(_ prefix: String) {
        var template = Array("/tmp/skiff-builder-\(prefix)-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    /// Writes `contents` at `relative`, making its directories.
    func write(_ relative: String, _ contents: String, mode: mode_t = 0o644) {
        let full = path + "/" + relative
        var parent = ""
        for component in full.split(separator: "/").dropLast() {
            parent += "/" + component
            mkdir(parent, 0o755)
        }
        let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, mode)
        precondition(fd >= 0, "open \(full)")
        _ = contents.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, $0.count - 1) }
        fchmod(fd, mode)
        close(fd)
    }

    func symlink(_ relative: String, to target: String) {
        _ = Glibc.symlink(target, path + "/" + relative)
    }

    func read(_ relative: String) -> String? {
        let fd = open(path + "/" + relative, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The cgroup parent of an engine on this scratch directory: its own.
    var cgroupParent: String { "skiff-test-" + (path.split(separator: "/").last.map(String.init) ?? "builder") }

    /// Removes the directory, and the (empty) cgroups under `cgroupParent` in every hierarchy.
    func remove() {
        _ = Subprocess.run(["/bin/sh", "-c", "find /sys/fs/cgroup -maxdepth 6 -type d -name '\(cgroupParent)' -exec find {} -depth -type d -delete \\; 2>/dev/null; true"], input: nil)
        Directories.removeTree(path)
    }
}
