import Foundation
import SkiffOCI
import Testing

@testable import SkiffCgroups

@Suite struct CgroupV1Tests {
    static let memory = "/sys/fs/cgroup/memory/process_api/abc/skiff/c1"
    static func dir(_ controller: String) -> String { "/sys/fs/cgroup/\(controller)/skiff/c1" }

    @Test func createWritesResources() throws {
        let host = try FakeHost(.hybrid)
        var manager = try host.manager()
        var cpu = CPU(shares: 512, quota: 50000, period: 100_000, cpus: "1", mems: "0")
        cpu.burst = 1000
        try manager.create(resources: Resources(
            memory: Memory(limit: 256 * MiB, reservation: 128 * MiB, swap: 512 * MiB, swappiness: 10, disableOOMKiller: true),
            cpu: cpu, pids: Pids(limit: 64), blockIO: .init(weight: 300)))

        #expect(host.read(Self.memory + "/memory.limit_in_bytes") == "268435456")
        #expect(host.read(Self.memory + "/memory.memsw.limit_in_bytes") == "536870912")
        #expect(host.read(Self.memory + "/memory.soft_limit_in_bytes") == "134217728")
        #expect(host.read(Self.memory + "/memory.swappiness") == "10")
        #expect(host.read(Self.memory + "/memory.oom_control") == "1")
        #expect(host.read(Self.dir("cpu") + "/cpu.shares") == "512")
        #expect(host.read(Self.dir("cpu") + "/cpu.cfs_quota_us") == "50000")
        #expect(host.read(Self.dir("cpu") + "/cpu.cfs_period_us") == "100000")
        #expect(host.read(Self.dir("cpu") + "/cpu.cfs_burst_us") == "1000")
        #expect(host.read(Self.dir("cpuset") + "/cpuset.cpus") == "1")
        #expect(host.read(Self.dir("cpuset") + "/cpuset.mems") == "0")
        #expect(host.read(Self.dir("pids") + "/pids.max") == "64")
        #expect(host.read(Self.dir("blkio") + "/blkio.weight") == "300")

        // Every hierarchy got its directory; what was made is recorded, outermost first.
        let base = host.root + "/sys/fs/cgroup"
        for controller in FakeHost.v1Mounts {
            #expect(FakeHost.isDirectory(manager.paths.controllers[controller]!))
        }
        #expect(manager.paths.created.contains(base + "/memory/process_api/abc/skiff"))
        #expect(!manager.paths.created.contains(base + "/memory/process_api/abc"))
        #expect(manager.paths.created.firstIndex(of: base + "/pids/skiff")! < manager.paths.created.firstIndex(of: base + "/pids/skiff/c1")!)
        #expect(manager.paths.created.contains(base + "/unified/skiff/c1"))
        #expect(manager.paths.created.count == 2 * 10)  // 9 v1 hierarchies (with name=systemd) and cgroup2
    }

    @Test func cpusetIsCopiedIntoNewLevels() throws {
        let host = try FakeHost(.v1)
        // A level someone else made and left empty is filled in too.
        try FileManager.default.createDirectory(atPath: host.root + "/sys/fs/cgroup/cpuset/outer", withIntermediateDirectories: false)
        try FakeHost.populate(root: host.root, layout: .v1, absolute: host.root + "/sys/fs/cgroup/cpuset/outer", isMountRoot: false)
        var manager = try host.manager(cgroupsPath: "outer/mid/leaf")
        try manager.create(resources: nil)
        for dir in ["outer", "outer/mid", "outer/mid/leaf"] {
            #expect(host.read("/sys/fs/cgroup/cpuset/\(dir)/cpuset.cpus") == "0-3")
            #expect(host.read("/sys/fs/cgroup/cpuset/\(dir)/cpuset.mems") == "0")
        }
        // The top of the hierarchy is left alone.
        #expect(!host.log.paths.contains(host.root + "/sys/fs/cgroup/cpuset/cpuset.cpus"))
    }

    @Test func cpusetKeepsValuesOfLevelsThatHaveThem() throws {
        let host = try FakeHost(.v1)
        var manager = try host.manager(cgroupsPath: "outer/leaf")
        try manager.create(resources: nil)
        try host.write("/sys/fs/cgroup/cpuset/outer/cpuset.cpus", "2-3")
        try host.write("/sys/fs/cgroup/cpuset/outer/leaf/cpuset.cpus", "")
        try manager.fillCpuset(manager.paths.controllers["cpuset"]!)
        #expect(host.read("/sys/fs/cgroup/cpuset/outer/cpuset.cpus") == "2-3")
        #expect(host.read("/sys/fs/cgroup/cpuset/outer/leaf/cpuset.cpus") == "2-3")
    }

    @Test func memoryAndSwapOrder() throws {
        let host = try FakeHost(.v1)
        var manager = try host.manager()
        try manager.create(resources: nil)
        func order() -> [String] {
            host.log.files(under: host.root + Self.memory).filter { $0.hasPrefix("memory.") && $0.hasSuffix("limit_in_bytes") }
        }
        // From unlimited to 256M/512M: lowering, so the limit first.
        try manager.apply(resources: Resources(memory: Memory(limit: 256 * MiB, swap: 512 * MiB)))
        #expect(order() == ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"])

        // Raising to 1G/2G from 256M: memsw first.
        let raise = try FakeHost(.v1)
        var raising = try raise.manager()
        try raising.create(resources: nil)
        try raise.write(Self.memory + "/memory.limit_in_bytes", String(256 * MiB))
        try raising.apply(resources: Resources(memory: Memory(limit: 1024 * MiB, swap: 2048 * MiB)))
        #expect(raise.log.files(under: raise.root + Self.memory) == ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"])
        #expect(raise.read(Self.memory + "/memory.limit_in_bytes") == "1073741824")
        #expect(raise.read(Self.memory + "/memory.memsw.limit_in_bytes") == "2147483648")

        // Unlimited memory takes memsw along, memsw first.
        let unlimit = try FakeHost(.v1)
        var unlimited = try unlimit.manager()
        try unlimited.create(resources: nil)
        try unlimited.apply(resources: Resources(memory: Memory(limit: -1)))
        #expect(unlimit.log.files(under: unlimit.root + Self.memory) == ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"])
        #expect(unlimit.read(Self.memory + "/memory.memsw.limit_in_bytes") == "-1")
    }

    @Test func swapBelowLimitIsRefused() throws {
        let host = try FakeHost(.v1)
        var manager = try host.manager()
        try manager.create(resources: nil)
        let error = try #require(throws: CgroupError.self) {
            try manager.apply(resources: Resources(memory: Memory(limit: 512 * MiB, swap: 256 * MiB)))
        }
        #expect(error.description == "apply memory.swap: memory+swap limit 268435456 is below the memory limit 536870912")
    }

    @Test func memswIsSkippedWithoutSwapAccounting() throws {
        let host = try FakeHost(.v1)
        var manager = try host.manager()
        try manager.create(resources: nil)
        try FileManager.default.removeItem(atPath: host.root + Self.memory + "/memory.memsw.limit_in_bytes")
        try manager.apply(resources: Resources(memory: Memory(limit: 64 * MiB, swap: 128 * MiB)))
        #expect(host.log.files(under: host.root + Self.memory) == ["memory.limit_in_bytes"])
    }

    @Test func pidsLimit() throws {
        let host = try FakeHost(.v1)
        var manager = try host.manager()
        try manager.create(resources: Resources(pids: Pids(limit: 100)))
        #expect(host.read(Self.dir("pids") + "/pids.max") == "100")
        try manager.apply(resources: Resources(pids: Pids(limit: 0)))
        #expect(host.read(Self.dir("pids") + "/pids.max") == "max")
        try manager.apply(resources: Resources(pids: Pids(limit: -1)))
        #expect(host.read(Self.dir("pids") + "/pids.max") == "max")
    }

    @Test func deviceRulesInOrder() throws {
        let host = try FakeHost(.v1)
        var manager = try host.manager()
        try manager.create(resources: Resources(devices: [
            DeviceRule(allow: false, access: "rwm"),
            DeviceRule(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
            DeviceRule(allow: true, type: "c", major: 136, minor: -1, access: "rw"),
            DeviceRule(allow: true, type: "b", access: "m"),
            DeviceRule(allow: false, type: "c", major: 5, minor: 1),
        ]))
        let dir = host.root + Self.dir("devices")
        #expect(host.log.files(under: dir) == ["devices.deny", "devices.allow", "devices.allow", "devices.allow", "devices.deny"])
        #expect(host.log.values(endingWith: "/devices.deny") + host.log.values(endingWith: "/devices.allow") == [
            "a *:* rwm", "c 5:1 rwm", "c 1:3 rwm", "c 136:* rw", "b *:* m",
        ])
        #expect(throws: CgroupError.self) {
            try manager.apply(resources: Resources(devices: [DeviceRule(allow: true, type: "x")]))
        }
        #expect(throws: CgroupError.self) {
            try manager.apply(resources: Resources(devices: [DeviceRule(allow: true, access: "rwx")]))
        }
    }

    @Test func cpuQuotaUnlimitedAndShares() throws {
        let host = try FakeHost(.v1)
        var manager = try host.manager()
        try manager.create(resources: Resources(cpu: CPU(shares: 2048, quota: -1)))
        #expect(host.read(Self.dir("cpu") + "/cpu.shares") == "2048")
        #expect(host.read(Self.dir("cpu") + "/cpu.cfs_quota_us") == "-1")
        #expect(host.read(Self.dir("cpu") + "/cpu.cfs_period_us") == "100000")  // untouched
    }

    @Test func unifiedKeys() throws {
        let v1 = try FakeHost(.v1)
        var onV1 = try v1.manager()
        let error = try #require(throws: CgroupError.self) {
            try onV1.create(resources: Resources(unified: ["memory.high": "1000000"]))
        }
        #expect(error.description.hasPrefix("apply unified: cgroup v2 files (memory.high) need cgroup v2"))

        let hybrid = try FakeHost(.hybrid)
        var onHybrid = try hybrid.manager()
        try onHybrid.create(resources: Resources(unified: ["cgroup.freeze": "0"]))
        #expect(hybrid.log.values(endingWith: "/unified/skiff/c1/cgroup.freeze") == ["0"])
    }

    @Test func controllerNotMounted() throws {
        let host = try FakeHost(.v1, v1Mounts: ["cpu", "memory"])
        var manager = try host.manager()
        let error = try #require(throws: CgroupError.self) {
            try manager.create(resources: Resources(pids: Pids(limit: 5)))
        }
        #expect(error.description == "apply pids limit: the pids controller is not mounted")
    }

    @Test func writeErrorsNameThePathAndErrno() throws {
        let host = try FakeHost(.v1)
        var manager = try host.manager()
        try manager.create(resources: nil)
        try FileManager.default.removeItem(atPath: host.root + Self.dir("pids") + "/pids.max")
        let error = try #require(throws: CgroupError.self) {
            try manager.apply(resources: Resources(pids: Pids(limit: 5)))
        }
        #expect(error.description == "write \(host.root + Self.dir("pids"))/pids.max: ENOENT (No such file or directory)")
        #expect(error.errno == ENOENT)
    }

    @Test func addProcessFreezeStats() throws {
        let host = try FakeHost(.hybrid)
        var manager = try host.manager()
        try manager.create(resources: nil)
        try manager.addProcess(pid: 4242)
        let procs = host.log.paths.filter { $0.hasSuffix("/cgroup.procs") }
        #expect(procs.count == 10)  // 9 v1 hierarchies (with name=systemd) and the cgroup2 one
        #expect(host.read(Self.dir("pids") + "/cgroup.procs") == "4242")
        #expect(host.read("/sys/fs/cgroup/unified/skiff/c1/cgroup.procs") == "4242")
        #expect(try manager.processes() == [4242])

        #expect(try manager.isFrozen() == false)
        try manager.freeze()
        #expect(host.read(Self.dir("freezer") + "/freezer.state") == "FROZEN")
        #expect(try manager.isFrozen())
        try manager.thaw()
        #expect(host.read(Self.dir("freezer") + "/freezer.state") == "THAWED")

        try host.write(Self.memory + "/memory.usage_in_bytes", "123456\n")
        try host.write(Self.memory + "/memory.limit_in_bytes", "268435456\n")
        try host.write(Self.memory + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
        try host.write(Self.dir("pids") + "/pids.current", "3\n")
        try host.write(Self.dir("cpuacct") + "/cpuacct.usage", "987654321\n")
        #expect(try manager.stats() == CgroupStats(
            memoryUsage: 123456, memoryLimit: 268_435_456, pidsCurrent: 3, pidsLimit: nil,
            cpuUsageNanoseconds: 987_654_321, oomKills: 2))
        // User/system ticks (USER_HZ 100), memory.stat, bytes per direction summed over devices.
        try host.write(Self.dir("cpuacct") + "/cpuacct.stat", "user 3\nsystem 2\n")
        try host.write(Self.memory + "/memory.stat", "cache 5\ntotal_inactive_file 10\n")
        try host.write(Self.dir("blkio") + "/blkio.throttle.io_service_bytes_recursive",
                       "8:0 Read 5\n8:0 Write 7\n8:0 Sync 12\n8:16 Read 1\nTotal 13\n")
        let more = try manager.stats()
        #expect(more.cpuUserNanoseconds == 30_000_000 && more.cpuSystemNanoseconds == 20_000_000)
        #expect(more.memoryStat == ["cache": 5, "total_inactive_file": 10])
        #expect(more.ioReadBytes == 6 && more.ioWriteBytes == 7)
        try host.write(Self.memory + "/memory.limit_in_bytes", "9223372036854771712\n")
        #expect(try manager.stats().memoryLimit == nil)
    }

    @Test func destroyRemovesWhatItMadeAndNoMore() throws {
        let host = try FakeHost(.hybrid)
        var first = try host.manager(id: "c1")
        var second = try host.manager(id: "c2")
        try first.create(resources: nil)
        try second.create(resources: nil)

        try first.destroy()
        for dir in first.paths.directories { #expect(!FileManager.default.fileExists(atPath: dir)) }
        // `skiff` still holds c2; the caller's own cgroup was never ours.
        #expect(FakeHost.isDirectory(host.root + "/sys/fs/cgroup/pids/skiff"))
        #expect(FakeHost.isDirectory(host.root + "/sys/fs/cgroup/memory/process_api/abc"))

        // A manager rebuilt from saved paths (as `delete` does) removes the rest, but c2 did not
        // make `skiff`, so it stays (empty).
        let rebuilt = CgroupManager(paths: second.paths, fs: host.fs)
        try rebuilt.destroy()
        for dir in second.paths.directories { #expect(!FileManager.default.fileExists(atPath: dir)) }
        #expect(FakeHost.isDirectory(host.root + "/sys/fs/cgroup/pids/skiff"))
        try rebuilt.destroy()  // again: nothing left, no error
    }

    @Test func destroyRemovesEmptyIntermediates() throws {
        let host = try FakeHost(.v1)
        var manager = try host.manager(cgroupsPath: "a/b/c")
        try manager.create(resources: nil)
        try manager.destroy()
        #expect(!host.exists("/sys/fs/cgroup/pids/a"))
        #expect(!host.exists("/sys/fs/cgroup/memory/process_api/abc/a"))
        #expect(host.exists("/sys/fs/cgroup/memory/process_api/abc"))
    }
}
