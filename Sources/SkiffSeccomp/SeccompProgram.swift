/// A compiled seccomp filter, ready for `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)`.
public struct SeccompProgram: Sendable, Equatable {
    /// The filter as an array of `struct sock_filter` (8 bytes each, host byte order).
    public var bpf: [UInt8]
    /// SECCOMP_FILTER_FLAG_* bits to pass to seccomp(2). Includes `newListener` when
    /// `needsListener` is set.
    public var flags: UInt32
    /// Some rule uses SCMP_ACT_NOTIFY: install with SECCOMP_FILTER_FLAG_NEW_LISTENER and hand
    /// the returned fd to the seccomp agent.
    public var needsListener: Bool

    public init(bpf: [UInt8], flags: UInt32, needsListener: Bool) {
        self.bpf = bpf
        self.flags = flags
        self.needsListener = needsListener
    }

    /// Number of BPF instructions (`sock_fprog.len`).
    public var instructionCount: Int { bpf.count / 8 }

    /// SECCOMP_FILTER_FLAG_* values from linux/seccomp.h.
    public enum Flag {
        public static let tsync: UInt32 = 1 << 0
        public static let log: UInt32 = 1 << 1
        public static let specAllow: UInt32 = 1 << 2
        public static let newListener: UInt32 = 1 << 3
        public static let tsyncESRCH: UInt32 = 1 << 4
        public static let waitKillableRecv: UInt32 = 1 << 5
    }
}
