import CSkiffSpawn
import Glibc
import SkiffSeccomp

/// A child cloned from a plan, waiting at its first sync step.
struct SpawnedChild {
    let pid: pid_t
    /// The parent's end of the sync socket.
    let sync: Int32
    /// Born in `SpawnIO.cgroup`'s cgroup2 directory (clone3 with CLONE_INTO_CGROUP).
    let clonedIntoCgroup: Bool
}

/// Extra file descriptors and settings that are not part of the config.
struct SpawnIO {
    var execFifoFD: Int32 = -1
    var consoleSocketFD: Int32 = -1
    var seccompListenerFD: Int32 = -1
    var preserveFDs: Int32 = 0
    /// The process's stdin, stdout, stderr (-1: the caller's).
    var stdio: Stdio = .inherited
    var hooksInParent = false
    var hookState: String?
    /// How the child enters its cgroup by itself (nothing: the parent adds it).
    var cgroup = CgroupEntry()
}

/// Turns a plan into a cloned child (the C side is in CSkiffSpawn).
enum Spawner {
    static func spawn(_ plan: SpawnPlan, seccomp: SeccompProgram?, io: SpawnIO) throws(RuntimeError) -> SpawnedChild {
        let arena = CArena()
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }

        // Namespaces to join, opened before clone.
        var joins: [skiff_ns_join] = []
        for join in plan.joins {
            let fd = open(join.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .system("namespace", "open namespace \(join.path)") }
            fds.append(fd)
            joins.append(skiff_ns_join(fd: fd, nstype: join.nstype))
        }
        // A pid namespace is entered by the parent: it applies to children only.
        if let path = plan.joinPIDNamespace {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .system("namespace", "open namespace \(path)") }
            defer { close(fd) }
            guard skiff_setns(fd, SKIFF_CLONE_NEWPID) == 0 else { throw .system("namespace", "setns(\(path), CLONE_NEWPID)") }
        }

        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw .system("spawn", "socketpair")
        }

        var exeStat = stat()
        let haveExe = stat("/proc/self/exe", &exeStat) == 0

        var cfg = skiff_spawn_config()
        cfg.clone_flags = UInt(bitPattern: Int(plan.cloneFlags))
        cfg.unshare_cgroup = plan.unshareCgroup ? 1 : 0
        cfg.clone_into_cgroup_fd = io.cgroup.cgroup2FD
        cfg.cgroup_tasks_fds = arena.array(io.cgroup.tasksFDs)
        cfg.n_cgroup_tasks_fds = io.cgroup.tasksFDs.count
        cfg.joins = arena.array(joins)
        cfg.n_joins = joins.count
        cfg.sync_fd = pair[1]
        cfg.parent_sync_fd = pair[0]
        cfg.hooks_in_parent = io.hooksInParent ? 1 : 0

        cfg.rootfs = arena.optionalString(plan.rootfs)
        cfg.rootfs_readonly = plan.rootfsReadonly ? 1 : 0
        cfg.rootfs_propagation = plan.rootfsPropagation
        let mounts = plan.mounts.map { m in
            skiff_mount(
                source: arena.optionalString(m.source), target: arena.string(m.target),
                fstype: arena.optionalString(m.fstype), data: arena.optionalString(m.data),
                flags: m.flags, remount_flags: m.remountFlags, propagation: m.propagation,
                is_bind: m.isBind ? 1 : 0, source_is_dir: m.sourceIsDirectory ? 1 : 0)
        }
        cfg.mounts = arena.array(mounts)
        cfg.n_mounts = mounts.count
        let devices = plan.devices.map { d in
            skiff_device(path: arena.string(d.path), mode: d.mode, dev: Self.deviceNumber(major: d.major, minor: d.minor), uid: d.uid, gid: d.gid)
        }
        cfg.devices = arena.array(devices)
        cfg.n_devices = devices.count
        cfg.bind_devices = plan.bindDevices ? 1 : 0
        let links = plan.symlinks.map { skiff_symlink(target: arena.string($0.target), path: arena.string($0.path)) }
        cfg.symlinks = arena.array(links)
        cfg.n_symlinks = links.count
        cfg.masked_paths = arena.constStringArray(plan.maskedPaths)
        cfg.n_masked_paths = plan.maskedPaths.count
        cfg.readonly_paths = arena.constStringArray(plan.readonlyPaths)
        cfg.n_readonly_paths = plan.readonlyPaths.count
        let sysctls = plan.sysctls.map { skiff_sysctl(path: arena.string($0.path), value: arena.string($0.value)) }
        cfg.sysctls = arena.array(sysctls)
        cfg.n_sysctls = sysctls.count
        cfg.hostname = arena.optionalString(plan.hostname)
        cfg.domainname = arena.optionalString(plan.domainname)

        cfg.terminal = plan.terminal ? 1 : 0
        cfg.console_socket_fd = io.consoleSocketFD
        cfg.console_rows = plan.consoleRows
        cfg.console_cols = plan.consoleCols

        cfg.path_env = arena.optionalString(plan.pathEnv)
        cfg.argv = arena.stringArray(plan.args)
        cfg.envp = arena.stringArray(plan.env)
        cfg.cwd = arena.optionalString(plan.cwd)
        cfg.set_user = plan.setUser ? 1 : 0
        cfg.uid = plan.uid
        cfg.gid = plan.gid
        cfg.groups = arena.array(plan.groups)
        cfg.n_groups = plan.groups.count
        cfg.umask = plan.umask
        let rlimits = plan.rlimits.map { skiff_rlimit(resource: $0.resource, soft: $0.soft, hard: $0.hard) }
        cfg.rlimits = arena.array(rlimits)
        cfg.n_rlimits = rlimits.count
        if let adj = plan.oomScoreAdj {
            cfg.set_oom_score_adj = 1
            cfg.oom_score_adj = adj
        }
        if let caps = plan.capabilities {
            cfg.set_caps = 1
            cfg.cap_bounding = caps.bounding
            cfg.cap_effective = caps.effective
            cfg.cap_permitted = caps.permitted
            cfg.cap_inheritable = caps.inheritable
            cfg.cap_ambient = caps.ambient
        }
        cfg.no_new_privs = plan.noNewPrivileges ? 1 : 0

        if let seccomp {
            cfg.seccomp_filter = arena.bytes(seccomp.bpf)
            cfg.seccomp_len = UInt16(seccomp.bpf.count / 8)
            cfg.seccomp_flags = seccomp.flags
        }
        cfg.seccomp_listener_fd = io.seccompListenerFD

        cfg.exec_fifo_fd = io.execFifoFD
        cfg.preserve_fds = io.preserveFDs
        cfg.stdio_fds = (io.stdio.input, io.stdio.output, io.stdio.error)
        if haveExe {
            cfg.self_exe_dev = exeStat.st_dev
            cfg.self_exe_ino = exeStat.st_ino
        }
        func cHooks(_ hooks: [SpawnPlan.Hook]) -> [skiff_hook] {
            hooks.map { skiff_hook(path: arena.string($0.path), argv: arena.stringArray($0.args), envp: arena.stringArray($0.env)) }
        }
        let createHooks = cHooks(plan.createHooks)
        cfg.create_hooks = arena.array(createHooks)
        cfg.n_create_hooks = createHooks.count
        let startHooks = cHooks(plan.startHooks)
        cfg.start_hooks = arena.array(startHooks)
        cfg.n_start_hooks = startHooks.count
        cfg.hook_state = arena.optionalString(io.hookState)

        var clonedIntoCgroup: Int32 = 0
        let pid = skiff_spawn(&cfg, &clonedIntoCgroup)
        let err = errno
        close(pair[1])
        guard pid > 0 else {
            close(pair[0])
            throw .system("spawn", "clone", errno: err)
        }
        return SpawnedChild(pid: pid, sync: pair[0], clonedIntoCgroup: clonedIntoCgroup != 0)
    }

    /// glibc's makedev(3).
    static func deviceNumber(major: UInt32, minor: UInt32) -> dev_t {
        let ma = UInt64(major), mi = UInt64(minor)
        return dev_t(((ma & 0xffff_f000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffff_ff00) << 12) | (mi & 0xff))
    }
}

/// The steps of the child, named for messages (enum skiff_step).
enum SpawnStep {
    static let names: [UInt32: String] = [
        SKIFF_STEP_WAIT_PARENT.rawValue: "wait for parent",
        SKIFF_STEP_JOIN_NAMESPACE.rawValue: "join namespace",
        SKIFF_STEP_SET_IDS_IN_USERNS.rawValue: "user namespace ids",
        SKIFF_STEP_UNSHARE_CGROUP.rawValue: "cgroup namespace",
        SKIFF_STEP_LOOPBACK.rawValue: "loopback",
        SKIFF_STEP_ROOT_PROPAGATION.rawValue: "root propagation",
        SKIFF_STEP_BIND_ROOTFS.rawValue: "bind rootfs",
        SKIFF_STEP_MOUNT.rawValue: "mount",
        SKIFF_STEP_DEVICE.rawValue: "devices",
        SKIFF_STEP_CONSOLE.rawValue: "console",
        SKIFF_STEP_HOOKS.rawValue: "createContainer hooks",
        SKIFF_STEP_PIVOT_ROOT.rawValue: "pivot_root",
        SKIFF_STEP_SYSCTL.rawValue: "sysctl",
        SKIFF_STEP_MASK_PATHS.rawValue: "masked paths",
        SKIFF_STEP_READONLY_PATHS.rawValue: "readonly paths",
        SKIFF_STEP_READONLY_ROOT.rawValue: "readonly rootfs",
        SKIFF_STEP_HOSTNAME.rawValue: "hostname",
        SKIFF_STEP_CWD.rawValue: "cwd",
        SKIFF_STEP_RLIMIT.rawValue: "rlimit",
        SKIFF_STEP_OOM_SCORE.rawValue: "oom score",
        SKIFF_STEP_FIND_EXECUTABLE.rawValue: "exec",
        SKIFF_STEP_SECCOMP.rawValue: "seccomp",
        SKIFF_STEP_SET_USER.rawValue: "user",
        SKIFF_STEP_CAPABILITIES.rawValue: "capabilities",
        SKIFF_STEP_NO_NEW_PRIVS.rawValue: "no_new_privs",
        SKIFF_STEP_READY.rawValue: "ready",
        SKIFF_STEP_WAIT_START.rawValue: "wait for start",
        SKIFF_STEP_START_HOOKS.rawValue: "startContainer hooks",
        SKIFF_STEP_EXEC.rawValue: "exec",
        SKIFF_STEP_JOIN_CGROUP.rawValue: "cgroup",
    ]

    static func name(_ step: Int32) -> String {
        names[UInt32(bitPattern: step)] ?? "step \(step)"
    }

    /// The message for a step that failed in the child, in runc's words
    /// where callers (Docker) match on them.
    static func error(_ msg: skiff_sync_msg) -> RuntimeError {
        let detail = withUnsafeBytes(of: msg.detail) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let step = msg.step
        if UInt32(bitPattern: step) == SKIFF_STEP_FIND_EXECUTABLE.rawValue {
            // Matched by Docker: "executable file not found" → 127, "permission denied" → 126.
            let text: String
            switch msg.err {
            case ENOENT where !detail.contains("/"):
                text = "exec: \"\(detail)\": executable file not found in $PATH"
            case ENOENT:
                text = "exec: \"\(detail)\": stat \(detail): no such file or directory"
            case EACCES:
                text = "exec: \"\(detail)\": permission denied"
            default:
                text = "exec: \(detail): \(Errno.describe(msg.err))"
            }
            return RuntimeError(stage: "exec", "unable to start container process: \(text)", errno: msg.err)
        }
        return RuntimeError(
            stage: name(step),
            "unable to start container process: \(name(step)): \(detail): \(Errno.describe(msg.err))",
            errno: msg.err)
    }
}
