import CSkiffSpawn
import FoundationEssentials
import Glibc
import SkiffOCI
import SkiffSeccomp

extension Runtime {
    public struct ExecOptions: Sendable {
        public var process: RuntimeSpec.Process
        public var consoleSocket: String?
        public var pidFile: String?
        public var detach: Bool
        public var preserveFDs: Int32
        /// The process's stdio when it has no terminal.
        public var stdio: Stdio
        public init(process: RuntimeSpec.Process, consoleSocket: String? = nil, pidFile: String? = nil, detach: Bool = false, preserveFDs: Int32 = 0, stdio: Stdio = .inherited) {
            self.process = process
            self.consoleSocket = consoleSocket
            self.pidFile = pidFile
            self.detach = detach
            self.preserveFDs = preserveFDs
            self.stdio = stdio
        }
    }

    /// The container's own process config, the base of `exec`.
    public func containerProcess(id: String) throws(RuntimeError) -> RuntimeSpec.Process? {
        try store.config(id).process
    }

    /// Runs another process in a running container: its namespaces, cgroup,
    /// seccomp filter and (unless given) capabilities. Returns the exit
    /// status, or 0 right after start with `detach`.
    public func exec(id: String, options: ExecOptions) throws(RuntimeError) -> Int32 {
        let (pid, proxy) = try spawnExec(id: id, options: options)
        if options.detach { return 0 }
        return try ProcessWaiter.wait(child: pid, terminal: proxy)
    }

    /// Starts another process in a running container and returns its pid:
    /// a child of the caller, which reaps it. A terminal goes to
    /// `options.consoleSocket`.
    public func startExec(id: String, options: ExecOptions) throws(RuntimeError) -> Int32 {
        var options = options
        options.detach = true
        return try spawnExec(id: id, options: options).pid
    }

    private func spawnExec(id: String, options: ExecOptions) throws(RuntimeError) -> (pid: Int32, proxy: TerminalProxy?) {
        let record = try store.load(id)
        let config = try store.config(id)
        let status = self.status(record)
        guard status == .running || status == .created else {
            throw RuntimeError(stage: "exec", "cannot exec in a container that is \(status.rawValue)")
        }
        var process = options.process
        if process.capabilities == nil { process.capabilities = config.process?.capabilities }

        var plan = SpawnPlan()
        try plan.applyProcess(process)
        plan.env = Passwd.withHome(plan.env, uid: plan.uid, rootfs: record.rootfs)
        for (type, path) in record.namespaces.sorted(by: { $0.key < $1.key }) {
            guard let kind = RuntimeSpec.NamespaceType(rawValue: type), let flag = SpawnPlan.namespaceFlags[kind] else { continue }
            if kind == .pid {
                plan.joinPIDNamespace = path
            } else {
                plan.joins.append(.init(path: path, nstype: flag))
            }
        }
        let seccomp = try config.linux?.seccomp.map { (s) throws(RuntimeError) in try SeccompCache(root: store.root).program(for: s) }

        var io = SpawnIO()
        io.preserveFDs = options.preserveFDs
        io.stdio = try options.stdio.raised()
        defer { io.stdio.closeAll() }
        var proxy: TerminalProxy?
        var closeAfterSpawn: [Int32] = []
        defer { for fd in closeAfterSpawn { close(fd) } }
        if plan.terminal {
            if let socket = options.consoleSocket {
                io.consoleSocketFD = try UnixSocket.connect(socket)
                closeAfterSpawn.append(io.consoleSocketFD)
            } else {
                guard !options.detach else {
                    throw RuntimeError(stage: "exec", "cannot allocate a tty for a detached process without --console-socket")
                }
                proxy = try TerminalProxy()
                io.consoleSocketFD = proxy!.socketForChild
            }
        }

        if let cgroup = record.cgroup { io.cgroup = try CgroupSupport.openEntry(cgroup) }
        defer { io.cgroup.close() }

        let child = try Spawner.spawn(plan, seccomp: seccomp, io: io)
        defer { close(child.sync) }
        var undo = Undo()
        undo.add {
            _ = Glibc.kill(child.pid, SIGKILL)
            var st: Int32 = 0
            _ = waitpid(child.pid, &st, 0)
        }
        do throws(RuntimeError) {
            if let cgroup = record.cgroup {
                try CgroupSupport.add(pid: child.pid, to: cgroup, v1: io.cgroup.tasksFDs.isEmpty, cgroup2: !child.clonedIntoCgroup)
            }
            guard skiff_sync_send(child.sync, Int32(SKIFF_STEP_WAIT_PARENT.rawValue)) == 0 else {
                throw RuntimeError.system("exec", "sync socket")
            }
            try waitUntilReady(child: child, spec: config, id: id, bundle: record.bundle)
            guard skiff_sync_send(child.sync, Int32(SKIFF_STEP_WAIT_START.rawValue)) == 0 else {
                throw RuntimeError.system("exec", "sync socket")
            }
            var msg = skiff_sync_msg()
            if skiff_sync_recv(child.sync, &msg) == 1 { throw SpawnStep.error(msg) }
            if let pidFile = options.pidFile {
                try FileIO.writeAtomic(Paths.absolute(pidFile), Array(String(child.pid).utf8))
            }
        } catch {
            undo.run()
            throw error
        }
        return (child.pid, proxy)
    }
}
