import CSkiffSpawn
import FoundationEssentials
import Glibc
import SkiffSystem
import SkiffCgroups
import SkiffOCI
import SkiffSeccomp

/// The OCI runtime: the operations of runtime.md (create, start, state,
/// kill, delete) plus runc's run, exec, pause, resume, ps and list.
public struct Runtime: Sendable {
    public let store: StateStore

    /// `root` is the state directory (runc's `--root`).
    public init(root: String) {
        store = StateStore(root: root)
    }

    public struct CreateOptions: Sendable {
        public var bundle: String
        public var consoleSocket: String?
        public var pidFile: String?
        public var preserveFDs: Int32
        /// The process's stdio when it has no terminal.
        public var stdio: Stdio
        public init(bundle: String, consoleSocket: String? = nil, pidFile: String? = nil, preserveFDs: Int32 = 0, stdio: Stdio = .inherited) {
            self.bundle = bundle
            self.consoleSocket = consoleSocket
            self.pidFile = pidFile
            self.preserveFDs = preserveFDs
            self.stdio = stdio
        }
    }

    // MARK: create / start / run

    /// Creates the container: namespaces, mounts and cgroup ready, the
    /// process waiting for `start`. Returns its pid.
    @discardableResult
    public func create(id: String, options: CreateOptions) throws(RuntimeError) -> Int32 {
        let bundle = SpawnPlan.realPath(Paths.absolute(options.bundle))
        let (record, child) = try launch(id: id, config: try loadSpec(bundle: bundle), bundle: bundle, options: options, mode: .create)
        close(child.sync)
        return record.pid
    }

    /// Starts a created container: its process execs the program.
    public func start(id: String) throws(RuntimeError) {
        let record = try store.load(id)
        let status = self.status(record)
        guard status == .created else {
            throw RuntimeError(stage: "start", "cannot start a container that is \(status.rawValue)")
        }
        let fifo = store.fifoPath(id)
        let fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .system("start", "open \(fifo)") }
        defer { close(fd) }
        // The child's blocking open for writing completes now; wait for its byte.
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&pfd, 1, 100)
            if r < 0 && errno != EINTR { throw .system("start", "poll \(fifo)") }
            if r > 0 {
                var byte: UInt8 = 0
                if read(fd, &byte, 1) == 1 { break }
                throw RuntimeError(stage: "start", "container process exited before start")
            }
            if !ProcessInfo.isAlive(record.pid, startTime: record.pidStartTime) {
                throw RuntimeError(stage: "start", "container process is already dead")
            }
        }
        unlink(fifo)
        runPoststart(record)
    }

    /// create + start; without `detach`, waits for the process, forwarding
    /// signals, deletes the container and returns its exit status.
    public func run(id: String, options: CreateOptions, detach: Bool, keep: Bool = false) throws(RuntimeError) -> Int32 {
        let bundle = SpawnPlan.realPath(Paths.absolute(options.bundle))
        let config = try loadSpec(bundle: bundle)
        var proxy: TerminalProxy?
        if config.spec.process?.terminal == true && options.consoleSocket == nil {
            guard !detach else {
                throw RuntimeError(stage: "run", "cannot allocate a tty for a detached container without --console-socket")
            }
            proxy = try TerminalProxy()
        }
        let (record, child) = try launch(
            id: id, config: config, bundle: bundle, options: options, mode: .run(consoleFD: proxy?.socketForChild ?? -1))
        defer { close(child.sync) }
        // Go: exec, then EOF on the sync socket (or the exec error).
        guard skiff_sync_send(child.sync, Int32(SKIFF_STEP_WAIT_START.rawValue)) == 0 else {
            try? forceDelete(record)
            throw .system("run", "sync socket")
        }
        var msg = skiff_sync_msg()
        if skiff_sync_recv(child.sync, &msg) == 1 {
            try? forceDelete(record)
            throw SpawnStep.error(msg)
        }
        runPoststart(record)
        if detach { return 0 }

        let status = try ProcessWaiter.wait(child: record.pid, terminal: proxy)
        if !keep { try? delete(id: id, force: true) }
        return status
    }

    // MARK: state / list

    /// The OCI state plus what runc also reports (rootfs, created, owner).
    public struct ContainerStatus: Sendable {
        public var state: RuntimeState
        public var created: String
        public var owner: String
        public var rootfs: String
    }

    public func state(id: String) throws(RuntimeError) -> ContainerStatus {
        status(of: try store.load(id))
    }

    public func list() -> [ContainerStatus] {
        store.ids().compactMap { id in (try? store.load(id)).map(status(of:)) }
    }

    func status(of record: ContainerRecord) -> ContainerStatus {
        ContainerStatus(state: record.ociState(status: status(record)), created: record.created, owner: record.owner, rootfs: record.rootfs)
    }

    func status(_ record: ContainerRecord) -> RuntimeState.Status {
        guard ProcessInfo.isAlive(record.pid, startTime: record.pidStartTime) else { return .stopped }
        if Directories.exists(store.fifoPath(record.id)) { return .created }
        if let cgroup = record.cgroup, CgroupSupport.isFrozen(cgroup) { return .paused }
        return .running
    }

    // MARK: kill / delete / pause

    public func kill(id: String, signal: Int32, all: Bool = false) throws(RuntimeError) {
        let record = try store.load(id)
        let status = self.status(record)
        guard status != .stopped else {
            throw RuntimeError(stage: "kill", "container \"\(id)\" is not running", errno: ESRCH)
        }
        if all, let cgroup = record.cgroup {
            for pid in CgroupSupport.processes(cgroup) { _ = Glibc.kill(pid, signal) }
            return
        }
        guard Glibc.kill(record.pid, signal) == 0 else { throw .system("kill", "kill \(record.pid)") }
    }

    /// Deletes a stopped (or created) container; `force` kills a running one first.
    public func delete(id: String, force: Bool) throws(RuntimeError) {
        let record: ContainerRecord
        do {
            record = try store.load(id)
        } catch {
            // A directory with no readable state is a leftover: force removes it.
            if force, error.errno != ENOENT || Directories.isDirectory(store.directory(id)) {
                store.remove(id)
                return
            }
            throw error
        }
        let status = self.status(record)
        switch status {
        case .stopped, .created:
            break
        case .running, .paused, .creating:
            guard force else {
                throw RuntimeError(stage: "delete", "cannot delete container \(id) that is not stopped: \(status.rawValue)")
            }
        }
        try forceDelete(record)
    }

    func forceDelete(_ record: ContainerRecord) throws(RuntimeError) {
        if ProcessInfo.isAlive(record.pid, startTime: record.pidStartTime) {
            if let cgroup = record.cgroup { CgroupSupport.thaw(cgroup) }
            _ = Glibc.kill(record.pid, SIGKILL)
            ProcessWaiter.waitForExit(pid: record.pid, startTime: record.pidStartTime)
        }
        if let cgroup = record.cgroup {
            try CgroupSupport.destroy(cgroup)
        }
        do {
            try HookRunner.run(record.poststop, kind: "poststop", state: record.ociState(status: .stopped))
        } catch {
            Log.warning("poststop hook failed: \(error)")
        }
        store.remove(record.id)
    }

    public func pause(id: String) throws(RuntimeError) {
        let record = try store.load(id)
        guard status(record) == .running, let cgroup = record.cgroup else {
            throw RuntimeError(stage: "pause", "container \"\(id)\" is not running")
        }
        try CgroupSupport.freeze(cgroup)
    }

    public func resume(id: String) throws(RuntimeError) {
        let record = try store.load(id)
        guard status(record) == .paused, let cgroup = record.cgroup else {
            throw RuntimeError(stage: "resume", "container \"\(id)\" is not paused")
        }
        try CgroupSupport.unfreeze(cgroup)
    }

    /// Pids of the container's processes (host pid namespace).
    public func processes(id: String) throws(RuntimeError) -> [Int32] {
        let record = try store.load(id)
        guard let cgroup = record.cgroup else { return status(record) == .stopped ? [] : [record.pid] }
        return CgroupSupport.processes(cgroup)
    }

    /// The container's cgroup figures (nil when it has no cgroup).
    public func stats(id: String) throws(RuntimeError) -> CgroupStats? {
        let record = try store.load(id)
        guard let cgroup = record.cgroup else { return nil }
        do {
            return try CgroupManager(paths: cgroup).stats()
        } catch {
            throw RuntimeError(stage: "stats", "\(error)")
        }
    }

    /// `runc update`: new limits for a running container.
    public func update(id: String, resources: RuntimeSpec.Resources) throws(RuntimeError) {
        let record = try store.load(id)
        guard let cgroup = record.cgroup else { throw RuntimeError(stage: "update", "container \"\(id)\" has no cgroup") }
        do {
            try CgroupManager(paths: cgroup).apply(resources: resources)
        } catch {
            throw RuntimeError(stage: "update", "\(error)")
        }
    }

    /// How many of the container's processes the OOM killer killed (0 when
    /// it has no memory cgroup).
    public func oomKills(id: String) -> UInt64 {
        guard let record = try? store.load(id), let cgroup = record.cgroup else { return 0 }
        return (try? CgroupManager(paths: cgroup).stats().oomKills ?? 0) ?? 0
    }

    // MARK: shared by create, run and exec

    enum LaunchMode {
        case create
        case run(consoleFD: Int32)
    }

    /// A bundle's config: decoded, and the bytes as read (kept in the state directory).
    struct BundleConfig {
        var spec: RuntimeSpec
        var bytes: [UInt8]
    }

    func loadSpec(bundle: String) throws(RuntimeError) -> BundleConfig {
        let path = bundle + "/config.json"
        guard Directories.exists(path) else {
            throw RuntimeError(stage: "config", "\(path): no such file (is \(bundle) an OCI bundle?)", errno: ENOENT)
        }
        let bytes = try FileIO.read(path)
        do {
            return BundleConfig(spec: try RuntimeSpec.decode(Data(bytes)), bytes: bytes)
        } catch {
            throw RuntimeError(stage: "config", error.description)
        }
    }

    /// Creates the container for `config` (read from `bundle`, an absolute path).
    func launch(
        id: String, config: BundleConfig, bundle: String, options: CreateOptions, mode: LaunchMode
    ) throws(RuntimeError) -> (ContainerRecord, SpawnedChild) {
        let spec = config.spec
        try store.reserve(id)
        var undo = Undo()
        undo.add { store.remove(id) }
        do throws(RuntimeError) {
            let cgroup = try CgroupSupport.create(cgroupsPath: spec.linux?.cgroupsPath, id: id, resources: spec.linux?.resources, devices: spec.linux?.devices)
            undo.add { try? CgroupSupport.destroy(cgroup) }
            var plan = try SpawnPlan.create(spec: spec, bundle: bundle) { mount, cgroupNamespace in
                CgroupSupport.mounts(for: mount, cgroup: cgroup, cgroupNamespace: cgroupNamespace)
            }
            let seccomp = try spec.linux?.seccomp.map { (s) throws(RuntimeError) in try SeccompCache(root: store.root).program(for: s) }
            var io = SpawnIO()
            io.preserveFDs = options.preserveFDs
            io.stdio = try options.stdio.raised()
            defer { io.stdio.closeAll() }

            var closeAfterSpawn: [Int32] = []
            defer { for fd in closeAfterSpawn { close(fd) } }
            switch mode {
            case .create:
                let fifo = store.fifoPath(id)
                // 0622 whatever the umask: the process may be a user without CAP_DAC_OVERRIDE.
                guard mkfifo(fifo, 0o622) == 0, chmod(fifo, 0o622) == 0 else { throw RuntimeError.system("create", "mkfifo \(fifo)") }
                // The child opens it by name in its directory (see skiff_spawn.h).
                let fd = open(store.directory(id), SKIFF_O_PATH | O_DIRECTORY | O_CLOEXEC)
                guard fd >= 0 else { throw RuntimeError.system("create", "open \(store.directory(id))") }
                closeAfterSpawn.append(fd)
                io.execFifoFD = fd
                if plan.terminal {
                    guard let socket = options.consoleSocket else {
                        throw RuntimeError(stage: "create", "process.terminal is true: --console-socket is required")
                    }
                    io.consoleSocketFD = try UnixSocket.connect(socket)
                    closeAfterSpawn.append(io.consoleSocketFD)
                }
            case .run(let consoleFD):
                if plan.terminal {
                    if let socket = options.consoleSocket {
                        io.consoleSocketFD = try UnixSocket.connect(socket)
                        closeAfterSpawn.append(io.consoleSocketFD)
                    } else {
                        io.consoleSocketFD = consoleFD
                    }
                }
            }
            if seccomp?.needsListener == true {
                guard let path = spec.linux?.seccomp?.listenerPath, !path.isEmpty else {
                    throw RuntimeError(stage: "seccomp", "config.json: linux.seccomp.listenerPath: required by SCMP_ACT_NOTIFY")
                }
                io.seccompListenerFD = try UnixSocket.connect(path)
                closeAfterSpawn.append(io.seccompListenerFD)
            }
            let hooks = spec.hooks
            io.hooksInParent = !(hooks?.prestart ?? []).isEmpty || !(hooks?.createRuntime ?? []).isEmpty || !(hooks?.createContainer ?? []).isEmpty
            if !(hooks?.startContainer ?? []).isEmpty {
                let state = RuntimeState(id: id, status: .created, pid: nil, bundle: bundle, annotations: spec.annotations)
                io.hookState = (try? JSONEncoder().encode(state)).map { String(decoding: $0, as: UTF8.self) }
            }
            plan.cwd = spec.process?.cwd
            io.cgroup = try CgroupSupport.openEntry(cgroup)
            defer { io.cgroup.close() }

            let child = try Spawner.spawn(plan, seccomp: seccomp, io: io)
            undo.add {
                _ = Glibc.kill(child.pid, SIGKILL)
                var status: Int32 = 0
                _ = waitpid(child.pid, &status, 0)
                close(child.sync)
            }
            guard let startTime = ProcessInfo.startTime(child.pid) else {
                throw RuntimeError(stage: "create", "container process exited during setup")
            }

            // Parent's part: id maps, cgroup, then let the child go.
            if spec.linux?.namespaces?.contains(where: { $0.type == .user && ($0.path ?? "").isEmpty }) == true {
                try IDMaps.write(pid: child.pid, uid: spec.linux?.uidMappings, gid: spec.linux?.gidMappings)
            }
            try CgroupSupport.add(pid: child.pid, to: cgroup, v1: io.cgroup.tasksFDs.isEmpty, cgroup2: !child.clonedIntoCgroup)
            guard skiff_sync_send(child.sync, Int32(SKIFF_STEP_WAIT_PARENT.rawValue)) == 0 else {
                throw RuntimeError.system("create", "sync socket")
            }
            try waitUntilReady(child: child, spec: spec, id: id, bundle: bundle)

            var namespaces: [String: String] = [:]
            for ns in spec.linux?.namespaces ?? [] {
                namespaces[ns.type.rawValue] = "/proc/\(child.pid)/ns/\(Self.namespaceFile[ns.type]!)"
            }
            let record = ContainerRecord(
                id: id, bundle: bundle, rootfs: plan.rootfs ?? "", pid: child.pid, pidStartTime: startTime,
                created: Clock.rfc3339(), owner: String(getuid()), cgroup: cgroup, namespaces: namespaces,
                annotations: spec.annotations, poststart: spec.hooks?.poststart, poststop: spec.hooks?.poststop)
            try store.saveConfig(config.bytes, id: id)
            try store.save(record)
            if let pidFile = options.pidFile {
                try FileIO.writeAtomic(Paths.absolute(pidFile), Array(String(child.pid).utf8))
            }
            undo.disarm()
            return (record, child)
        } catch {
            undo.run()
            throw error
        }
    }

    /// Reads the child's sync messages until it is created, running the
    /// createRuntime hooks when it asks.
    func waitUntilReady(child: SpawnedChild, spec: RuntimeSpec, id: String, bundle: String) throws(RuntimeError) {
        while true {
            var msg = skiff_sync_msg()
            let r = skiff_sync_recv(child.sync, &msg)
            if r == 0 { throw RuntimeError(stage: "create", "container process exited during setup") }
            if r < 0 { throw .system("create", "read sync socket") }
            switch UInt32(msg.step) {
            case SKIFF_STEP_HOOKS.rawValue where msg.err == 0:
                let state = RuntimeState(id: id, status: .creating, pid: child.pid, bundle: bundle, annotations: spec.annotations)
                try HookRunner.run(spec.hooks?.prestart, kind: "prestart", state: state)
                try HookRunner.run(spec.hooks?.createRuntime, kind: "createRuntime", state: state)
                guard skiff_sync_send(child.sync, Int32(SKIFF_STEP_HOOKS.rawValue)) == 0 else {
                    throw .system("create", "sync socket")
                }
                // The child runs createContainer hooks with this state.
                let json = Array((try? JSONEncoder().encode(state)) ?? Data())
                let sent = json.withUnsafeBytes { send(child.sync, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard sent == json.count else { throw .system("create", "send state to the container process") }
            case SKIFF_STEP_READY.rawValue where msg.err == 0:
                return
            default:
                throw SpawnStep.error(msg)
            }
        }
    }

    func runPoststart(_ record: ContainerRecord) {
        do {
            try HookRunner.run(record.poststart, kind: "poststart", state: record.ociState(status: .running))
        } catch {
            Log.warning("poststart hook failed: \(error)")
        }
    }

    static let namespaceFile: [RuntimeSpec.NamespaceType: String] = [
        .pid: "pid", .network: "net", .mount: "mnt", .ipc: "ipc", .uts: "uts", .user: "user", .cgroup: "cgroup", .time: "time",
    ]
}

/// Cleanup steps for a failure path, run in reverse order unless disarmed.
struct Undo {
    private var steps: [() -> Void] = []
    mutating func add(_ step: @escaping () -> Void) { steps.append(step) }
    mutating func disarm() { steps.removeAll() }
    func run() { for step in steps.reversed() { step() } }
}

enum Paths {
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buf, buf.count) != nil else { return path }
        let cwd = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path == "." ? cwd : cwd + "/" + path
    }
}

