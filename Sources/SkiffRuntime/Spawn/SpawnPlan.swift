import CSkiffSpawn
import Glibc
import SkiffSystem
import SkiffOCI

/// Everything the spawn child needs, as Swift values: built from a config
/// without touching the system, so it can be checked without root.
struct SpawnPlan {
    struct Join: Equatable {
        var path: String
        var nstype: Int32
    }

    struct Device: Equatable {
        var path: String
        var mode: mode_t
        var major: UInt32
        var minor: UInt32
        var uid: uid_t
        var gid: gid_t
    }

    struct Hook {
        var path: String
        var args: [String]
        var env: [String]

        init(_ hook: RuntimeSpec.Hook) {
            path = hook.path
            args = hook.args ?? [hook.path]
            env = hook.env ?? []
        }
    }

    var cloneFlags: Int32 = 0
    var unshareCgroup = false
    var joins: [Join] = []
    var joinPIDNamespace: String?

    var rootfs: String?
    var rootfsReadonly = false
    var rootfsPropagation: UInt = 0
    var mounts: [MountEntry] = []
    var devices: [Device] = []
    var bindDevices = false
    var symlinks: [(target: String, path: String)] = []
    var maskedPaths: [String] = []
    var readonlyPaths: [String] = []
    var sysctls: [(path: String, value: String)] = []
    var hostname: String?
    var domainname: String?

    var terminal = false
    var consoleRows: UInt16 = 0
    var consoleCols: UInt16 = 0

    var args: [String] = []
    var env: [String] = []
    var cwd: String?
    var setUser = true
    var uid: uid_t = 0
    var gid: gid_t = 0
    var groups: [gid_t] = []
    var umask: Int32 = -1
    var rlimits: [(resource: Int32, soft: UInt64, hard: UInt64)] = []
    var oomScoreAdj: Int32?
    var capabilities: (bounding: UInt64, effective: UInt64, permitted: UInt64, inheritable: UInt64, ambient: UInt64)?
    var noNewPrivileges = false
    var createHooks: [Hook] = []
    var startHooks: [Hook] = []

    /// PATH from the process environment, for looking up args[0].
    var pathEnv: String? {
        env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
    }

    static let namespaceFlags: [RuntimeSpec.NamespaceType: Int32] = [
        .pid: SKIFF_CLONE_NEWPID, .network: SKIFF_CLONE_NEWNET, .mount: SKIFF_CLONE_NEWNS, .ipc: SKIFF_CLONE_NEWIPC,
        .uts: SKIFF_CLONE_NEWUTS, .user: SKIFF_CLONE_NEWUSER, .cgroup: SKIFF_CLONE_NEWCGROUP, .time: SKIFF_CLONE_NEWTIME,
    ]

    static let rlimitNames: [String: Int32] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4,
        "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9,
        "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
        "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]

    /// The devices every container gets (runc's default list).
    static let defaultDevices: [Device] = [
        Device(path: "/dev/null", mode: S_IFCHR | 0o666, major: 1, minor: 3, uid: 0, gid: 0),
        Device(path: "/dev/zero", mode: S_IFCHR | 0o666, major: 1, minor: 5, uid: 0, gid: 0),
        Device(path: "/dev/full", mode: S_IFCHR | 0o666, major: 1, minor: 7, uid: 0, gid: 0),
        Device(path: "/dev/random", mode: S_IFCHR | 0o666, major: 1, minor: 8, uid: 0, gid: 0),
        Device(path: "/dev/urandom", mode: S_IFCHR | 0o666, major: 1, minor: 9, uid: 0, gid: 0),
        Device(path: "/dev/tty", mode: S_IFCHR | 0o666, major: 5, minor: 0, uid: 0, gid: 0),
    ]
}

extension SpawnPlan {
    /// The process part of a plan: user, capabilities, limits, environment.
    mutating func applyProcess(_ process: RuntimeSpec.Process) throws(RuntimeError) {
        guard let args = process.args, !args.isEmpty else {
            throw RuntimeError(stage: "config", "config.json: process.args: must name the program to run")
        }
        self.args = args
        env = process.env ?? []
        cwd = process.cwd
        guard process.cwd.hasPrefix("/") else {
            throw RuntimeError(stage: "config", "config.json: process.cwd: must be an absolute path, got \"\(process.cwd)\"")
        }
        terminal = process.terminal ?? false
        if let size = process.consoleSize {
            consoleRows = UInt16(clamping: size.height)
            consoleCols = UInt16(clamping: size.width)
        }
        uid = process.user.uid
        gid = process.user.gid
        groups = process.user.additionalGids ?? []
        umask = process.user.umask.map { Int32($0) } ?? 0o022
        for (i, limit) in (process.rlimits ?? []).enumerated() {
            guard let resource = Self.rlimitNames[limit.type] else {
                throw RuntimeError(stage: "config", "config.json: process.rlimits[\(i)].type: unknown rlimit \"\(limit.type)\"")
            }
            rlimits.append((resource, limit.soft, limit.hard))
        }
        oomScoreAdj = process.oomScoreAdj.map { Int32($0) }
        if let caps = process.capabilities {
            capabilities = (
                try Capability.mask(caps.bounding, field: "process.capabilities.bounding"),
                try Capability.mask(caps.effective, field: "process.capabilities.effective"),
                try Capability.mask(caps.permitted, field: "process.capabilities.permitted"),
                try Capability.mask(caps.inheritable, field: "process.capabilities.inheritable"),
                try Capability.mask(caps.ambient, field: "process.capabilities.ambient"))
        }
        noNewPrivileges = process.noNewPrivileges ?? false
    }

    /// A plan for a new container from its config.
    static func create(spec: RuntimeSpec, bundle: String, cgroupMounts: (RuntimeSpec.Mount, Bool) -> [MountEntry]) throws(RuntimeError) -> SpawnPlan {
        var plan = SpawnPlan()
        guard let process = spec.process else {
            throw RuntimeError(stage: "config", "config.json: process: required to create a container")
        }
        try plan.applyProcess(process)
        guard let root = spec.root else {
            throw RuntimeError(stage: "config", "config.json: root: required (the container's root filesystem)")
        }
        let rootfs = root.path.hasPrefix("/") ? root.path : bundle + "/" + root.path
        guard Directories.isDirectory(rootfs) else {
            let problem = Directories.exists(rootfs) ? "not a directory" : "no such file or directory"
            throw RuntimeError(stage: "config", "config.json: root.path: \(rootfs): \(problem)", errno: ENOENT)
        }
        plan.rootfs = Self.realPath(rootfs)
        plan.env = Passwd.withHome(plan.env, uid: plan.uid, rootfs: plan.rootfs!)
        plan.rootfsReadonly = root.readonly ?? false

        let linux = spec.linux ?? RuntimeSpec.Linux()
        var seen = Set<RuntimeSpec.NamespaceType>()
        for (i, ns) in (linux.namespaces ?? []).enumerated() {
            guard seen.insert(ns.type).inserted else {
                throw RuntimeError(stage: "config", "config.json: linux.namespaces[\(i)]: \(ns.type.rawValue) namespace listed twice")
            }
            let flag = Self.namespaceFlags[ns.type]!
            if let path = ns.path, !path.isEmpty {
                if ns.type == .pid {
                    plan.joinPIDNamespace = path
                } else {
                    plan.joins.append(Join(path: path, nstype: flag))
                }
            } else if ns.type == .cgroup {
                plan.unshareCgroup = true
            } else {
                plan.cloneFlags |= flag
            }
        }
        let hasUTS = seen.contains(.uts)
        if spec.hostname?.isEmpty == false {
            guard hasUTS else {
                throw RuntimeError(stage: "config", "config.json: hostname: setting a hostname needs a uts namespace")
            }
            plan.hostname = spec.hostname
        }
        if spec.domainname?.isEmpty == false {
            guard hasUTS else {
                throw RuntimeError(stage: "config", "config.json: domainname: setting a domainname needs a uts namespace")
            }
            plan.domainname = spec.domainname
        }
        guard seen.contains(.mount) else {
            throw RuntimeError(stage: "config", "config.json: linux.namespaces: a mount namespace is required")
        }
        let userNamespace = seen.contains(.user)
        plan.bindDevices = userNamespace

        var hasDevpts = false
        for mount in spec.mounts ?? [] {
            guard mount.destination.hasPrefix("/") else {
                throw RuntimeError(stage: "config", "config.json: mounts: destination \"\(mount.destination)\" must be absolute")
            }
            if mount.type == "cgroup" || mount.type == "cgroup2" {
                plan.mounts += cgroupMounts(mount, plan.unshareCgroup)
                continue
            }
            if mount.type == "devpts" { hasDevpts = true }
            plan.mounts.append(MountEntry(mount, bundle: bundle))
        }
        if let propagation = linux.rootfsPropagation, !propagation.isEmpty {
            guard let flag = MountOptions.propagationFlags[propagation] else {
                throw RuntimeError(stage: "config", "config.json: linux.rootfsPropagation: unknown propagation \"\(propagation)\"")
            }
            plan.rootfsPropagation = flag
        }

        // Devices: the defaults, then the config's (which may replace them).
        var devices = Self.defaultDevices
        for (i, d) in (linux.devices ?? []).enumerated() {
            let type: mode_t
            switch d.type {
            case "c", "u": type = S_IFCHR
            case "b": type = S_IFBLK
            case "p": type = S_IFIFO
            default:
                throw RuntimeError(stage: "config", "config.json: linux.devices[\(i)].type: unknown device type \"\(d.type)\"")
            }
            let device = Device(
                path: d.path, mode: type | (d.fileMode ?? 0o666) & 0o7777,
                major: UInt32(d.major ?? 0), minor: UInt32(d.minor ?? 0), uid: d.uid ?? 0, gid: d.gid ?? 0)
            devices.removeAll { $0.path == d.path }
            devices.append(device)
        }
        plan.devices = devices
        plan.symlinks = [
            ("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
            ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr"),
        ]
        if hasDevpts { plan.symlinks.append(("pts/ptmx", "/dev/ptmx")) }

        plan.maskedPaths = linux.maskedPaths ?? []
        plan.readonlyPaths = linux.readonlyPaths ?? []
        for (key, value) in (linux.sysctl ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard !key.isEmpty, !key.split(separator: "/").contains("..") else {
                throw RuntimeError(stage: "config", "config.json: linux.sysctl: invalid key \"\(key)\"")
            }
            plan.sysctls.append(("/proc/sys/" + (key.contains("/") ? key : key.replacingDots()), value))
        }
        plan.createHooks = (spec.hooks?.createContainer ?? []).map(Hook.init)
        plan.startHooks = (spec.hooks?.startContainer ?? []).map(Hook.init)
        return plan
    }

    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

extension String {
    /// `net.ipv4.ip_forward` → `net/ipv4/ip_forward`.
    func replacingDots() -> String {
        String(map { $0 == "." ? "/" : $0 })
    }
}
