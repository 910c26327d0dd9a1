import Glibc

/// How the host's cgroups are laid out.
public enum CgroupMode: String, Codable, Sendable {
    /// Only v1 hierarchies, one (or a few co-mounted) controllers each.
    case v1
    /// v1 hierarchies for the controllers plus a cgroup2 mount (usually /sys/fs/cgroup/unified)
    /// that has no controllers of ours; processes are placed there too.
    case hybrid
    /// One cgroup2 hierarchy with every controller (most current hosts).
    case unified

    /// The mode, from `<root>/proc/self/mountinfo`.
    public static func detect(root: String = "") throws(CgroupError) -> CgroupMode {
        try CgroupMounts.read(root: root).mode
    }

    /// The mode from what sits at `<root>/sys/fs/cgroup`, without reading mountinfo: only a cgroup2
    /// root has `cgroup.controllers` (Swift's Glibc module has no statfs(2) to ask for the file
    /// system magic). Knows only the standard layout; nil if there is no cgroup there.
    public static func detectByLayout(root: String = "") -> CgroupMode? {
        let base = root + "/sys/fs/cgroup"
        if access(base + "/cgroup.controllers", F_OK) == 0 { return .unified }
        let hasV1 = CgroupPaths.v1Controllers.contains { access(base + "/\($0)/cgroup.procs", F_OK) == 0 }
        guard hasV1 else { return nil }
        return access(base + "/unified/cgroup.controllers", F_OK) == 0 ? .hybrid : .v1
    }
}

/// One mounted cgroup hierarchy.
public struct CgroupMount: Sendable, Equatable {
    /// Where it is mounted, with the root prefix the table was read under.
    public var mountPoint: String
    /// The cgroup shown at the mount point (`/` unless the mount shows only part of the tree).
    public var root: String
    /// The v1 controllers (and `name=…`) of the hierarchy; empty for cgroup2.
    public var controllers: [String]

    public init(mountPoint: String, root: String = "/", controllers: [String] = []) {
        self.mountPoint = mountPoint
        self.root = root
        self.controllers = controllers
    }

    /// The directory of `cgroup` (a path in the hierarchy, like `/process_api/x`) under this mount.
    func directory(of cgroup: [String]) -> String {
        let rootComponents = components(of: root)
        if cgroup.starts(with: rootComponents) {
            return join(mountPoint, Array(cgroup.dropFirst(rootComponents.count)))
        }
        return join(mountPoint, cgroup)
    }
}

/// The cgroup file systems of the host, read from /proc/self/mountinfo.
public struct CgroupMounts: Sendable, Equatable {
    public var mode: CgroupMode
    /// The v1 hierarchies, one entry each (the first mount of each wins).
    public var hierarchies: [CgroupMount]
    /// The cgroup2 mount, if any.
    public var unified: CgroupMount?

    /// The v1 controllers that exist (the kernel's list); anything else in the options is a mount flag.
    static let knownControllers: Set<String> = [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio", "blkio",
        "perf_event", "hugetlb", "pids", "rdma", "misc",
    ]

    public init(mode: CgroupMode, hierarchies: [CgroupMount], unified: CgroupMount?) {
        self.mode = mode
        self.hierarchies = hierarchies
        self.unified = unified
    }

    /// Reads `<root>/proc/self/mountinfo`; mount points get `root` prepended.
    public static func read(root: String = "") throws(CgroupError) -> CgroupMounts {
        let fs = CgroupFS()
        return try parse(mountinfo: fs.read(root + "/proc/self/mountinfo"), root: root)
    }

    /// Parses mountinfo text (proc(5)); mount points get `root` prepended.
    public static func parse(mountinfo: String, root: String = "") throws(CgroupError) -> CgroupMounts {
        var hierarchies: [CgroupMount] = []
        var unified: CgroupMount?
        var seen: Set<String> = []
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 4 else { continue }
            let fsType = fields[dash + 1]
            let mount = CgroupMount(
                mountPoint: root + unescapeMountField(fields[4]), root: unescapeMountField(fields[3]))
            if fsType == "cgroup2" {
                if unified == nil { unified = mount }
            } else if fsType == "cgroup" {
                let controllers = fields[dash + 3].split(separator: ",").map(String.init).filter {
                    knownControllers.contains($0) || $0.hasPrefix("name=")
                }
                let key = controllers.sorted().joined(separator: ",")
                guard !controllers.isEmpty, !seen.contains(key) else { continue }
                seen.insert(key)
                var hierarchy = mount
                hierarchy.controllers = controllers
                hierarchies.append(hierarchy)
            }
        }
        let hasControllers = hierarchies.contains { $0.controllers.contains { !$0.hasPrefix("name=") } }
        let mode: CgroupMode
        switch (hasControllers, unified != nil) {
        case (true, true): mode = .hybrid
        case (true, false): mode = .v1
        case (false, true): mode = .unified
        case (false, false):
            throw CgroupError(stage: "detect cgroups", path: root + "/proc/self/mountinfo", detail: "no cgroup file system is mounted")
        }
        return CgroupMounts(mode: mode, hierarchies: hierarchies, unified: unified)
    }

    /// The v1 hierarchy that has `controller`.
    public func hierarchy(for controller: String) -> CgroupMount? {
        hierarchies.first { $0.controllers.contains(controller) }
    }
}

/// The cgroups a process is in, from /proc/<pid>/cgroup: controller → path in that hierarchy.
/// The cgroup2 path (line `0::/…`) is under the key `""`.
public struct ProcessCgroups: Sendable, Equatable {
    public var paths: [String: String]

    public init(paths: [String: String]) {
        self.paths = paths
    }

    /// Reads `<root>/proc/self/cgroup`.
    public static func read(root: String = "") throws(CgroupError) -> ProcessCgroups {
        try parse(CgroupFS().read(root + "/proc/self/cgroup"))
    }

    /// Parses lines like `4:memory:/process_api/x`, `1:cpu,cpuacct:/` and `0::/user.slice`.
    public static func parse(_ text: String) -> ProcessCgroups {
        var paths: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[1].isEmpty {
                paths[""] = path
            } else {
                for controller in parts[1].split(separator: ",") { paths[String(controller)] = path }
            }
        }
        return ProcessCgroups(paths: paths)
    }
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
func unescapeMountField(_ field: String) -> String {
    guard field.contains("\\") else { return field }
    let input = Array(field.utf8)
    func isOctal(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "7") }
    var bytes: [UInt8] = []
    var i = 0
    while i < input.count {
        if input[i] == UInt8(ascii: "\\"), i + 3 < input.count, input[(i + 1)...(i + 3)].allSatisfy(isOctal) {
            bytes.append(input[(i + 1)...(i + 3)].reduce(0) { $0 &* 8 &+ ($1 - UInt8(ascii: "0")) })
            i += 4
        } else {
            bytes.append(input[i])
            i += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The non-empty components of a slash-separated path.
func components(of path: String) -> [String] {
    path.split(separator: "/").map(String.init)
}
