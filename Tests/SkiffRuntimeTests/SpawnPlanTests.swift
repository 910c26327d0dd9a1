import CSkiffSpawn
import Glibc
import SkiffOCI
import Testing

@testable import SkiffRuntime

/// The plan is pure: these run without root and touch only a temp directory
/// (one per test, removed after it).
@Suite final class SpawnPlanTests {
    let bundle: String

    deinit { _ = system("rm -rf '\(bundle)'") }

    init() throws {
        var template = Array("/tmp/skiff-plan-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        mkdir(dir + "/rootfs", 0o755)
        mkdir(dir + "/rootfs/etc", 0o755)
        try FileIO.writeAtomic(dir + "/rootfs/etc/passwd", Array("root:x:0:0::/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n".utf8))
        bundle = dir
    }

    func plan(_ edit: (inout RuntimeSpec) -> Void = { _ in }) throws(RuntimeError) -> SpawnPlan {
        var spec = RuntimeSpec.makeDefault(args: ["sh"], terminal: false)
        edit(&spec)
        return try SpawnPlan.create(spec: spec, bundle: bundle) { _, _ in [] }
    }

    @Test func namespacesBecomeCloneFlagsExceptCgroup() throws {
        let p = try plan()
        let expected = SKIFF_CLONE_NEWPID | SKIFF_CLONE_NEWNET | SKIFF_CLONE_NEWIPC | SKIFF_CLONE_NEWUTS | SKIFF_CLONE_NEWNS
        #expect(p.cloneFlags == expected)
        #expect(p.unshareCgroup)
        #expect(p.joins.isEmpty)
    }

    @Test func namespacePathsAreJoined() throws {
        let p = try plan { spec in
            spec.hostname = nil
            spec.linux?.namespaces = [.init(type: .mount), .init(type: .network, path: "/proc/1/ns/net"), .init(type: .pid, path: "/proc/1/ns/pid")]
        }
        #expect(p.cloneFlags == SKIFF_CLONE_NEWNS)
        #expect(p.joins == [.init(path: "/proc/1/ns/net", nstype: SKIFF_CLONE_NEWNET)])
        #expect(p.joinPIDNamespace == "/proc/1/ns/pid")
    }

    @Test func duplicateNamespaceIsRejected() {
        #expect(throws: RuntimeError.self) {
            try plan { $0.linux?.namespaces = [.init(type: .mount), .init(type: .mount)] }
        }
    }

    @Test func hostnameNeedsUTSNamespace() throws {
        let error = try #require(throws: RuntimeError.self) {
            try plan { $0.linux?.namespaces = [.init(type: .mount)] }
        }
        #expect(error.message.contains("hostname"))
    }

    @Test func capabilitiesBecomeMasks() throws {
        let p = try plan()
        let caps = try #require(p.capabilities)
        // CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29)
        #expect(caps.bounding == (1 << 5) | (1 << 10) | (1 << 29))
        #expect(caps.ambient == 0)
    }

    @Test func unknownCapabilityIsNamed() throws {
        let error = try #require(throws: RuntimeError.self) {
            try plan { $0.process?.capabilities?.effective = ["CAP_KILL", "CAP_FLY"] }
        }
        #expect(error.message == "process.capabilities.effective[1]: unknown capability \"CAP_FLY\"")
    }

    @Test func unknownRlimitIsNamed() throws {
        let error = try #require(throws: RuntimeError.self) {
            try plan { $0.process?.rlimits = [.init(type: "RLIMIT_BOGUS", hard: 1, soft: 1)] }
        }
        #expect(error.message.contains("process.rlimits[0].type"))
    }

    @Test func relativeCwdIsRejected() {
        #expect(throws: RuntimeError.self) { try plan { $0.process?.cwd = "tmp" } }
    }

    @Test func homeComesFromTheContainersPasswd() throws {
        #expect(try plan().env.contains("HOME=/root"))
        #expect(try plan { $0.process?.user = .init(uid: 1000, gid: 1000) }.env.contains("HOME=/home/user"))
        #expect(try plan { $0.process?.user = .init(uid: 4242, gid: 1) }.env.contains("HOME=/"))
        #expect(try plan { $0.process?.env = ["HOME=/x"] }.env == ["HOME=/x"])
    }

    @Test func missingRootfsSaysSo() throws {
        let error = try #require(throws: RuntimeError.self) { try plan { $0.root?.path = "nope" } }
        #expect(error.message.hasSuffix("nope: no such file or directory"))
    }

    @Test func sysctlKeysBecomeProcPaths() throws {
        let p = try plan { $0.linux?.sysctl = ["net.ipv4.ip_forward": "1"] }
        #expect(p.sysctls.map(\.path) == ["/proc/sys/net/ipv4/ip_forward"])
        #expect(throws: RuntimeError.self) { try plan { $0.linux?.sysctl = ["../../etc/passwd": "x"] } }
    }

    @Test func devicesDefaultAndOverride() throws {
        let p = try plan { $0.linux?.devices = [.init(type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 0o600)] }
        let null = try #require(p.devices.first { $0.path == "/dev/null" })
        #expect(null.mode == S_IFCHR | 0o600)
        #expect(p.devices.filter { $0.path == "/dev/null" }.count == 1)
        #expect(p.devices.contains { $0.path == "/dev/urandom" })
        #expect(throws: RuntimeError.self) { try plan { $0.linux?.devices = [.init(type: "x", path: "/dev/x")] } }
    }
}

@Suite struct MountOptionTests {
    @Test func flagsPropagationAndData() {
        let o = MountOptions(["nosuid", "noexec", "ro", "rslave", "mode=755", "size=64k"])
        #expect(o.flags == UInt(MS_NOSUID | MS_NOEXEC | MS_RDONLY))
        #expect(o.propagation == UInt(MS_SLAVE | MS_REC))
        #expect(o.data == ["mode=755", "size=64k"])
        #expect(!o.isBind)
    }

    @Test func laterOptionsWin() {
        #expect(MountOptions(["ro", "rw"]).flags & UInt(MS_RDONLY) == 0)
        #expect(MountOptions(["nosuid", "suid"]).flags == 0)
    }

    @Test func bindMountsRemountTheirFlags() {
        let entry = MountEntry(RuntimeSpec.Mount(destination: "/data", type: "bind", source: "data", options: ["rbind", "ro", "nodev"]), bundle: "/b")
        #expect(entry.isBind)
        #expect(entry.source == "/b/data")
        #expect(entry.flags == UInt(MS_BIND | MS_REC))
        #expect(entry.remountFlags == UInt(MS_RDONLY | MS_NODEV))
        #expect(entry.fstype == nil)
    }
}

@Suite struct NamesTests {
    @Test func signals() {
        #expect(Signals.parse("TERM") == SIGTERM)
        #expect(Signals.parse("SIGKILL") == SIGKILL)
        #expect(Signals.parse("9") == 9)
        #expect(Signals.parse("RTMIN+2") == 36)
        #expect(Signals.parse("NOPE") == nil)
        #expect(Signals.parse("0") == nil)
    }

    @Test func capabilities() {
        #expect(Capability.number("CAP_SYS_ADMIN") == 21)
        #expect(Capability.number("sys_admin") == 21)
        #expect(Capability.number("CAP_NOPE") == nil)
    }

    @Test func passwd() {
        let text = "root:x:0:0:root:/root:/bin/sh\nbroken\nuser:x:1000:1000::/home/u:/bin/sh\n"
        #expect(Passwd.home(uid: 1000, passwd: text) == "/home/u")
        #expect(Passwd.home(uid: 7, passwd: text) == "/")
    }

    @Test func exitStatus() {
        #expect(ExitStatus.code(3 << 8) == 3)
        #expect(ExitStatus.code(9) == 137)
    }

    @Test func containerIDs() {
        #expect(throws: Never.self) { try StateStore.validate(id: "abc-1.2_x+y") }
        #expect(throws: RuntimeError.self) { try StateStore.validate(id: "../x") }
        #expect(throws: RuntimeError.self) { try StateStore.validate(id: "") }
    }
}
