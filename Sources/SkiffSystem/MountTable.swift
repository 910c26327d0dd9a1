import Glibc

/// The mounts this process sees (`/proc/self/mountinfo`): mount points and
/// their propagation, for checks a `stat` cannot make (a bind mount of a
/// directory on the same file system keeps its device number).
public struct MountTable: Sendable {
    public struct Entry: Sendable, Equatable {
        /// The mount point, unescaped (`\040` → space).
        public var mountPoint: String
        /// The optional fields: `shared:N`, `master:N`, `propagate_from:N`, `unbindable`.
        public var tags: [String]

        public var isShared: Bool { tags.contains { $0.hasPrefix("shared:") } }
        public var isSlave: Bool { tags.contains { $0.hasPrefix("master:") } }
    }

    public var entries: [Entry]

    /// The current table ([] if it cannot be read).
    public static func current() -> MountTable {
        let fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return MountTable(entries: []) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return MountTable(parsing: String(decoding: bytes, as: UTF8.self))
    }

    /// Parses mountinfo text: `ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS...] - TYPE SOURCE SUPER`.
    public init(parsing text: String) {
        entries = text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 7, let dash = fields.firstIndex(of: "-"), dash >= 6 else { return nil }
            return Entry(mountPoint: Self.unescape(fields[4]), tags: Array(fields[6..<dash]))
        }
    }

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// Whether something is mounted at exactly `path`.
    public func isMountPoint(_ path: String) -> Bool {
        entries.contains { $0.mountPoint == path }
    }

    /// The mount `path` lies on: the deepest mount point that is `path` or
    /// one of its parents (of several at one point, the last mounted).
    public func mount(containing path: String) -> Entry? {
        var best: Entry?
        for entry in entries
        where entry.mountPoint == "/" || path == entry.mountPoint || path.hasPrefix(entry.mountPoint + "/") {
            if entry.mountPoint.utf8.count >= (best?.mountPoint.utf8.count ?? 0) { best = entry }
        }
        return best
    }

    /// mountinfo escapes space, tab, newline and backslash as `\ooo`.
    static func unescape(_ field: String) -> String {
        let bytes = Array(field.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 4 <= bytes.count,
               let value = UInt8(String(decoding: bytes[(i + 1)..<(i + 4)], as: UTF8.self), radix: 8) {
                out.append(value)
                i += 4
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
