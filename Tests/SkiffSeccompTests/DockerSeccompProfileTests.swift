import SkiffOCI
import SkiffSeccomp
import Testing

/// Docker's default capability set (moby oci/caps/defaults.go).
let dockerDefaultCaps = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
    "CAP_AUDIT_WRITE",
]

let amd64Platform = SeccompPlatform(machine: "x86_64", kernel: KernelVersion(6, 1))
let arm64Platform = SeccompPlatform(machine: "aarch64", kernel: KernelVersion(6, 1))

private func docker(_ caps: [String] = dockerDefaultCaps, on platform: SeccompPlatform = amd64Platform) throws -> RuntimeSpec.Seccomp {
    try #require(try DockerSeccompProfile.dockerDefault.runtimeSeccomp(capabilities: caps, platform: platform))
}

private func names(_ config: RuntimeSpec.Seccomp) -> Set<String> {
    Set((config.syscalls ?? []).flatMap(\.names))
}

/// The groups that name `syscall`.
private func groups(_ config: RuntimeSpec.Seccomp, naming syscall: String) -> [RuntimeSpec.Syscall] {
    (config.syscalls ?? []).filter { $0.names.contains(syscall) }
}

private func profileError(
    _ json: String, caps: [String] = dockerDefaultCaps, platform: SeccompPlatform = amd64Platform
) -> String? {
    do {
        _ = try DockerSeccompProfile.decode(Array(json.utf8)).runtimeSeccomp(capabilities: caps, platform: platform)
        return nil
    } catch {
        return error.description
    }
}

@Suite struct DockerSeccompProfileTests {
    @Test func bundledProfileDecodes() {
        let profile = DockerSeccompProfile.dockerDefault
        #expect(profile.defaultAction == "SCMP_ACT_ERRNO")
        #expect(profile.defaultErrnoRet == 1)
        #expect(profile.archMap?.first?.architecture == "SCMP_ARCH_X86_64")
        #expect(profile.archMap?.first?.subArchitectures == ["SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect((profile.syscalls?.count ?? 0) > 20)
        #expect(DockerSeccompProfile.dockerDefaultJSON.hasPrefix("{"))
        #expect(DockerSeccompProfile.dockerDefaultJSON.hasSuffix("}"))
    }

    @Test func defaultCapsOnAmd64() throws {
        let config = try docker()
        #expect(config.defaultAction == "SCMP_ACT_ERRNO")
        #expect(config.defaultErrnoRet == 1)
        #expect(config.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        let allowed = names(config)
        #expect(allowed.contains("read"))
        #expect(allowed.contains("chroot"))  // CAP_SYS_CHROOT
        #expect(allowed.contains("arch_prctl"))  // amd64 only
        #expect(allowed.contains("ptrace"))  // minKernel 4.8
        #expect(!allowed.contains("mount"))  // CAP_SYS_ADMIN
        #expect(!allowed.contains("reboot"))  // CAP_SYS_BOOT
        #expect(!allowed.contains("set_tls"))  // arm only
        #expect(!allowed.contains("s390_runtime_instr"))
        // Without CAP_SYS_ADMIN: clone without namespace flags, clone3 refused with ENOSYS.
        let clone = groups(config, naming: "clone")
        #expect(clone.count == 1)
        #expect(clone.first?.args == [RuntimeSpec.SyscallArg(index: 0, value: 2_114_060_288, op: "SCMP_CMP_MASKED_EQ")])
        #expect(groups(config, naming: "clone3").map(\.action) == ["SCMP_ACT_ERRNO"])
        #expect(groups(config, naming: "clone3").first?.errnoRet == 38)
    }

    @Test func sysAdminAllowsMore() throws {
        let base = try docker()
        let admin = try docker(dockerDefaultCaps + ["CAP_SYS_ADMIN"])
        #expect(names(admin).isStrictSuperset(of: names(base)))
        #expect(names(admin).isSuperset(of: ["mount", "umount2", "unshare", "setns", "bpf"]))
        // The excludes: caps groups are gone: clone and clone3 are allowed outright.
        #expect(groups(admin, naming: "clone").allSatisfy { $0.args == nil && $0.action == "SCMP_ACT_ALLOW" })
        #expect(groups(admin, naming: "clone3").map(\.action) == ["SCMP_ACT_ALLOW"])
    }

    @Test func capabilityNamesAreNormalised() throws {
        #expect(names(try docker(dockerDefaultCaps + ["sys_admin"])).contains("mount"))
        #expect(names(try docker(dockerDefaultCaps + ["cap_sys_boot"])).contains("reboot"))
    }

    @Test func otherArchitectures() throws {
        let config = try docker(on: arm64Platform)
        #expect(config.architectures == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
        #expect(names(config).contains("set_tls"))
        #expect(!names(config).contains("arch_prctl"))

        // s390x: its clone rule checks argument 1, and the generic one is excluded.
        let s390x = try docker(on: SeccompPlatform(machine: "s390x", kernel: KernelVersion(6, 1)))
        #expect(s390x.architectures == ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"])
        #expect(groups(s390x, naming: "clone").map { $0.args?.first?.index } == [1])

        let unknown = try docker(on: SeccompPlatform(machine: "vax", kernel: KernelVersion(6, 1)))
        #expect(unknown.architectures == nil)
    }

    @Test func minKernel() throws {
        let old = try docker(on: SeccompPlatform(machine: "x86_64", kernel: KernelVersion(4, 4, 100)))
        #expect(!names(old).contains("ptrace"))
        let exact = try docker(on: SeccompPlatform(machine: "x86_64", kernel: KernelVersion(4, 8)))
        #expect(names(exact).contains("ptrace"))
    }

    @Test func excludes() throws {
        let json = #"""
            {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
              {"names": ["a"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_X", "CAP_Y"]}},
              {"names": ["b"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
              {"names": ["c"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.10"}},
              {"names": ["d"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_X", "CAP_Y"]}},
              {"name": "e", "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64", "amd64"]}},
              {"names": ["f"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "6.2"}}
            ]}
            """#
        let profile = try DockerSeccompProfile.decode(Array(json.utf8))
        func kept(_ caps: [String], _ platform: SeccompPlatform) throws -> [String] {
            try #require(try profile.runtimeSeccomp(capabilities: caps, platform: platform)).syscalls?.flatMap(\.names) ?? []
        }
        #expect(try kept([], amd64Platform) == ["a", "e"])
        #expect(try kept(["CAP_Y"], arm64Platform) == ["b", "e"])
        #expect(try kept(["CAP_X", "CAP_Y"], SeccompPlatform(machine: "x86_64", kernel: KernelVersion(5, 4))) == ["c", "d", "e"])
        #expect(try kept([], SeccompPlatform(machine: "riscv64", kernel: KernelVersion(6, 2, 1))) == ["a", "b", "f"])
    }

    @Test func architecturesPassThrough() throws {
        let json = #"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"], "flags": ["SECCOMP_FILTER_FLAG_LOG"], "listenerPath": "/run/agent.sock"}"#
        let config = try #require(try DockerSeccompProfile.decode(Array(json.utf8)).runtimeSeccomp(capabilities: [], platform: amd64Platform))
        #expect(config.architectures == ["SCMP_ARCH_X86"])
        #expect(config.flags == ["SECCOMP_FILTER_FLAG_LOG"])
        #expect(config.listenerPath == "/run/agent.sock")
    }

    @Test func emptyProfileDisablesSeccomp() throws {
        #expect(try DockerSeccompProfile.decode(Array("{}".utf8)).runtimeSeccomp(capabilities: [], platform: amd64Platform) == nil)
    }

    @Test(arguments: [
        (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_NOPE"}]}"#,
         #"profile.syscalls[0].action: unknown action "SCMP_ACT_NOPE""#),
        (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW"}, {"names": ["b"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}"#,
         #"profile.syscalls[1].args[0].op: unknown operator "SCMP_CMP_ABOUT""#),
        (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "new"}}]}"#,
         #"profile.syscalls[0].includes.minKernel: "new" is not a kernel version (X.Y)"#),
        (#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}"#,
         #"profile.archMap: use either "architectures" or "archMap", not both"#),
        (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}]}"#,
         #"profile.syscalls[0]: use either "name" or "names", not both"#),
        (#"{"syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW"}]}"#,
         "profile.defaultAction: required when syscalls are listed"),
        (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"]}]}"#,
         "profile.syscalls[0].action: required field is missing"),
        (#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "args": [{"index": "zero", "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#,
         "profile.syscalls[0].args[0].index: expected an integer"),
    ])
    func errorsNameTheField(json: String, message: String) {
        #expect(profileError(json) == message)
    }

    @Test func kernelVersions() {
        #expect(KernelVersion("6.1.0-18-amd64") == KernelVersion(6, 1, 0))
        #expect(KernelVersion("6.18.44-fc-v669") == KernelVersion(6, 18, 44))
        #expect(KernelVersion("4.8") == KernelVersion(4, 8))
        #expect(KernelVersion("5.15.0.1") == KernelVersion(5, 15, 0))
        #expect(KernelVersion("6") == nil)
        #expect(KernelVersion("v6.1") == nil)
        #expect(KernelVersion(4, 8) < KernelVersion(4, 10))
        #expect(KernelVersion(4, 8, 1) > KernelVersion(4, 8))
    }

    @Test func currentPlatform() throws {
        let platform = try SeccompPlatform.current()
        #expect(platform.kernel >= KernelVersion(3, 17))
        #if arch(x86_64)
            #expect(platform.architecture == "SCMP_ARCH_X86_64")
            #expect(platform.dockerArchitecture == "amd64")
        #elseif arch(arm64)
            #expect(platform.architecture == "SCMP_ARCH_AARCH64")
            #expect(platform.dockerArchitecture == "arm64")
        #endif
    }
}

/// Docker's default profile, compiled and run through the BPF interpreter.
@Suite struct DockerDefaultProgramTests {
    @Test func defaultCaps() throws {
        let program = try SeccompCompiler.compile(try docker())
        #expect(!program.bpf.isEmpty)
        #expect(program.bpf.count % 8 == 0)
        #expect(program.flags == SeccompProgram.Flag.specAllow)
        #expect(!program.needsListener)

        #expect(try program.verdict("read") == Ret.allow)
        #expect(try program.verdict("execve") == Ret.allow)
        #expect(try program.verdict("chroot") == Ret.allow)
        #expect(try program.verdict("mount") == Ret.errno(1))
        #expect(try program.verdict("reboot") == Ret.errno(1))
        #expect(try program.verdict("kexec_load") == Ret.errno(1))
        // clone: plain fork-like flags pass, any namespace flag is refused.
        #expect(try program.verdict("clone", [0x01200011]) == Ret.allow)  // CLONE_CHILD_SETTID|CLEARTID|SIGCHLD
        #expect(try program.verdict("clone", [0x10000000 | 17]) == Ret.errno(1))  // CLONE_NEWUSER
        #expect(try program.verdict("clone", [0x20000000]) == Ret.errno(1))  // CLONE_NEWCGROUP
        #expect(try program.verdict("clone3") == Ret.errno(38))
        // socket: every family but AF_ALG (38) and AF_VSOCK (40).
        #expect(try program.verdict("socket", [2]) == Ret.allow)  // AF_INET
        #expect(try program.verdict("socket", [38]) == Ret.errno(1))
        #expect(try program.verdict("socket", [39]) == Ret.allow)
        #expect(try program.verdict("socket", [40]) == Ret.errno(1))
        #expect(try program.verdict("socket", [41]) == Ret.allow)
        // personality: only the listed personas.
        #expect(try program.verdict("personality", [0]) == Ret.allow)
        #expect(try program.verdict("personality", [0xffff_ffff]) == Ret.allow)
        #expect(try program.verdict("personality", [0x0040_0000]) == Ret.errno(1))  // READ_IMPLIES_EXEC
        // The 32-bit sub-architecture is filtered too, with its own numbers.
        #expect(try program.verdict("read", arch: Arch.x86) == Ret.allow)
        #expect(try program.verdict("mount", arch: Arch.x86) == Ret.errno(1))
        // And anything else is killed.
        #expect(try program.verdict("read", arch: Arch.aarch64) == Ret.killThread)
    }

    @Test func sysAdmin() throws {
        let base = try SeccompCompiler.compile(try docker())
        let admin = try SeccompCompiler.compile(try docker(dockerDefaultCaps + ["CAP_SYS_ADMIN"]))
        #expect(admin.bpf != base.bpf)
        #expect(try admin.verdict("mount") == Ret.allow)
        #expect(try admin.verdict("clone", [0x10000000 | 17]) == Ret.allow)
        #expect(try admin.verdict("clone3") == Ret.allow)
        #expect(try admin.verdict("reboot") == Ret.errno(1))
    }

    @Test func arm64() throws {
        let program = try SeccompCompiler.compile(try docker(on: arm64Platform))
        #expect(try program.verdict("read", arch: Arch.aarch64) == Ret.allow)
        #expect(try program.verdict("set_tls", arch: Arch.arm) == Ret.allow)
        #expect(try program.verdict("mount", arch: Arch.aarch64) == Ret.errno(1))
        #expect(try program.verdict("read", arch: Arch.x86) == Ret.killThread)
    }
}
