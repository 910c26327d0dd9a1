import CSeccomp
import Glibc
import SkiffOCI
import Synchronization

/// Compiles an OCI `linux.seccomp` config to a classic BPF program with libseccomp, following
/// runc's semantics. The filter is only built, never loaded into this process.
public enum SeccompCompiler {
    /// Compiles `config`; errors name the offending field under `linux.seccomp`.
    ///
    /// As in runc: a syscall name this libseccomp does not know is skipped; a rule whose action
    /// equals the default action is skipped; args that repeat an index become one rule per arg
    /// (OR), otherwise one rule with all comparisons (AND); absent `flags` means
    /// SECCOMP_FILTER_FLAG_SPEC_ALLOW; no_new_privs is left to the caller.
    public static func compile(_ config: RuntimeSpec.Seccomp) throws(SeccompError) -> SeccompProgram {
        let plan = try Plan(config)
        // libseccomp caches kernel feature probes in unlocked globals: build one filter at a time.
        return try lock.withLock { _ throws(SeccompError) -> SeccompProgram in try plan.build() }
    }

    /// The linked libseccomp's version, e.g. `2.5.4`.
    public static var libseccompVersion: String {
        guard let version = seccomp_version() else { return "unknown" }
        return "\(version.pointee.major).\(version.pointee.minor).\(version.pointee.micro)"
    }

    private static let lock = Mutex(())
}

// MARK: - Names

/// SCMP_ACT_* names to libseccomp action values; ERRNO and TRACE carry `errnoRet` (default EPERM).
func seccompAction(_ name: String, errnoRet: UInt32?, field: String) throws(SeccompError) -> UInt32 {
    let data = (errnoRet ?? UInt32(EPERM)) & 0xffff
    switch name {
    case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return 0x0000_0000
    case "SCMP_ACT_KILL_PROCESS": return 0x8000_0000
    case "SCMP_ACT_TRAP": return 0x0003_0000
    case "SCMP_ACT_ERRNO": return 0x0005_0000 | data
    case "SCMP_ACT_TRACE": return 0x7ff0_0000 | data
    case "SCMP_ACT_LOG": return 0x7ffc_0000
    case "SCMP_ACT_NOTIFY": return 0x7fc0_0000
    case "SCMP_ACT_ALLOW": return 0x7fff_0000
    default: throw SeccompError(field: field, problem: "unknown action \"\(name)\"")
    }
}

let notifyAction: UInt32 = 0x7fc0_0000

/// SCMP_CMP_* names to libseccomp comparison operators.
func seccompOperator(_ name: String, field: String) throws(SeccompError) -> scmp_compare {
    switch name {
    case "SCMP_CMP_NE": return SCMP_CMP_NE
    case "SCMP_CMP_LT": return SCMP_CMP_LT
    case "SCMP_CMP_LE": return SCMP_CMP_LE
    case "SCMP_CMP_EQ": return SCMP_CMP_EQ
    case "SCMP_CMP_GE": return SCMP_CMP_GE
    case "SCMP_CMP_GT": return SCMP_CMP_GT
    case "SCMP_CMP_MASKED_EQ": return SCMP_CMP_MASKED_EQ
    default: throw SeccompError(field: field, problem: "unknown operator \"\(name)\"")
    }
}

/// SECCOMP_FILTER_FLAG_* names allowed in `linux.seccomp.flags` to their bits.
func seccompFlag(_ name: String, field: String) throws(SeccompError) -> UInt32 {
    switch name {
    case "SECCOMP_FILTER_FLAG_TSYNC": return SeccompProgram.Flag.tsync
    case "SECCOMP_FILTER_FLAG_LOG": return SeccompProgram.Flag.log
    case "SECCOMP_FILTER_FLAG_SPEC_ALLOW": return SeccompProgram.Flag.specAllow
    case "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": return SeccompProgram.Flag.waitKillableRecv
    default: throw SeccompError(field: field, problem: "unknown flag \"\(name)\"")
    }
}

/// Linux syscalls take at most six arguments.
let syscallMaxArguments = 6

// MARK: - Plan

/// A config checked and resolved to numbers, before any libseccomp state exists.
private struct Plan {
    struct Rule {
        var field: String
        var name: String
        var number: Int32
        var action: UInt32
        /// One libseccomp rule per element: AND within, OR across.
        var conditionSets: [[scmp_arg_cmp]]
    }

    var defaultAction: UInt32
    var architectures: [SeccompArchitecture] = []
    var flags: UInt32
    var needsListener = false
    var nameCount = 0
    var rules: [Rule] = []

    init(_ config: RuntimeSpec.Seccomp) throws(SeccompError) {
        let root = "linux.seccomp"
        defaultAction = try seccompAction(
            config.defaultAction, errnoRet: config.defaultErrnoRet, field: "\(root).defaultAction")
        if defaultAction == notifyAction {
            // Every syscall would wait on an agent the container cannot yet have reached.
            throw SeccompError(field: "\(root).defaultAction", problem: "SCMP_ACT_NOTIFY cannot be the default action")
        }

        for (i, name) in (config.architectures ?? []).enumerated() {
            architectures.append(try SeccompArchitecture.resolve(name, field: "\(root).architectures[\(i)]"))
        }

        if let names = config.flags {
            var bits: UInt32 = 0
            for (i, name) in names.enumerated() {
                bits |= try seccompFlag(name, field: "\(root).flags[\(i)]")
            }
            flags = bits
        } else {
            // runc: no flags given (not even an empty list) means SPEC_ALLOW.
            flags = SeccompProgram.Flag.specAllow
        }

        for (i, syscall) in (config.syscalls ?? []).enumerated() {
            let field = "\(root).syscalls[\(i)]"
            let action = try seccompAction(syscall.action, errnoRet: syscall.errnoRet, field: "\(field).action")
            let args = syscall.args ?? []
            var conditions: [scmp_arg_cmp] = []
            var perIndex = [Int](repeating: 0, count: syscallMaxArguments)
            for (j, arg) in args.enumerated() {
                let op = try seccompOperator(arg.op, field: "\(field).args[\(j)].op")
                guard arg.index < syscallMaxArguments else {
                    throw SeccompError(
                        field: "\(field).args[\(j)].index",
                        problem: "\(arg.index) is out of range (a syscall has arguments 0 to \(syscallMaxArguments - 1))")
                }
                perIndex[Int(arg.index)] += 1
                // For MASKED_EQ libseccomp's datum_a is the mask and datum_b the value: runc
                // passes `value` as the mask and `valueTwo` as the compared value.
                conditions.append(scmp_arg_cmp(arg: UInt32(arg.index), op: op, datum_a: arg.value, datum_b: arg.valueTwo ?? 0))
            }
            let conditionSets: [[scmp_arg_cmp]] =
                perIndex.contains { $0 > 1 } ? conditions.map { [$0] } : [conditions]

            if action == notifyAction {
                needsListener = true
                if syscall.names.contains("write") {
                    // runc: the container's init reports the listener fd with write(2).
                    throw SeccompError(field: "\(field).action", problem: "SCMP_ACT_NOTIFY cannot be used for the write syscall")
                }
            }
            nameCount += syscall.names.count
            for (j, name) in syscall.names.enumerated() {
                guard !name.isEmpty else {
                    throw SeccompError(field: "\(field).names[\(j)]", problem: "empty syscall name")
                }
                // Redundant with the default: libseccomp would refuse it.
                if action == defaultAction { continue }
                let number = seccomp_syscall_resolve_name(name)
                // Unknown to this libseccomp: assume the kernel lacks it too, as runc does.
                if number == __NR_SCMP_ERROR { continue }
                rules.append(Rule(field: field, name: name, number: number, action: action, conditionSets: conditionSets))
            }
        }

        if needsListener {
            flags |= SeccompProgram.Flag.newListener
            // The kernel refuses TSYNC with NEW_LISTENER (without TSYNC_ESRCH); the process
            // installing the filter is single-threaded, so TSYNC would do nothing anyway.
            flags &= ~SeccompProgram.Flag.tsync
        }
    }

    /// Builds the filter with libseccomp and exports it; frees the context on every path.
    func build() throws(SeccompError) -> SeccompProgram {
        let root = "linux.seccomp"
        guard let ctx = seccomp_init(defaultAction) else {
            throw SeccompError(field: "\(root).defaultAction", problem: "libseccomp rejected the default action")
        }
        defer { seccomp_release(ctx) }

        try check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), field: root, doing: "clearing the no_new_privs attribute")

        for (i, arch) in architectures.enumerated() {
            let rc = seccomp_arch_add(ctx, arch.token)
            // The native architecture is always present already.
            if rc == -EEXIST { continue }
            try check(rc, field: "\(root).architectures[\(i)]", doing: "adding architecture \(arch.name)")
        }

        // runc: a binary-tree syscall lookup for long rule sets (libseccomp <= 2.5.4
        // misbehaves with it on empty ones).
        if nameCount > 32 {
            _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)
        }

        for rule in rules {
            for conditions in rule.conditionSets {
                let rc = conditions.withUnsafeBufferPointer { buffer in
                    seccomp_rule_add_array(ctx, rule.action, rule.number, UInt32(buffer.count), buffer.baseAddress)
                }
                try check(rc, field: rule.field, doing: "adding the rule for \"\(rule.name)\"")
            }
        }

        let bpf = try export(ctx)
        guard !bpf.isEmpty, bpf.count % 8 == 0 else {
            throw SeccompError(field: root, problem: "libseccomp exported \(bpf.count) bytes, not a whole BPF program")
        }
        return SeccompProgram(bpf: bpf, flags: flags, needsListener: needsListener)
    }

    private func export(_ ctx: scmp_filter_ctx) throws(SeccompError) -> [UInt8] {
        let fd = skiff_seccomp_memfd("skiff-seccomp")
        guard fd >= 0 else {
            throw SeccompError(field: "linux.seccomp", problem: "memfd_create: \(errnoText(errno))")
        }
        defer { close(fd) }
        try check(seccomp_export_bpf(ctx, fd), field: "linux.seccomp", doing: "exporting the BPF program")

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        var offset: off_t = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SeccompError(field: "linux.seccomp", problem: "reading the exported BPF program: \(errnoText(errno))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            offset += off_t(n)
        }
        return bytes
    }

    private func check(_ rc: Int32, field: String, doing what: String) throws(SeccompError) {
        guard rc < 0 else { return }
        throw SeccompError(field: field, problem: "libseccomp failed \(what): \(errnoText(-rc))")
    }
}

func errnoText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return "\(String(cString: text)) (errno \(code))"
}
