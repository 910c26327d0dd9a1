import SkiffOCI
import SkiffSeccomp

/// What `features` prints (runtime-spec features.md; oci-runtime-schema/features-schema.json).
public struct RuntimeFeatures: Codable, Sendable {
    public struct Linux: Codable, Sendable {
        public struct Cgroup: Codable, Sendable {
            public var v1: Bool
            public var v2: Bool
            public var systemd: Bool
            public var systemdUser: Bool
        }
        public struct Seccomp: Codable, Sendable {
            public var enabled: Bool
            public var actions: [String]
            public var operators: [String]
            public var archs: [String]
            public var knownFlags: [String]
            public var supportedFlags: [String]
        }
        public struct Enabled: Codable, Sendable {
            public var enabled: Bool
        }
        public var namespaces: [String]
        public var capabilities: [String]
        public var cgroup: Cgroup
        public var seccomp: Seccomp
        public var apparmor: Enabled
        public var selinux: Enabled
        public var intelRdt: Enabled
    }

    public var ociVersionMin: String
    public var ociVersionMax: String
    public var hooks: [String]
    public var mountOptions: [String]
    public var linux: Linux

    public static func current() -> RuntimeFeatures {
        let flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]
        let options = Array(MountOptions.setFlags.keys) + Array(MountOptions.clearFlags.keys) + Array(MountOptions.propagationFlags.keys)
        return RuntimeFeatures(
            ociVersionMin: "1.0.0",
            ociVersionMax: RuntimeSpec.version,
            hooks: ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
            mountOptions: options.sorted(),
            linux: Linux(
                namespaces: ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"],
                capabilities: Array(Capability.names.prefix(Capability.lastCap + 1)),
                cgroup: .init(v1: true, v2: true, systemd: false, systemdUser: false),
                seccomp: .init(
                    enabled: true,
                    actions: ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                              "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"],
                    operators: ["SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"],
                    archs: SeccompArchitecture.ociNames,
                    knownFlags: flags,
                    supportedFlags: flags),
                apparmor: .init(enabled: false),
                selinux: .init(enabled: false),
                intelRdt: .init(enabled: false)))
    }
}
