import Foundation
import SkiffOCI
import Testing

@testable import SkiffCgroups

@Suite struct CgroupV2Tests {
    static let leaf = "/sys/fs/cgroup/skiff/c1"

    @Test func createWritesResources() throws {
        let host = try FakeHost(.unified)
        var manager = try host.manager()
        var cpu = CPU(shares: 1024, quota: 50000, period: 100_000, cpus: "0-1", mems: "0")
        cpu.burst = 2000
        var io = RuntimeSpec.BlockIO(weight: 500)
        io.throttleReadBpsDevice = try JSONDecoder().decode(
            [RuntimeSpec.ThrottleDevice].self, from: Data(#"[{"major": 8, "minor": 0, "rate": 1048576}]"#.utf8))
        var resources = Resources(
            memory: Memory(limit: 256 * MiB, reservation: 64 * MiB, swap: 512 * MiB),
            cpu: cpu, pids: Pids(limit: 32), blockIO: io, unified: ["memory.high": "200000000"])
        resources.hugepageLimits = try JSONDecoder().decode(
            [RuntimeSpec.HugepageLimit].self, from: Data(#"[{"pageSize": "2MB", "limit": 4194304}, {"pageSize": "1GB", "limit": 0}]"#.utf8))
        try manager.create(resources: nil)
        try host.write(Self.leaf + "/hugetlb.2MB.max", "max")  // this host has 2MB pages only
        try manager.apply(resources: resources)
        func file(_ name: String) -> String? { host.read(Self.leaf + "/" + name) }
        #expect(file("memory.max") == "268435456")
        #expect(file("memory.swap.max") == "268435456")  // 512M memory+swap − 256M memory
        #expect(file("memory.low") == "67108864")
        #expect(file("memory.oom.group") == "1")
        #expect(file("memory.high") == "200000000")
        #expect(file("cpu.weight") == "39")
        #expect(file("cpu.max") == "50000 100000")
        #expect(file("cpu.max.burst") == "2000")
        #expect(file("cpuset.cpus") == "0-1")
        #expect(file("cpuset.mems") == "0")
        #expect(file("pids.max") == "32")
        #expect(file("io.weight") == "default 4950")
        #expect(file("io.max") == "8:0 rbps=1048576")
        #expect(file("hugetlb.2MB.max") == "4194304")
        #expect(!host.exists(Self.leaf + "/hugetlb.1GB.max"))
    }

    @Test func cpuMaxForms() throws {
        let host = try FakeHost(.unified)
        var manager = try host.manager()
        try manager.create(resources: Resources(cpu: CPU(quota: -1, period: 50000)))
        #expect(host.read(Self.leaf + "/cpu.max") == "max 50000")
        try manager.apply(resources: Resources(cpu: CPU(quota: 20000)))
        #expect(host.read(Self.leaf + "/cpu.max") == "20000")
        try manager.apply(resources: Resources(cpu: CPU(shares: 2)))
        #expect(host.read(Self.leaf + "/cpu.weight") == "1")
    }

    @Test func swapVariants() throws {
        let host = try FakeHost(.unified)
        var manager = try host.manager()
        try manager.create(resources: nil)
        func swapAfter(_ memory: Memory) throws -> String? {
            try host.write(Self.leaf + "/memory.swap.max", "untouched")
            try manager.apply(resources: Resources(memory: memory))
            return host.read(Self.leaf + "/memory.swap.max")
        }
        #expect(try swapAfter(Memory(limit: 64 * MiB, swap: 64 * MiB)) == "0")
        #expect(try swapAfter(Memory(limit: 64 * MiB, swap: -1)) == "max")
        #expect(try swapAfter(Memory(limit: -1)) == "max")
        #expect(host.read(Self.leaf + "/memory.max") == "max")
        #expect(try swapAfter(Memory(limit: 64 * MiB)) == "untouched")

        // Without swap accounting "max" and "0" are true anyway; anything else is an error.
        try FileManager.default.removeItem(atPath: host.root + Self.leaf + "/memory.swap.max")
        try manager.apply(resources: Resources(memory: Memory(limit: 64 * MiB, swap: 64 * MiB)))
        let error = try #require(throws: CgroupError.self) {
            try manager.apply(resources: Resources(memory: Memory(limit: 64 * MiB, swap: 128 * MiB)))
        }
        #expect(error.errno == ENOENT)
        #expect(error.description.hasSuffix("memory.swap.max: ENOENT (No such file or directory); is the memory controller enabled for this cgroup?"))
    }

    @Test func controllersAreEnabledFromTheRootDown() throws {
        let host = try FakeHost(.unified)
        // An existing slice with some controllers, two of them already enabled below it.
        try host.write("/sys/fs/cgroup/system.slice/cgroup.controllers", "cpu io memory pids")
        try host.write("/sys/fs/cgroup/system.slice/cgroup.subtree_control", "cpu memory")
        var manager = try host.manager(cgroupsPath: "/system.slice/skiff/c1")
        try manager.create(resources: Resources(pids: Pids(limit: 10)))

        #expect(host.log.values(endingWith: "/sys/fs/cgroup/cgroup.subtree_control") == ["+cpu +io +memory +pids"])
        #expect(host.log.values(endingWith: "/system.slice/cgroup.subtree_control") == ["+io +pids"])
        #expect(host.log.values(endingWith: "/system.slice/skiff/cgroup.subtree_control") == ["+cpu +io +memory +pids"])
        #expect(host.log.values(endingWith: "/c1/cgroup.subtree_control").isEmpty)  // the leaf holds processes
        #expect(manager.paths.created == [host.root + "/sys/fs/cgroup/system.slice/skiff", host.root + "/sys/fs/cgroup/system.slice/skiff/c1"])

        // Nothing to enable the second time.
        var again = try host.manager(id: "c2", cgroupsPath: "/system.slice/skiff/c2")
        try host.write("/sys/fs/cgroup/cgroup.subtree_control", "cpu io memory pids")
        try host.write("/sys/fs/cgroup/system.slice/cgroup.subtree_control", "cpu io memory pids")
        try again.create(resources: nil)
        #expect(host.log.values(endingWith: "/cgroup.subtree_control").count == 3)
    }

    @Test func missingRequiredControllerIsAnError() throws {
        let host = try FakeHost(.unified)
        try host.write("/sys/fs/cgroup/system.slice/cgroup.controllers", "cpu io memory pids")
        var manager = try host.manager(cgroupsPath: "/system.slice/c1")
        let error = try #require(throws: CgroupError.self) {
            try manager.create(resources: Resources(cpu: CPU(cpus: "1")))
        }
        #expect(error.description == "enable controller cpuset \(host.root)/sys/fs/cgroup/system.slice: not available here (cgroup.controllers: cpu io memory pids)")
        // What was made is recorded, so destroy can clean up.
        #expect(manager.paths.created == [host.root + "/sys/fs/cgroup/system.slice/c1"])
        try manager.destroy()
        #expect(!host.exists("/sys/fs/cgroup/system.slice/c1"))
    }

    @Test func baselineControllersAreOnlyEnabledWhereAvailable() throws {
        let host = try FakeHost(.unified)
        try host.write("/sys/fs/cgroup/cgroup.controllers", "hugetlb")
        var manager = try host.manager()
        try manager.create(resources: nil)
        #expect(host.log.values(endingWith: "/cgroup.subtree_control").isEmpty)
    }

    @Test func devicesAreSkipped() throws {
        let host = try FakeHost(.unified)
        var manager = try host.manager()
        try manager.create(resources: Resources(devices: [DeviceRule(allow: false, access: "rwm")]))
        #expect(!host.log.paths.contains { $0.contains("devices") })
    }

    @Test func unifiedKeysMustBeFileNames() throws {
        let host = try FakeHost(.unified)
        var manager = try host.manager()
        try manager.create(resources: nil)
        #expect(throws: CgroupError.self) { try manager.apply(resources: Resources(unified: ["../escape": "1"])) }
    }

    @Test func freezeStatsDestroy() throws {
        let host = try FakeHost(.unified)
        var manager = try host.manager()
        try manager.create(resources: nil)
        try manager.addProcess(pid: 777)
        #expect(try manager.processes() == [777])
        try host.write(Self.leaf + "/cgroup.procs", "")

        try manager.freeze()
        #expect(host.read(Self.leaf + "/cgroup.freeze") == "1")
        #expect(try manager.isFrozen())
        try manager.thaw()
        #expect(try !manager.isFrozen())

        try host.write(Self.leaf + "/memory.current", "4096\n")
        try host.write(Self.leaf + "/memory.max", "max\n")
        try host.write(Self.leaf + "/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
        try host.write(Self.leaf + "/pids.current", "2\n")
        try host.write(Self.leaf + "/pids.max", "20\n")
        try host.write(Self.leaf + "/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n")
        try host.write(Self.leaf + "/memory.stat", "anon 200\ninactive_file 100\n")
        try host.write(Self.leaf + "/io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n")
        var expected = CgroupStats(
            memoryUsage: 4096, memoryLimit: nil, pidsCurrent: 2, pidsLimit: 20, cpuUsageNanoseconds: 1_500_000, oomKills: 1)
        expected.cpuUserNanoseconds = 1_000_000
        expected.cpuSystemNanoseconds = 500_000
        expected.memoryStat = ["anon": 200, "inactive_file": 100]
        expected.ioReadBytes = 11
        expected.ioWriteBytes = 22
        #expect(try manager.stats() == expected)

        try manager.destroy()
        #expect(host.log.values(endingWith: "/c1/cgroup.kill") == ["1"])
        #expect(!host.exists("/sys/fs/cgroup/skiff"))
    }
}

@Suite struct ValueTests {
    @Test func sharesToWeight() {
        // runc's table: 1 + ((shares - 2) * 9999) / 262142.
        #expect(CgroupValues.cpuWeight(shares: 2) == 1)
        #expect(CgroupValues.cpuWeight(shares: 512) == 20)
        #expect(CgroupValues.cpuWeight(shares: 1024) == 39)
        #expect(CgroupValues.cpuWeight(shares: 262_144) == 10000)
        // Out of v1's range: clamped, not wrapped.
        #expect(CgroupValues.cpuWeight(shares: 1) == 1)
        #expect(CgroupValues.cpuWeight(shares: 1_000_000) == 10000)
    }

    @Test func blkioToIOWeight() {
        #expect(CgroupValues.ioWeight(blkioWeight: 10) == 1)
        #expect(CgroupValues.ioWeight(blkioWeight: 1000) == 10000)
        #expect(CgroupValues.ioWeight(blkioWeight: 500) == 4950)
    }

    @Test func swapArithmetic() throws {
        #expect(try CgroupValues.swapMax(swap: 512 * MiB, limit: 256 * MiB) == String(256 * MiB))
        #expect(try CgroupValues.swapMax(swap: 256 * MiB, limit: 256 * MiB) == "0")
        #expect(try CgroupValues.swapMax(swap: -1, limit: 256 * MiB) == "max")
        #expect(try CgroupValues.swapMax(swap: nil, limit: -1) == "max")
        #expect(try CgroupValues.swapMax(swap: nil, limit: 256 * MiB) == nil)
        #expect(try CgroupValues.swapMax(swap: 0, limit: nil) == nil)
        #expect(throws: CgroupError.self) { try CgroupValues.swapMax(swap: 128 * MiB, limit: 256 * MiB) }
        #expect(throws: CgroupError.self) { try CgroupValues.swapMax(swap: 128 * MiB, limit: nil) }
        #expect(throws: CgroupError.self) { try CgroupValues.swapMax(swap: 128 * MiB, limit: -1) }
    }

    @Test func deviceLines() throws {
        #expect(try CgroupValues.deviceLine(DeviceRule(allow: false)) == "a *:* rwm")
        #expect(try CgroupValues.deviceLine(DeviceRule(allow: true, type: "c", major: 1, minor: 3, access: "rwm")) == "c 1:3 rwm")
        #expect(try CgroupValues.deviceLine(DeviceRule(allow: true, type: "c", major: 136, minor: -1, access: "rw")) == "c 136:* rw")
        #expect(try CgroupValues.deviceLine(DeviceRule(allow: true, type: "b", major: -1, access: "")) == "b *:* rwm")
    }

    @Test func standardDeviceRules() throws {
        let lines = try CgroupManager.standardDeviceRules.map { rule throws(CgroupError) in try CgroupValues.deviceLine(rule) }
        #expect(lines == ["c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm", "c 1:5 rwm", "c 1:9 rwm", "c 136:* rwm", "c 5:2 rwm"])
    }

    @Test func errorText() {
        let error = CgroupError(stage: "write", path: "/sys/fs/cgroup/memory/skiff/abc/memory.limit_in_bytes", errno: EINVAL)
        #expect(error.description == "write /sys/fs/cgroup/memory/skiff/abc/memory.limit_in_bytes: EINVAL (Invalid argument)")
        #expect(CgroupError(stage: "freeze", detail: "the freezer controller is not mounted").description
            == "freeze: the freezer controller is not mounted")
    }
}
