import FoundationEssentials
import Glibc
import SkiffOCI
import SkiffRuntime
import SkiffSeccomp

/// A container's OCI runtime spec: Docker's defaults (its capability set,
/// seccomp profile, masked and read-only paths, mounts) with the
/// container's configuration on top.
struct SpecBuilder {
    /// Docker's default capabilities (moby oci/caps/defaults.go).
    static let dockerCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]
    /// Where `--init` puts its init (Docker's path).
    static let initPath = "/sbin/docker-init"

    let container: Container
    /// Absolute path of the mounted root.
    let rootfs: String
    /// The container's directory (hosts, hostname, resolv.conf).
    let directory: String
    /// The host's init binary for `--init` (tini), if installed.
    let initBinary: String?
    /// The network namespace to join (its own sandbox or another container's).
    var networkNamespace: String? = nil
    /// The cgroup the container's goes under (`Engine.cgroupParent(of:)`).
    let cgroupParent: String

    func build() throws(EngineError) -> RuntimeSpec {
        let config = container.config
        var spec = RuntimeSpec.makeDefault(args: container.args.isEmpty ? [container.path] : [container.path] + container.args,
                                           rootfs: rootfs, terminal: config.tty)
        spec.root = .init(path: rootfs, readonly: config.readonlyRootfs)
        spec.hostname = container.hostname
        if let domain = config.domainname, !domain.isEmpty { spec.domainname = domain }

        // The process.
        var process = spec.process!
        process.args = container.path.isEmpty ? container.args : [container.path] + container.args
        if config.initProcess {
            guard initBinary != nil else {
                throw EngineError(.invalid, "--init: no init binary installed (tini-static)")
            }
            process.args = [Self.initPath, "--"] + (process.args ?? [])
        }
        process.env = container.env
        if let size = config.consoleSize, size.count == 2, size[0] > 0, size[1] > 0 {
            process.consoleSize = .init(height: UInt64(size[0]), width: UInt64(size[1]))
        }
        process.cwd = container.workingDir.isEmpty ? "/" : container.workingDir
        process.rlimits = try Self.rlimits(config)
        process.noNewPrivileges = config.noNewPrivileges
        let users = UserResolver(rootfs: rootfs)
        process.user = try users.processUser(container.user, groupAdd: config.groupAdd)
        let caps = try Self.capabilities(for: config)
        process.capabilities = .init(bounding: caps, effective: caps, permitted: caps)
        spec.process = process

        // Mounts: Docker's standard set less what the container mounts over, then the container's own.
        let own = containerMounts()
        let destinations = Set(own.map(\.destination))
        let mountsDev = destinations.contains("/dev")
        var mounts = RuntimeSpec.defaultMounts.filter { $0.destination != "/dev/shm" }
        let shm = config.shmSize ?? 64 << 20
        mounts.append(.init(destination: "/dev/shm", type: "tmpfs", source: "shm",
                            options: ["nosuid", "noexec", "nodev", "mode=1777", "size=\(shm)"]))
        if config.privileged {
            mounts = mounts.map { mount in
                var m = mount
                if m.destination == "/sys" || m.destination == "/sys/fs/cgroup" { m.options = m.options?.filter { $0 != "ro" } }
                return m
            }
        }
        mounts = mounts.filter { !destinations.contains($0.destination) && !(mountsDev && $0.destination.hasPrefix("/dev/")) }
        spec.mounts = mounts + own

        // Linux: namespaces, cgroup, resources, security.
        var linux = spec.linux!
        var namespaces: [RuntimeSpec.Namespace] = [.init(type: .pid), .init(type: .ipc), .init(type: .uts), .init(type: .mount)]
        if config.networkMode != "host" { namespaces.append(.init(type: .network, path: networkNamespace)) }
        if Self.cgroupV2 { namespaces.append(.init(type: .cgroup)) }
        linux.namespaces = namespaces
        linux.cgroupsPath = cgroupParent.hasSuffix("/") ? cgroupParent + container.id : cgroupParent + "/" + container.id
        linux.resources = resources()
        if !config.sysctls.isEmpty { linux.sysctl = config.sysctls }
        if config.privileged {
            linux.maskedPaths = nil
            linux.readonlyPaths = nil
            linux.resources?.devices = [.init(allow: true, access: "rwm")]
        } else {
            linux.resources?.devices = [.init(allow: false, access: "rwm")] + Self.defaultDeviceRules
            linux.seccomp = try seccomp(capabilities: caps)
        }
        // A shared or slave bind needs a root that passes propagation on (dockerd's rule).
        let propagations = container.mounts.filter { $0.kind == .bind }.map(\.propagation)
        if propagations.contains(where: { $0 == "shared" || $0 == "rshared" }) {
            linux.rootfsPropagation = "shared"
        } else if propagations.contains(where: { $0 == "slave" || $0 == "rslave" }) {
            linux.rootfsPropagation = "rslave"
        }
        spec.linux = linux
        return spec
    }

    /// The container's own mounts — binds, volumes, tmpfs, the hosts,
    /// hostname and resolv.conf files unless it mounts something there,
    /// the init — shallow first (a stable sort by depth, so `/a` never
    /// hides `/a/b`). `--tmpfs` wins over a volume at the same place.
    func containerMounts() -> [RuntimeSpec.Mount] {
        let config = container.config
        var own: [(depth: Int, mount: RuntimeSpec.Mount)] = []
        func add(_ mount: RuntimeSpec.Mount) {
            own.append((mount.destination.split(separator: "/").count, mount))
        }
        for (path, options) in config.tmpfs.sorted(by: { $0.key < $1.key }) {
            var opts = ["nosuid", "nodev", "noexec"]
            if !options.isEmpty { opts += options.split(separator: ",").map(String.init) }
            add(.init(destination: path, type: "tmpfs", source: "tmpfs", options: opts))
        }
        for mount in container.mounts where config.tmpfs[mount.destination] == nil {
            switch mount.kind {
            case .tmpfs:
                add(.init(destination: mount.destination, type: "tmpfs", source: "tmpfs",
                          options: ["nosuid", "nodev", "noexec"] + mount.tmpfsOptions))
            case .bind, .volume:
                var options = [mount.nonRecursive ? "bind" : "rbind"]
                if !mount.readWrite { options.append("ro") }
                if !mount.propagation.isEmpty { options.append(mount.propagation) }
                add(.init(destination: mount.destination, type: "bind", source: mount.source, options: options))
            }
        }
        let taken = Set(own.map(\.mount.destination))
        for file in ["hosts", "hostname", "resolv.conf"] where !taken.contains("/etc/" + file) {
            add(.init(destination: "/etc/" + file, type: "bind", source: directory + "/" + file, options: ["rbind", "rprivate"]))
        }
        if config.initProcess, let initBinary {
            add(.init(destination: Self.initPath, type: "bind", source: initBinary, options: ["bind", "ro"]))
        }
        return own.enumerated().sorted { ($0.element.depth, $0.offset) < ($1.element.depth, $1.offset) }.map(\.element.mount)
    }

    /// Docker's set with `--cap-add`/`--cap-drop` applied (all with --privileged).
    static func capabilities(for config: ContainerConfiguration) throws(EngineError) -> [String] {
        let all = Self.boundingCapabilities()
        if config.privileged { return all }
        func normalize(_ name: String) -> String {
            let upper = name.uppercased()
            return upper == "ALL" || upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        }
        var caps = Self.dockerCapabilities
        let drops = config.capDrop.map(normalize)
        let adds = config.capAdd.map(normalize)
        for cap in drops + adds where cap != "ALL" && Capability.number(cap) == nil {
            throw EngineError(.invalid, "invalid capability: \(cap)")
        }
        if drops.contains("ALL") { caps = [] }
        caps.removeAll { drops.contains($0) }
        if adds.contains("ALL") { return all }
        for cap in adds where !caps.contains(cap) { caps.append(cap) }
        return caps
    }

    func seccomp(capabilities: [String]) throws(EngineError) -> RuntimeSpec.Seccomp? {
        let profile: DockerSeccompProfile
        switch container.config.seccomp {
        case .unconfined:
            return nil
        case .builtin:
            profile = DockerSeccompProfile.dockerDefault
        case .profile(let text):
            do {
                profile = try DockerSeccompProfile.decode(Array(text.utf8))
            } catch {
                throw EngineError(.invalid, "Decoding seccomp profile failed: \(error)")
            }
        }
        do {
            return try profile.runtimeSeccomp(capabilities: capabilities, platform: SeccompPlatform.current())
        } catch {
            throw EngineError(.invalid, "seccomp profile: \(error)")
        }
    }

    func resources() -> RuntimeSpec.Resources {
        let r = container.config.resources
        var resources = RuntimeSpec.Resources()
        if r.memory != nil || r.memoryReservation != nil || r.memorySwap != nil || r.oomKillDisable != nil {
            var swap = r.memorySwap
            // Docker: swap defaults to twice the memory limit.
            if let limit = r.memory, limit > 0, swap == nil || swap == 0 { swap = limit * 2 }
            resources.memory = .init(limit: r.memory.flatMap { $0 > 0 ? $0 : nil }, reservation: r.memoryReservation.flatMap { $0 > 0 ? $0 : nil },
                                     swap: swap.flatMap { $0 != 0 ? $0 : nil }, disableOOMKiller: r.oomKillDisable)
        }
        var cpu = RuntimeSpec.CPU()
        if let nano = r.nanoCPUs, nano > 0 {
            cpu.period = 100_000
            cpu.quota = nano * 100_000 / 1_000_000_000
        }
        if let quota = r.cpuQuota, quota > 0 { cpu.quota = quota }
        if let period = r.cpuPeriod, period > 0 { cpu.period = UInt64(period) }
        if let shares = r.cpuShares, shares > 0 { cpu.shares = UInt64(shares) }
        if let cpus = r.cpusetCpus, !cpus.isEmpty { cpu.cpus = cpus }
        if let mems = r.cpusetMems, !mems.isEmpty { cpu.mems = mems }
        if cpu != RuntimeSpec.CPU() { resources.cpu = cpu }
        if let limit = r.pidsLimit, limit > 0 { resources.pids = .init(limit: limit) }
        return resources
    }

    /// The devices every container may use (Docker's default allow list).
    static let defaultDeviceRules: [RuntimeSpec.DeviceRule] = [
        (1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (136, -1), (10, 200),
    ].map { RuntimeSpec.DeviceRule(allow: true, type: "c", major: $0.0, minor: $0.1 < 0 ? nil : $0.1, access: "rwm") }

    /// Every capability the daemon itself may grant (its bounding set), as
    /// podman does: "all capabilities" for --privileged and --cap-add ALL.
    static func boundingCapabilities() -> [String] {
        let known = Array(Capability.names.prefix(Capability.lastCap + 1))
        guard let status = try? FileIO.readString("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapBnd:") }),
              let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) else { return known }
        return known.enumerated().filter { mask & (1 << UInt64($0.offset)) != 0 }.map(\.element)
    }

    static var cgroupV2: Bool {
        access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
    }

    /// The container's `--ulimit`s as OCI rlimits (its exec processes get them too); nil when none.
    static func rlimits(_ config: ContainerConfiguration) throws(EngineError) -> [RuntimeSpec.Rlimit]? {
        config.resources.ulimits.isEmpty ? nil : try config.resources.ulimits.map { (u) throws(EngineError) in
            guard let name = Self.rlimitName(u.name) else { throw EngineError(.invalid, "invalid ulimit type: \(u.name)") }
            return RuntimeSpec.Rlimit(type: name, hard: UInt64(max(u.hard, 0)), soft: UInt64(max(u.soft, 0)))
        }
    }

    static func rlimitName(_ name: String) -> String? {
        let known = ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack", "as"]
        return known.contains(name) ? "RLIMIT_" + name.uppercased() : nil
    }
}
