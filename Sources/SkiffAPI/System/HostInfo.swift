import Glibc

/// What /version and /info report about the machine.
struct HostInfo: Sendable {
    /// uname -r.
    var kernelVersion: String
    /// uname -m: "x86_64".
    var machine: String
    var hostname: String
    /// os-release PRETTY_NAME: "Debian GNU/Linux 12 (bookworm)".
    var operatingSystem: String
    /// os-release VERSION_ID: "12".
    var osVersion: String
    var cpus: Int
    var memTotal: Int64
    /// "2" on a unified hierarchy, else "1".
    var cgroupVersion: String

    /// Go's GOARCH for `machine`, as /version's Arch.
    var goArch: String {
        switch machine {
        case "x86_64": "amd64"
        case "aarch64", "arm64": "arm64"
        case "armv7l": "arm"
        case "i686", "i386": "386"
        default: machine
        }
    }

    static func current() -> HostInfo {
        var names = utsname()
        uname(&names)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        let osRelease = readOSRelease()
        // A unified hierarchy has cgroup.controllers at its root.
        let cgroup2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
        return HostInfo(
            kernelVersion: field(names.release), machine: field(names.machine), hostname: field(names.nodename),
            operatingSystem: osRelease["PRETTY_NAME"] ?? "Linux", osVersion: osRelease["VERSION_ID"] ?? "",
            cpus: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), memTotal: readMemTotal(),
            cgroupVersion: cgroup2 ? "2" : "1")
    }

    /// /etc/os-release (or /usr/lib/os-release) as key → unquoted value.
    private static func readOSRelease() -> [String: String] {
        guard let text = readSmallFile("/etc/os-release") ?? readSmallFile("/usr/lib/os-release") else { return [:] }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
            var value = line[line.index(after: eq)...]
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                value = value.dropFirst().dropLast()
            }
            values[String(line[..<eq])] = String(value)
        }
        return values
    }
}

/// MemTotal from /proc/meminfo, in bytes.
private func readMemTotal() -> Int64 {
    for line in (readSmallFile("/proc/meminfo") ?? "").split(separator: "\n") where line.hasPrefix("MemTotal:") {
        let kib = line.split(separator: " ").dropFirst().first.flatMap { Int64($0) } ?? 0
        return kib * 1024
    }
    return 0
}

/// The file system holding `path` (the longest mount point above it in
/// /proc/self/mounts), in dockerd's words: "extfs", "xfs", "tmpfs", ...
func filesystemName(_ path: String) -> String {
    var best = (length: -1, type: "")
    for line in (readSmallFile("/proc/self/mounts") ?? "").split(separator: "\n") {
        let fields = line.split(separator: " ")
        guard fields.count >= 3 else { continue }
        let point = String(fields[1]).replacing("\\040", with: " ")
        let inside = point == "/" || path == point || path.hasPrefix(point + "/")
        if inside, point.count > best.length { best = (point.count, String(fields[2])) }
    }
    switch best.type {
    case "ext2", "ext3", "ext4": return "extfs"
    case "overlay": return "overlayfs"
    case "": return "<unknown>"
    default: return best.type
    }
}

/// A small file's text; nil if it cannot be read.
func readSmallFile(_ path: String, limit: Int = 1 << 20) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16384)
    while bytes.count < limit {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Open file descriptors of this process (/info's NFd).
func openFileCount() -> Int {
    guard let dir = opendir("/proc/self/fd") else { return 0 }
    defer { closedir(dir) }
    var count = 0
    while readdir(dir) != nil { count += 1 }
    return max(0, count - 3)  // ".", "..", and the directory's own descriptor
}
