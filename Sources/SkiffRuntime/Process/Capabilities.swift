/// Linux capability names and their bit numbers (linux/capability.h).
public enum Capability {
    /// Index = capability number.
    public static let names: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
        "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ]

    /// The number of `name` (`CAP_SYS_ADMIN` or `SYS_ADMIN`, any case), nil if unknown.
    public static func number(_ name: String) -> Int? {
        var upper = name.uppercased()
        if !upper.hasPrefix("CAP_") { upper = "CAP_" + upper }
        return names.firstIndex(of: upper)
    }

    /// A capability set as a bit mask; unknown names are reported in `unknown`.
    public static func mask(_ list: [String]?, field: String) throws(RuntimeError) -> UInt64 {
        var mask: UInt64 = 0
        for (i, name) in (list ?? []).enumerated() {
            guard let bit = number(name) else {
                throw RuntimeError(stage: "config", "\(field)[\(i)]: unknown capability \"\(name)\"")
            }
            mask |= 1 << UInt64(bit)
        }
        return mask
    }

    /// The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap).
    public static var lastCap: Int {
        guard let text = try? FileIO.readString("/proc/sys/kernel/cap_last_cap"),
              let value = Int(text.trimmingWhitespace()) else { return names.count - 1 }
        return value
    }
}
