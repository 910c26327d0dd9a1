import Foundation
import SkiffOCI
import Testing

@testable import SkiffCgroups

// Against the real kernel: each test makes its own uniquely named cgroups, runs /bin/sleep in them
// and removes everything in a defer.

private let isRoot = getuid() == 0
private let hasV1Memory = isRoot && access("/sys/fs/cgroup/memory/cgroup.procs", W_OK) == 0
private let unifiedMount = (try? CgroupMounts.read())?.unified
private let hasUnified = isRoot && unifiedMount.map { access($0.mountPoint + "/cgroup.procs", W_OK) == 0 } == true

/// A name no other run uses.
private func uniqueName() -> String {
    "skiff-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
}

/// Starts `/bin/sleep 5`.
private func spawnSleep() throws -> pid_t {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("5"), nil]
    let envp: [UnsafeMutablePointer<CChar>?] = [nil]
    defer { argv.forEach { free($0) } }
    let rc = posix_spawn(&pid, "/bin/sleep", nil, nil, argv, envp)
    try #require(rc == 0, "posix_spawn: \(String(cString: strerror(rc)))")
    return pid
}

/// Reaps `pid`; returns the signal that ended it (0 if it exited).
private func reap(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status & 0x7f
}

private func read(_ path: String) -> String? {
    (try? String(contentsOfFile: path, encoding: .utf8)).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// The line of /proc/<pid>/cgroup for `controller` ("" for cgroup2).
private func cgroupOf(_ pid: pid_t, _ controller: String) -> String? {
    let own = ProcessCgroups.parse(read("/proc/\(pid)/cgroup") ?? "")
    return own.paths[controller]
}

@Suite struct KernelTests {
    @Test(.enabled(if: hasV1Memory, "needs root and a cgroup v1 memory hierarchy at /sys/fs/cgroup/memory"))
    func v1RealKernel() throws {
        let name = uniqueName()
        var manager = try CgroupManager.forContainer(id: "ctr", cgroupsPath: "\(name)/ctr")
        var child: pid_t = 0
        defer {
            if child > 0 {
                kill(child, SIGKILL)
                _ = reap(child)
            }
            try? manager.destroy()
        }
        #expect(manager.paths.mode != .unified)
        let memory = try #require(manager.paths.controllers["memory"])
        let pids = try #require(manager.paths.controllers["pids"])
        let own = try ProcessCgroups.read()
        // Nested below our own memory cgroup (e.g. /process_api/<id>), not at the hierarchy's top.
        #expect(memory == join("/sys/fs/cgroup/memory", components(of: own.paths["memory"] ?? "/") + [name, "ctr"]))

        try manager.create(resources: Resources(
            devices: [DeviceRule(allow: false, access: "rwm")] + CgroupManager.standardDeviceRules,
            memory: Memory(limit: 64 * MiB), cpu: CPU(shares: 512), pids: Pids(limit: 16)))
        #expect(read(memory + "/memory.limit_in_bytes") == String(64 * MiB))
        #expect(read(pids + "/pids.max") == "16")
        if let cpu = manager.paths.controllers["cpu"] { #expect(read(cpu + "/cpu.shares") == "512") }
        if let devices = manager.paths.controllers["devices"] {
            let list = Set((read(devices + "/devices.list") ?? "").split(separator: "\n").map(String.init))
            #expect(list.isSuperset(of: ["c 1:3 rwm", "c 136:* rwm", "b *:* m"]))
            #expect(!list.contains("a *:* rwm"))
        }
        if let cpuset = manager.paths.controllers["cpuset"] {
            // Copied down from the top, or the cgroup could not take the process below.
            #expect(read(cpuset + "/cpuset.cpus") == read("/sys/fs/cgroup/cpuset/cpuset.cpus"))
            #expect(read(cpuset + "/cpuset.mems") == read("/sys/fs/cgroup/cpuset/cpuset.mems"))
        }

        child = try spawnSleep()
        try manager.addProcess(pid: child)
        #expect(try manager.processes() == [child])
        #expect(cgroupOf(child, "memory")?.hasSuffix("/\(name)/ctr") == true)
        #expect(cgroupOf(child, "pids") == "/\(name)/ctr")
        if manager.paths.mode == .hybrid, manager.paths.unified != nil {
            #expect(cgroupOf(child, "")?.hasSuffix("/\(name)/ctr") == true)
        }

        let stats = try manager.stats()
        #expect((stats.pidsCurrent ?? 0) >= 1)
        #expect(stats.pidsLimit == 16)
        #expect(stats.memoryLimit == UInt64(64 * MiB))
        #expect(stats.memoryUsage != nil)  // may be 0: v1 does not move charges with a task
        #expect(stats.cpuUsageNanoseconds != nil)
        #expect(stats.oomKills == 0)

        if let freezer = manager.paths.controllers["freezer"] {
            try manager.freeze()
            #expect(read(freezer + "/freezer.state") == "FROZEN")
            #expect(try manager.isFrozen())
            try manager.thaw()
            #expect(read(freezer + "/freezer.state") == "THAWED")
            #expect(try !manager.isFrozen())
            try manager.freeze()  // destroy has to thaw to kill
        }

        try manager.destroy()
        #expect(reap(child) == SIGKILL)
        child = 0
        for dir in manager.paths.directories + manager.paths.created {
            #expect(access(dir, F_OK) != 0, "\(dir) is still there")
        }
    }

    @Test(.enabled(if: hasUnified, "needs root and a writable cgroup2 mount"))
    func v2RealKernel() throws {
        let name = uniqueName()
        let unified = try #require(unifiedMount)
        // This host's cgroup2 tree, used on its own as a v2 host.
        let mounts = CgroupMounts(mode: .unified, hierarchies: [], unified: unified)
        var manager = CgroupManager(paths: try CgroupPaths.resolve(
            cgroupsPath: "\(name)/ctr", id: "ctr", mounts: mounts, own: ProcessCgroups.read()))
        var child: pid_t = 0
        defer {
            if child > 0 {
                kill(child, SIGKILL)
                _ = reap(child)
            }
            try? manager.destroy()
        }
        let dir = try #require(manager.paths.unified)
        #expect(dir.hasSuffix("/\(name)/ctr"))

        try manager.create(resources: nil)
        #expect(access(dir + "/cgroup.procs", F_OK) == 0)
        child = try spawnSleep()
        try manager.addProcess(pid: child)
        #expect(try manager.processes() == [child])
        #expect(cgroupOf(child, "")?.hasSuffix("/\(name)/ctr") == true)
        #expect(try manager.stats().cpuUsageNanoseconds != nil)

        try manager.freeze()
        #expect(read(dir + "/cgroup.events")?.contains("frozen 1") == true)
        #expect(try manager.isFrozen())
        try manager.thaw()
        #expect(read(dir + "/cgroup.events")?.contains("frozen 0") == true)
        #expect(try !manager.isFrozen())
        try manager.freeze()

        try manager.destroy()
        #expect(reap(child) == SIGKILL)
        child = 0
        for path in manager.paths.directories + manager.paths.created {
            #expect(access(path, F_OK) != 0, "\(path) is still there")
        }
    }
}
