import SkiffOCI
import SkiffSeccomp
import Testing

typealias Seccomp = RuntimeSpec.Seccomp
typealias Syscall = RuntimeSpec.Syscall
typealias Arg = RuntimeSpec.SyscallArg

/// A filter allowing by default, with `syscalls` on x86_64.
private func allowing(_ syscalls: [Syscall], flags: [String]? = []) -> Seccomp {
    Seccomp(defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"], flags: flags, syscalls: syscalls)
}

/// A filter denying (EPERM) by default, with `syscalls` on x86_64.
private func denying(_ syscalls: [Syscall]) -> Seccomp {
    Seccomp(defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64"], flags: [], syscalls: syscalls)
}

private func compileError(_ config: Seccomp) -> String? {
    do {
        _ = try SeccompCompiler.compile(config)
        return nil
    } catch {
        return error.description
    }
}

@Suite struct SeccompCompilerTests {
    @Test func programIsWholeInstructions() throws {
        let program = try SeccompCompiler.compile(denying([Syscall(names: ["read"], action: "SCMP_ACT_ALLOW")]))
        #expect(!program.bpf.isEmpty)
        #expect(program.bpf.count % 8 == 0)
        #expect(program.instructionCount == program.bpf.count / 8)
        #expect(try program.verdict("read") == Ret.allow)
        #expect(try program.verdict("write") == Ret.errno(1))
        // Not listed, so a foreign architecture is killed.
        #expect(try program.verdict("read", arch: Arch.x86) == Ret.killThread)
    }

    @Test func compilingIsDeterministic() throws {
        let config = denying([Syscall(names: ["read", "write"], action: "SCMP_ACT_ALLOW")])
        #expect(try SeccompCompiler.compile(config) == SeccompCompiler.compile(config))
    }

    @Test(arguments: [
        ("SCMP_ACT_KILL", nil, Ret.killThread),
        ("SCMP_ACT_KILL_THREAD", nil, Ret.killThread),
        ("SCMP_ACT_KILL_PROCESS", nil, Ret.killProcess),
        ("SCMP_ACT_TRAP", nil, Ret.trap),
        ("SCMP_ACT_ERRNO", nil, Ret.errno(1)),
        ("SCMP_ACT_ERRNO", 38, Ret.errno(38)),
        ("SCMP_ACT_TRACE", nil, Ret.trace(1)),
        ("SCMP_ACT_TRACE", 7, Ret.trace(7)),
        ("SCMP_ACT_LOG", nil, Ret.log),
        ("SCMP_ACT_NOTIFY", nil, Ret.notify),
    ] as [(String, UInt32?, UInt32)])
    func actions(action: String, errnoRet: UInt32?, expected: UInt32) throws {
        let program = try SeccompCompiler.compile(allowing([Syscall(names: ["getpid"], action: action, errnoRet: errnoRet)]))
        #expect(try program.verdict("getpid") == expected)
        #expect(try program.verdict("getppid") == Ret.allow)
        #expect(program.needsListener == (action == "SCMP_ACT_NOTIFY"))
    }

    @Test func defaultErrnoRetAppliesToTheDefaultAction() throws {
        var config = denying([Syscall(names: ["read"], action: "SCMP_ACT_ALLOW")])
        config.defaultErrnoRet = 38
        let program = try SeccompCompiler.compile(config)
        #expect(try program.verdict("mount") == Ret.errno(38))
        #expect(try program.verdict("read") == Ret.allow)
    }

    @Test func defaultKillAction() throws {
        let program = try SeccompCompiler.compile(
            Seccomp(defaultAction: "SCMP_ACT_KILL_PROCESS", flags: [], syscalls: [Syscall(names: ["read"], action: "SCMP_ACT_ALLOW")]))
        #expect(try program.verdict("write") == Ret.killProcess)
        #expect(try program.verdict("read") == Ret.allow)
    }

    @Test func unknownSyscallIsSkipped() throws {
        let with = try SeccompCompiler.compile(denying([Syscall(names: ["read", "no_such_syscall"], action: "SCMP_ACT_ALLOW")]))
        let without = try SeccompCompiler.compile(denying([Syscall(names: ["read"], action: "SCMP_ACT_ALLOW")]))
        #expect(with == without)
    }

    @Test func ruleWithTheDefaultActionIsSkipped() throws {
        let redundant = try SeccompCompiler.compile(allowing([Syscall(names: ["read"], action: "SCMP_ACT_ALLOW")]))
        let empty = try SeccompCompiler.compile(allowing([]))
        #expect(redundant == empty)
        // ERRNO(EPERM) is the default; ERRNO(ENOSYS) is not.
        let errno = try SeccompCompiler.compile(
            denying([
                Syscall(names: ["read"], action: "SCMP_ACT_ERRNO"),
                Syscall(names: ["write"], action: "SCMP_ACT_ERRNO", errnoRet: 38),
            ]))
        #expect(try errno.verdict("read") == Ret.errno(1))
        #expect(try errno.verdict("write") == Ret.errno(38))
    }

    @Test(arguments: [
        ("SCMP_CMP_NE", 5, [4, 6], [5]),
        ("SCMP_CMP_LT", 5, [0, 4], [5, 6]),
        ("SCMP_CMP_LE", 5, [4, 5], [6, 0x1_0000_0000]),
        ("SCMP_CMP_EQ", 5, [5], [4, 6, 0x1_0000_0005]),
        ("SCMP_CMP_GE", 5, [5, 6, 0x1_0000_0000], [4]),
        ("SCMP_CMP_GT", 0x1_0000_0000, [0x1_0000_0001, 0x2_0000_0000], [0x1_0000_0000, 0xffff_ffff]),
    ] as [(String, UInt64, [UInt64], [UInt64])])
    func operators(op: String, value: UInt64, allowed: [UInt64], denied: [UInt64]) throws {
        let program = try SeccompCompiler.compile(
            denying([Syscall(names: ["personality"], action: "SCMP_ACT_ALLOW", args: [Arg(index: 0, value: value, op: op)])]))
        for arg in allowed { #expect(try program.verdict("personality", [arg]) == Ret.allow, "\(op) \(value): \(arg)") }
        for arg in denied { #expect(try program.verdict("personality", [arg]) == Ret.errno(1), "\(op) \(value): \(arg)") }
    }

    @Test func maskedEqualUsesValueAsMaskAndValueTwoAsDatum() throws {
        let program = try SeccompCompiler.compile(
            denying([
                Syscall(
                    names: ["personality"], action: "SCMP_ACT_ALLOW",
                    args: [Arg(index: 0, value: 0xf0, valueTwo: 0x20, op: "SCMP_CMP_MASKED_EQ")])
            ]))
        #expect(try program.verdict("personality", [0x20]) == Ret.allow)
        #expect(try program.verdict("personality", [0x2f]) == Ret.allow)
        #expect(try program.verdict("personality", [0x30]) == Ret.errno(1))
        #expect(try program.verdict("personality", [0xf0]) == Ret.errno(1))
    }

    @Test func argsOnTheSameIndexAreOrNotAnd() throws {
        let sameIndex = try SeccompCompiler.compile(
            denying([
                Syscall(
                    names: ["personality"], action: "SCMP_ACT_ALLOW",
                    args: [Arg(index: 0, value: 1, op: "SCMP_CMP_EQ"), Arg(index: 0, value: 2, op: "SCMP_CMP_EQ")])
            ]))
        #expect(try sameIndex.verdict("personality", [1]) == Ret.allow)
        #expect(try sameIndex.verdict("personality", [2]) == Ret.allow)
        #expect(try sameIndex.verdict("personality", [3]) == Ret.errno(1))

        let distinct = try SeccompCompiler.compile(
            denying([
                Syscall(
                    names: ["personality"], action: "SCMP_ACT_ALLOW",
                    args: [Arg(index: 0, value: 1, op: "SCMP_CMP_EQ"), Arg(index: 1, value: 2, op: "SCMP_CMP_EQ")])
            ]))
        #expect(try distinct.verdict("personality", [1, 2]) == Ret.allow)
        #expect(try distinct.verdict("personality", [1, 0]) == Ret.errno(1))
        #expect(try distinct.verdict("personality", [0, 2]) == Ret.errno(1))
        #expect(sameIndex.bpf != distinct.bpf)
    }

    @Test func extraArchitectures() throws {
        let config = Seccomp(
            defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], flags: [],
            syscalls: [Syscall(names: ["read"], action: "SCMP_ACT_ALLOW")])
        let program = try SeccompCompiler.compile(config)
        #expect(try program.verdict("read", arch: Arch.x86) == Ret.allow)
        #expect(try program.verdict("write", arch: Arch.x86) == Ret.errno(1))
        #expect(try program.verdict("read", arch: Arch.aarch64) == Ret.killThread)
    }

    @Test(arguments: [
        (nil, SeccompProgram.Flag.specAllow),
        ([], 0),
        (["SECCOMP_FILTER_FLAG_TSYNC"], 1),
        (["SECCOMP_FILTER_FLAG_LOG"], 2),
        (["SECCOMP_FILTER_FLAG_SPEC_ALLOW"], 4),
        (["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"], 32),
        (
            ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
            1 | 2 | 4 | 32
        ),
    ] as [([String]?, UInt32)])
    func flags(names: [String]?, bits: UInt32) throws {
        let program = try SeccompCompiler.compile(allowing([Syscall(names: ["mount"], action: "SCMP_ACT_ERRNO")], flags: names))
        #expect(program.flags == bits)
        #expect(!program.needsListener)
    }

    @Test func notifyAsksForAListener() throws {
        let program = try SeccompCompiler.compile(
            allowing(
                [Syscall(names: ["mount"], action: "SCMP_ACT_NOTIFY")],
                flags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]))
        #expect(program.needsListener)
        // NEW_LISTENER added; TSYNC dropped, as the kernel refuses it beside NEW_LISTENER.
        #expect(program.flags == SeccompProgram.Flag.newListener | SeccompProgram.Flag.waitKillableRecv)
        #expect(try program.verdict("mount") == Ret.notify)
    }

    @Test(arguments: [
        (
            denying([Syscall(names: ["read"], action: "SCMP_ACT_ALLOW"), Syscall(names: ["write"], action: "SCMP_ACT_FOO")]),
            #"linux.seccomp.syscalls[1].action: unknown action "SCMP_ACT_FOO""#
        ),
        (
            Seccomp(defaultAction: "SCMP_ACT_DENY"),
            #"linux.seccomp.defaultAction: unknown action "SCMP_ACT_DENY""#
        ),
        (
            denying([
                Syscall(
                    names: ["personality"], action: "SCMP_ACT_ALLOW",
                    args: [Arg(index: 0, value: 1, op: "SCMP_CMP_EQ"), Arg(index: 1, value: 1, op: "SCMP_CMP_LIKE")])
            ]),
            #"linux.seccomp.syscalls[0].args[1].op: unknown operator "SCMP_CMP_LIKE""#
        ),
        (
            denying([Syscall(names: ["personality"], action: "SCMP_ACT_ALLOW", args: [Arg(index: 6, value: 1, op: "SCMP_CMP_EQ")])]),
            "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (a syscall has arguments 0 to 5)"
        ),
        (
            Seccomp(defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_FOO"]),
            #"linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_FOO""#
        ),
        (
            Seccomp(defaultAction: "SCMP_ACT_ERRNO", architectures: ["x86_64"]),
            #"linux.seccomp.architectures[0]: unknown architecture "x86_64""#
        ),
        (
            Seccomp(defaultAction: "SCMP_ACT_ERRNO", flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NEW_LISTENER"]),
            #"linux.seccomp.flags[1]: unknown flag "SECCOMP_FILTER_FLAG_NEW_LISTENER""#
        ),
        (
            Seccomp(defaultAction: "SCMP_ACT_NOTIFY"),
            "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"
        ),
        (
            allowing([Syscall(names: ["read", "write"], action: "SCMP_ACT_NOTIFY")]),
            "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY cannot be used for the write syscall"
        ),
        (
            denying([Syscall(names: ["read", ""], action: "SCMP_ACT_ALLOW")]),
            "linux.seccomp.syscalls[0].names[1]: empty syscall name"
        ),
    ] as [(Seccomp, String)])
    func errorsNameTheField(config: Seccomp, message: String) {
        #expect(compileError(config) == message)
    }

    @Test func architectureThisLibseccompLacks() throws {
        // LoongArch came with libseccomp 2.6; on older ones the error says so.
        guard SeccompArchitecture(ociName: "SCMP_ARCH_LOONGARCH64") == nil else { return }
        let error = compileError(Seccomp(defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_LOONGARCH64"]))
        #expect(
            error
                == #"linux.seccomp.architectures[0]: architecture "SCMP_ARCH_LOONGARCH64" is not supported by libseccomp \#(SeccompCompiler.libseccompVersion)"#
        )
    }

    @Test func architectureNames() throws {
        #expect(Arch.x86_64.syscallNumber("read") == 0)
        #expect(Arch.x86.syscallNumber("read") == 3)
        #expect(Arch.x86_64.syscallNumber("no_such_syscall") == nil)
        #expect(SeccompArchitecture(ociName: "SCMP_ARCH_MIPSEL64N32") != nil)
        #expect(SeccompArchitecture(ociName: "SCMP_ARCH_") == nil)
        #expect(SeccompArchitecture(ociName: "aarch64") == nil)
        #expect(SeccompArchitecture.native.name != "SCMP_ARCH_NATIVE")
    }
}
