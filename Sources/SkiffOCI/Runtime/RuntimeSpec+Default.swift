// The config `spec` writes: the same defaults runc and crun write, so that a
// bundle made by any of the three runs under the others.

extension RuntimeSpec {
    /// The capabilities runc's default spec keeps.
    public static let defaultCapabilities = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]

    /// Paths masked in every container by default (Docker's and runc's list).
    public static let defaultMaskedPaths = [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
        "/proc/scsi", "/sys/devices/virtual/powercap",
    ]

    /// Paths made read-only in every container by default.
    public static let defaultReadonlyPaths = [
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    ]

    /// The standard mounts of a Linux container.
    public static let defaultMounts: [Mount] = [
        Mount(destination: "/proc", type: "proc", source: "proc"),
        Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
              options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        Mount(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
        Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
        Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
        Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
    ]

    /// The version `spec` writes: the oldest 1.x that carries every field
    /// used here, so that crun and runc releases in use accept the bundle.
    public static let defaultSpecVersion = "1.0.2"

    /// A config for `args` on the root filesystem `rootfs` (relative to the bundle).
    public static func makeDefault(args: [String] = ["sh"], rootfs: String = "rootfs", terminal: Bool = true) -> RuntimeSpec {
        let caps = defaultCapabilities
        return RuntimeSpec(
            ociVersion: defaultSpecVersion,
            process: Process(
                terminal: terminal,
                args: args,
                env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
                cwd: "/",
                capabilities: Capabilities(bounding: caps, effective: caps, permitted: caps),
                rlimits: [Rlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)],
                noNewPrivileges: true),
            root: Root(path: rootfs, readonly: true),
            hostname: "runc",
            mounts: defaultMounts,
            linux: Linux(
                namespaces: [.init(type: .pid), .init(type: .network), .init(type: .ipc), .init(type: .uts), .init(type: .mount), .init(type: .cgroup)],
                resources: Resources(devices: [DeviceRule(allow: false, access: "rwm")]),
                maskedPaths: defaultMaskedPaths,
                readonlyPaths: defaultReadonlyPaths))
    }
}
