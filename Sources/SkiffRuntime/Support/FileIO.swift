import Glibc
import SkiffSystem

/// Small file helpers on Glibc (the runtime stays off Foundation to start fast).
public enum FileIO {
    /// Reads a whole file.
    public static func read(_ path: String) throws(RuntimeError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("read", "open \(path)") }
        defer { close(fd) }
        return try readAll(fd: fd, path: path)
    }

    public static func readAll(fd: Int32, path: String) throws(RuntimeError) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system("read", "read \(path)")
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    public static func readString(_ path: String) throws(RuntimeError) -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same
    /// directory, renamed over the target. Readers see the old file or the
    /// new one, never a part. (No fsync: runtime state lives in /run, which
    /// does not outlive a reboot.)
    public static func writeAtomic(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(RuntimeError) {
        let tmp = "\(path).tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .system("write", "create \(tmp)") }
        do throws(RuntimeError) {
            try writeAll(fd: fd, bytes, path: tmp)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let err = errno
            unlink(tmp)
            throw .system("write", "rename \(tmp) to \(path)", errno: err)
        }
    }

    /// Writes `text` to an existing file (cgroup and /proc files), no temp file.
    public static func writeInPlace(_ path: String, _ text: String) throws(RuntimeError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("write", "open \(path)") }
        defer { close(fd) }
        try writeAll(fd: fd, Array(text.utf8), path: path)
    }

    public static func writeAll(fd: Int32, _ bytes: [UInt8], path: String) throws(RuntimeError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system("write", "write \(path)")
            }
            offset += n
        }
    }

    /// mkdir -p, failing as a RuntimeError.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(RuntimeError) {
        do {
            try Directories.make(path, mode: mode)
        } catch {
            throw RuntimeError(stage: "mkdir", error.description, errno: error.errno)
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }
}
