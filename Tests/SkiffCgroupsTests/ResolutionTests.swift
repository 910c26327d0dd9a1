import Foundation
import Testing

@testable import SkiffCgroups

@Suite struct DetectionTests {
    /// This machine's mountinfo: v1 controllers apart, plus an empty cgroup2.
    static let hybridMountinfo = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    @Test func hybridHost() throws {
        let mounts = try CgroupMounts.parse(mountinfo: Self.hybridMountinfo)
        #expect(mounts.mode == .hybrid)
        #expect(mounts.hierarchy(for: "memory") == CgroupMount(mountPoint: "/sys/fs/cgroup/memory", controllers: ["memory"]))
        #expect(mounts.hierarchy(for: "cpuacct")?.mountPoint == "/sys/fs/cgroup/cpuacct")
        #expect(mounts.hierarchy(for: "name=systemd")?.mountPoint == "/sys/fs/cgroup/systemd")
        #expect(mounts.hierarchy(for: "pids") == nil)
        #expect(mounts.unified == CgroupMount(mountPoint: "/sys/fs/cgroup/unified"))
    }

    @Test func pureV1WithCoMountedControllers() throws {
        let mounts = try CgroupMounts.parse(mountinfo: """
            25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:8 - cgroup cgroup rw,cpu,cpuacct
            26 24 0:23 / /sys/fs/cgroup/memory rw,nosuid shared:9 - cgroup cgroup rw,memory
            27 24 0:24 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio
            """, root: "/fake")
        #expect(mounts.mode == .v1)
        #expect(mounts.unified == nil)
        #expect(mounts.hierarchy(for: "cpu") == mounts.hierarchy(for: "cpuacct"))
        #expect(mounts.hierarchy(for: "cpu")?.mountPoint == "/fake/sys/fs/cgroup/cpu,cpuacct")
        #expect(mounts.hierarchy(for: "cpu")?.controllers == ["cpu", "cpuacct"])
    }

    @Test func unifiedHostIgnoresNamedV1Hierarchies() throws {
        let mounts = try CgroupMounts.parse(mountinfo: """
            31 23 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
            50 31 0:40 / /run/systemd/legacy rw - cgroup cgroup rw,name=systemd
            """)
        #expect(mounts.mode == .unified)
        #expect(mounts.unified?.mountPoint == "/sys/fs/cgroup")
    }

    @Test func noCgroupsIsAnError() {
        #expect(throws: CgroupError.self) {
            try CgroupMounts.parse(mountinfo: "22 1 8:1 / / rw - ext4 /dev/vda1 rw\n")
        }
    }

    @Test func escapedMountPointAndContainerView() throws {
        let mounts = try CgroupMounts.parse(mountinfo: """
            60 59 0:32 /docker/abc /sys/fs/cgroup/my\\040memory ro,nosuid - cgroup cgroup rw,memory
            """)
        let memory = try #require(mounts.hierarchy(for: "memory"))
        #expect(memory.mountPoint == "/sys/fs/cgroup/my memory")
        #expect(memory.root == "/docker/abc")
        // A cgroup path seen through that mount loses the mount's root.
        #expect(memory.directory(of: ["docker", "abc", "skiff", "x"]) == "/sys/fs/cgroup/my memory/skiff/x")
    }

    @Test func procSelfCgroup() {
        let own = ProcessCgroups.parse("""
            9:name=systemd:/
            4:memory:/process_api/c04d
            1:cpu,cpuacct:/a/b
            0::/user.slice/u.scope
            """)
        #expect(own.paths["memory"] == "/process_api/c04d")
        #expect(own.paths["cpu"] == "/a/b")
        #expect(own.paths["cpuacct"] == "/a/b")
        #expect(own.paths["name=systemd"] == "/")
        #expect(own.paths[""] == "/user.slice/u.scope")
    }

    @Test func thisHost() throws {
        // Whatever the host, both ways of looking agree on the mode.
        guard access("/proc/self/mountinfo", R_OK) == 0, let quick = CgroupMode.detectByLayout() else { return }
        #expect(try CgroupMode.detect() == quick)
    }
}

@Suite struct PathResolutionTests {
    @Test func defaultNestsUnderOwnCgroups() throws {
        let host = try FakeHost(.hybrid)
        let paths = try CgroupPaths.resolve(cgroupsPath: nil, id: "c1", root: host.root)
        let base = host.root + "/sys/fs/cgroup"
        #expect(paths.mode == .hybrid)
        #expect(paths.controllers["memory"] == base + "/memory/process_api/abc/skiff/c1")
        #expect(paths.controllers["cpu"] == base + "/cpu/skiff/c1")
        #expect(paths.controllers["pids"] == base + "/pids/skiff/c1")
        #expect(paths.controllers["hugetlb"] == nil)  // not mounted
        // systemd's named hierarchy too, as runc and crun place containers there.
        #expect(paths.controllers["name=systemd"] == base + "/systemd/skiff/c1")
        #expect(paths.controllers.count == 9)
        #expect(paths.unified == base + "/unified/skiff/c1")
        #expect(paths.unifiedMount == base + "/unified")
    }

    @Test func absolutePathIsUsedAsGiven() throws {
        let host = try FakeHost(.v1)
        let paths = try CgroupPaths.resolve(cgroupsPath: "/custom/./x/", id: "c1", root: host.root)
        #expect(paths.mode == .v1)
        #expect(paths.controllers["memory"] == host.root + "/sys/fs/cgroup/memory/custom/x")
        #expect(paths.controllers["freezer"] == host.root + "/sys/fs/cgroup/freezer/custom/x")
        #expect(paths.unified == nil)
    }

    @Test func relativePathAgainstOwnCgroup() throws {
        let host = try FakeHost(.unified, ownUnified: "/user.slice/session-1.scope")
        let paths = try CgroupPaths.resolve(cgroupsPath: "runtime/../ctr/one", id: "c1", root: host.root)
        #expect(paths.mode == .unified)
        #expect(paths.controllers.isEmpty)
        #expect(paths.unified == host.root + "/sys/fs/cgroup/user.slice/session-1.scope/ctr/one")
    }

    @Test func relativePathCannotClimbAboveOwnCgroup() throws {
        let host = try FakeHost(.v1)
        let paths = try CgroupPaths.resolve(cgroupsPath: "../../../x", id: "c1", root: host.root)
        #expect(paths.controllers["memory"] == host.root + "/sys/fs/cgroup/memory/process_api/abc/x")
    }

    @Test func systemdStyle() throws {
        let host = try FakeHost(.unified)
        func unified(_ path: String) throws -> String? {
            try CgroupPaths.resolve(cgroupsPath: path, id: "c1", root: host.root).unified
        }
        let base = host.root + "/sys/fs/cgroup"
        #expect(try unified("system.slice:docker:abc") == base + "/system.slice/docker-abc.scope")
        #expect(try unified("user-1000.slice:skiff:abc") == base + "/user.slice/user-1000.slice/skiff-abc.scope")
        #expect(try unified(":skiff:abc") == base + "/system.slice/skiff-abc.scope")
        #expect(try unified("-.slice::abc") == base + "/abc.scope")
        #expect(try unified("machine.slice:x:inner.slice") == base + "/machine.slice/inner.slice")
    }

    @Test func badPathsAreErrors() throws {
        let host = try FakeHost(.unified)
        for bad in ["a:b", "nota-slice:p:n", "a--b.slice:p:n", "system.slice:p:"] {
            let error = try #require(throws: CgroupError.self) {
                try CgroupPaths.resolve(cgroupsPath: bad, id: "c1", root: host.root)
            }
            #expect(error.stage == "resolve cgroupsPath")
            #expect(error.description.contains(bad))
        }
        #expect(throws: CgroupError.self) { try CgroupPaths.resolve(cgroupsPath: nil, id: "a/b", root: host.root) }
    }

    @Test func pathsSurviveJSON() throws {
        let host = try FakeHost(.hybrid)
        var manager = try host.manager(id: "c9")
        try manager.create(resources: nil)
        let data = try JSONEncoder().encode(manager.paths)
        let decoded = try JSONDecoder().decode(CgroupPaths.self, from: data)
        #expect(decoded == manager.paths)
        #expect(!decoded.created.isEmpty)
    }
}
