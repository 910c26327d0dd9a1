import Foundation
import SkiffOCI
import Synchronization

@testable import SkiffCgroups

typealias Resources = RuntimeSpec.Resources
typealias Memory = RuntimeSpec.Memory
typealias CPU = RuntimeSpec.CPU
typealias Pids = RuntimeSpec.Pids
typealias DeviceRule = RuntimeSpec.DeviceRule

let MiB: Int64 = 1024 * 1024

/// Every write the manager makes, in order.
final class WriteLog: Sendable {
    private let entries = Mutex<[(path: String, value: String)]>([])

    func append(_ path: String, _ value: String) {
        entries.withLock { $0.append((path, value)) }
    }

    /// What was written to files ending in `suffix`, in order.
    func values(endingWith suffix: String) -> [String] {
        entries.withLock { $0.filter { $0.path.hasSuffix(suffix) }.map(\.value) }
    }

    /// The files written, in order, by last path component, for paths under `dir`.
    func files(under dir: String) -> [String] {
        entries.withLock { $0.filter { $0.path.hasPrefix(dir + "/") }.map { String($0.path.split(separator: "/").last!) } }
    }

    var paths: [String] {
        entries.withLock { $0.map(\.path) }
    }
}

/// A host in a temporary directory: /proc/self/{mountinfo,cgroup} and cgroup hierarchies made of
/// plain directories. Its `fs` plays the kernel: mkdir fills a directory with the control files
/// of its hierarchy, rmdir empties it first, and writing cgroup.freeze updates cgroup.events.
final class FakeHost: Sendable {
    enum Layout { case v1, hybrid, unified }

    let root: String
    let layout: Layout
    let log = WriteLog()

    /// The v1 hierarchies of this machine: cpu and cpuacct mounted apart.
    static let v1Mounts = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"]

    /// `ownMemory`: the caller's memory cgroup; `ownUnified`: its cgroup2 path.
    init(_ layout: Layout, ownMemory: String = "/process_api/abc", ownUnified: String = "/", v1Mounts: [String] = FakeHost.v1Mounts) throws {
        self.layout = layout
        root = try FakeHost.makeTemporaryDirectory()
        var mountinfo = [
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw",
            "23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw",
        ]
        var procCgroup: [String] = []
        if layout == .unified {
            mountinfo.append("31 23 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot")
            procCgroup.append("0::\(ownUnified)")
            try populate("/sys/fs/cgroup", isMountRoot: true)
            try makeOwn("/sys/fs/cgroup", ownUnified)
        } else {
            mountinfo.append("31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755")
            for (i, controller) in v1Mounts.enumerated() {
                mountinfo.append("\(32 + i) 31 0:\(29 + i) / /sys/fs/cgroup/\(controller) rw,relatime shared:\(5 + i) - cgroup cgroup rw,\(controller)")
                let own = controller == "memory" ? ownMemory : "/"
                procCgroup.append("\(v1Mounts.count - i):\(controller):\(own)")
                try populate("/sys/fs/cgroup/\(controller)", isMountRoot: true)
                try makeOwn("/sys/fs/cgroup/\(controller)", own)
            }
            mountinfo.append("40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd")
            procCgroup.insert("\(v1Mounts.count + 1):name=systemd:/", at: 0)
            try populate("/sys/fs/cgroup/systemd", isMountRoot: true)
            if layout == .hybrid {
                mountinfo.append("41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw")
                procCgroup.append("0::\(ownUnified)")
                try populate("/sys/fs/cgroup/unified", isMountRoot: true)
                try makeOwn("/sys/fs/cgroup/unified", ownUnified)
            }
        }
        try write("/proc/self/mountinfo", mountinfo.joined(separator: "\n") + "\n")
        try write("/proc/self/cgroup", procCgroup.joined(separator: "\n") + "\n")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    static func makeTemporaryDirectory() throws -> String {
        var template = Array("/tmp/skiff-cgroups-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        return String(cString: made)
    }

    /// The manager's file system with this host's kernel behaviour.
    var fs: CgroupFS {
        let root = self.root, log = self.log, layout = self.layout
        return CgroupFS(
            didMakeDirectory: { path in try? FakeHost.populate(root: root, layout: layout, absolute: path, isMountRoot: false) },
            willRemoveDirectory: { path in
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                for name in entries where !FakeHost.isDirectory(path + "/" + name) {
                    try? FileManager.default.removeItem(atPath: path + "/" + name)
                }
            },
            didWrite: { path, value in
                log.append(path, value)
                if path.hasSuffix("/cgroup.freeze") {
                    let events = "populated 1\nfrozen \(value == "1" ? 1 : 0)\n"
                    try? events.write(toFile: parent(of: path) + "/cgroup.events", atomically: false, encoding: .utf8)
                }
            })
    }

    /// A manager for container `id`, resolved on this host.
    func manager(id: String = "c1", cgroupsPath: String? = nil) throws -> CgroupManager {
        CgroupManager(paths: try CgroupPaths.resolve(cgroupsPath: cgroupsPath, id: id, root: root), fs: fs)
    }

    // MARK: Files

    func write(_ path: String, _ text: String) throws {
        let full = root + path
        try FileManager.default.createDirectory(atPath: parent(of: full), withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: false, encoding: .utf8)
    }

    func read(_ path: String) -> String? {
        try? String(contentsOfFile: root + path, encoding: .utf8)
    }

    func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: root + path)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Makes the caller's own cgroup below `mount`, as the kernel would have it.
    private func makeOwn(_ mount: String, _ own: String) throws {
        var dir = mount
        for part in own.split(separator: "/") {
            dir += "/" + part
            try FileManager.default.createDirectory(atPath: root + dir, withIntermediateDirectories: true)
            try populate(dir, isMountRoot: false)
        }
    }

    private func populate(_ dir: String, isMountRoot: Bool) throws {
        try FileManager.default.createDirectory(atPath: root + dir, withIntermediateDirectories: true)
        try FakeHost.populate(root: root, layout: layout, absolute: root + dir, isMountRoot: isMountRoot)
    }

    /// Control files of a directory of the hierarchy that `absolute` is in.
    static func populate(root: String, layout: Layout, absolute: String, isMountRoot: Bool) throws {
        let relative = String(absolute.dropFirst((root + "/sys/fs/cgroup").count))
        let parts = relative.split(separator: "/")
        let hierarchy = layout == .unified ? "" : (parts.first.map(String.init) ?? "")
        var files = ["cgroup.procs": ""]
        if !isMountRoot { files["tasks"] = "" }
        switch hierarchy {
        case "memory":
            let unlimited = "9223372036854771712"
            files["memory.limit_in_bytes"] = unlimited
            files["memory.soft_limit_in_bytes"] = unlimited
            files["memory.memsw.limit_in_bytes"] = unlimited
            files["memory.swappiness"] = "60"
            files["memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"
            files["memory.usage_in_bytes"] = "0"
        case "cpu":
            files["cpu.shares"] = "1024"
            files["cpu.cfs_period_us"] = "100000"
            files["cpu.cfs_quota_us"] = "-1"
            files["cpu.cfs_burst_us"] = "0"
        case "cpuacct":
            files["cpuacct.usage"] = "0"
        case "cpuset":
            files["cpuset.cpus"] = isMountRoot ? "0-3" : ""
            files["cpuset.mems"] = isMountRoot ? "0" : ""
        case "pids":
            if !isMountRoot {
                files["pids.max"] = "max"
                files["pids.current"] = "0"
            }
        case "freezer":
            if !isMountRoot { files["freezer.state"] = "THAWED" }
        case "devices":
            files["devices.allow"] = ""
            files["devices.deny"] = ""
            files["devices.list"] = "a *:* rwm"
        case "blkio":
            files["blkio.weight"] = "500"
            files["blkio.throttle.read_bps_device"] = ""
            files["blkio.throttle.write_bps_device"] = ""
        case "unified":
            files["cgroup.controllers"] = isMountRoot ? "hugetlb" : ""
            files["cgroup.subtree_control"] = ""
            if !isMountRoot {
                files["cgroup.freeze"] = "0"
                files["cgroup.events"] = "populated 0\nfrozen 0\n"
            }
        case "":  // pure v2; no cgroup.controllers below the root, so that what the parent enabled counts
            files["cgroup.subtree_control"] = ""
            if isMountRoot {
                files["cgroup.controllers"] = "cpuset cpu io memory hugetlb pids rdma misc"
            } else {
                files["cgroup.freeze"] = "0"
                files["cgroup.events"] = "populated 0\nfrozen 0\n"
                files["cgroup.kill"] = ""
                files["memory.max"] = "max"
                files["memory.low"] = "0"
                files["memory.swap.max"] = "max"
                files["memory.oom.group"] = "0"
                files["memory.current"] = "0"
                files["memory.events"] = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"
                files["memory.high"] = "max"
                files["cpu.weight"] = "100"
                files["cpu.max"] = "max 100000"
                files["cpu.max.burst"] = "0"
                files["cpu.stat"] = "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"
                files["cpuset.cpus"] = ""
                files["cpuset.mems"] = ""
                files["pids.max"] = "max"
                files["pids.current"] = "0"
                files["io.weight"] = "default 100"
                files["io.max"] = ""
            }
        default:
            break
        }
        for (name, content) in files {
            try content.write(toFile: absolute + "/" + name, atomically: false, encoding: .utf8)
        }
    }
}
