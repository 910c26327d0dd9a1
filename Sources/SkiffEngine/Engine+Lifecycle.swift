import CSkiffSpawn
import FoundationEssentials
import Glibc
import SkiffImage
import SkiffMonitor
import SkiffOCI
import SkiffRuntime
import SkiffSnapshot
import SkiffSystem

/// What `wait` waits for (Docker's conditions).
public enum WaitCondition: String, Sendable {
    case notRunning = "not-running"
    case nextExit = "next-exit"
    case removed
}

struct Waiter {
    var condition: WaitCondition
    var result: Eventual<ContainerState>
}

/// An attach made before the container started: connected when it starts.
struct PendingAttach {
    var request: String
    var attachment: Attachment
}

extension Engine {
    // MARK: start

    /// `docker start`: mounts the root, writes the bundle, starts a monitor
    /// that creates the container, connects waiting attaches, then lets it run.
    public func start(_ ref: String) async throws(EngineError) {
        let id = try resolveID(ref)
        starting.insert(id)
        defer { starting.remove(id) }
        // A monitor that just ended is still being settled: start after it.
        if watched.contains(id), containers[id]?.state.status == .exited { await waitForSettle(id) }
        guard var container = containers[id] else { throw EngineError.noSuchContainer(ref) }
        switch container.state.status {
        case .running, .restarting: throw EngineError(.notModified, "container already started")
        case .paused: throw EngineError(.conflict, "cannot start a paused container, try unpause instead")
        case .removing, .dead: throw EngineError(.conflict, "container is marked for removal and cannot be started")
        case .created, .exited: break
        }
        let dir = directory(id)
        let rootfs = rootfsPath(id)
        let image = try? await images.resolve(container.imageID)
        var undo: [() -> Void] = []
        func rollback() { for step in undo.reversed() { step() } }
        // A copy that began while it ran may still use the root it had: after it.
        if !isMountPoint(rootfs) { await filesReleased(id) }
        do throws(EngineError) {
            if !isMountPoint(rootfs) {
                let active = images.snapshots.active(key: id, layers: image.map { images.layerKeys(of: $0) } ?? [])
                do {
                    try images.snapshots.mount(active, at: rootfs)
                } catch {
                    throw EngineError(.system, "mount root of \(container.shortID): \(error)")
                }
                undo.append { try? OverlayMount.unmount(rootfs) }
            }
            let starting = container
            undo.append { self.releaseVolumes(of: starting) }
            try prepareMounts(container)
            try await attachNetwork(&container, image: container.config.exposedPorts)
            let connected = await networkActors(container.sandbox?.endpoints ?? [])
            try await writeContainerFiles(container)
            let spec = try SpecBuilder(container: container, rootfs: rootfs, directory: dir, initBinary: Self.initBinary,
                                       networkNamespace: try networkNamespacePath(container),
                                       cgroupParent: cgroupParent(of: container)).build()
            try writeJSON(spec, to: dir + "/config.json")
            let log = LogConfig(
                driver: container.config.logDriver == "none" ? "none" : "json-file", path: logPath(id),
                maxSize: container.config.logOptions["max-size"].flatMap(Self.parseSize),
                maxFiles: container.config.logOptions["max-file"].flatMap { Int($0) } ?? 1)
            let monitorConfig = MonitorConfig(
                id: id, bundle: dir, runtimeRoot: runtimeRoot, socket: socketPath(id), consoleSocket: consolePath(id),
                statusPath: dir + "/status.json", log: log, tty: container.config.tty, openStdin: container.config.openStdin,
                stdinOnce: container.config.stdinOnce, restart: container.config.restartPolicy,
                healthcheck: container.healthcheck, rootfs: rootfs)
            try writeJSON(monitorConfig, to: dir + "/monitor.json")
            unlink(dir + "/status.json")

            let answer = try spawnMonitor(bundle: dir)
            guard answer.hasPrefix("ok ") else {
                let message = answer.hasPrefix("error ") ? String(answer.dropFirst(6)) : "monitor: \(answer)"
                settleFailedStart(&container, message: message)
                throw EngineError(.invalid, "failed to create task for container: \(message)")
            }
            undo.append { _ = try? MonitorConnection.call(self.socketPath(id), "stop 9 0") }
            container.state.monitorPid = 0
            container.state.pid = Int32(answer.dropFirst(3)) ?? 0

            // Attaches made before start see all output from the first byte.
            for pending in pendingAttaches.removeValue(forKey: id) ?? [] {
                pending.attachment.deliver(try? MonitorConnection.open(socketPath(id), pending.request))
            }
            let watch = try MonitorConnection.open(socketPath(id), "watch")
            let started = try MonitorConnection.call(socketPath(id), "start")
            guard started == "ok" else {
                watch.close()
                let message = started.hasPrefix("error ") ? String(started.dropFirst(6))
                    : started.isEmpty ? "monitor: the container's process ended before it was started" : "monitor: \(started)"
                settleFailedStart(&container, message: message)
                throw EngineError(.invalid, "failed to create task for container: \(message)")
            }
            container.state.status = .running
            container.state.error = ""
            container.state.stoppedByUser = false
            container.state.startedAt = Clock.timestamp()
            container.state.finishedAt = ContainerState.zeroTime
            container.state.exitCode = 0
            save(container)
            recordStarted(container, networks: connected)
            follow(id, watch)
        } catch {
            rollback()
            if container.sandbox != nil || containers[id]?.sandbox != nil { await detachNetwork(id) }
            // Attaches waiting for this start end; a --rm container goes.
            for pending in pendingAttaches.removeValue(forKey: id) ?? [] { pending.attachment.deliver(nil) }
            resumeWaiters(id, exited: true)
            if containers[id]?.config.autoRemove == true { try? await remove(id, force: true, volumes: true) }
            throw error
        }
    }

    /// A start that failed: the container is exited with Docker's code (127
    /// not found, 126 not executable) and the error, its root unmounted.
    func settleFailedStart(_ container: inout Container, message: String) {
        let status = readStatus(container.id)
        container.state.status = container.state.status == .created ? .created : .exited
        container.state.error = message
        container.state.exitCode = status?.exitCode ?? 128
        container.state.pid = 0
        container.sandbox = nil
        save(container)
        try? OverlayMount.unmount(rootfsPath(container.id))
    }

    /// Starts skiff-monitor for `bundle` and reads its first report
    /// ("ok PID" or "error MESSAGE").
    func spawnMonitor(bundle: String) throws(EngineError) -> String {
        var fds: [Int32] = [0, 0]
        guard skiff_pipe_cloexec(&fds) == 0 else { throw EngineError(.system, "pipe: \(String(cString: strerror(errno)))") }
        defer { close(fds[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 3)
        let argv = [monitorPath, bundle]
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, monitorPath, &actions, nil, &cArgs, environ)
        close(fds[1])
        guard rc == 0 else { throw EngineError(.system, "start monitor \(monitorPath): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // The monitor's child reports on the pipe.
        var pfd = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 30_000) > 0, let line = UnixSocket.readLine(fds[0]) else {
            throw EngineError(.system, "monitor for \(bundle) did not report (see \(bundle)/monitor.log)")
        }
        return line
    }

    // MARK: Following monitors

    /// Applies the monitor's status changes until it exits.
    func follow(_ id: String, _ watch: MonitorConnection) {
        guard !watched.contains(id) else {
            watch.close()
            return
        }
        watched.insert(id)
        let lines = watch.lines()
        Task {
            for await line in lines {
                if let status = try? JSONDecoder().decode(MonitorStatus.self, from: Data(line.utf8)) {
                    self.apply(id, status)
                }
            }
            watch.close()
            await self.monitorGone(id)
        }
    }

    func apply(_ id: String, _ status: MonitorStatus) {
        // The first line of a watch started before `start` is the created state.
        guard var container = containers[id], status.state != .created else { return }
        let old = container.state
        let wasRunning = container.state.status == .running
        container.state.pid = status.pid
        container.state.monitorPid = status.monitorPid
        container.state.restartCount = status.restartCount
        container.state.health = status.health
        container.state.oomKilled = status.oomKilled
        if let started = status.startedAt { container.state.startedAt = started }
        if let finished = status.finishedAt { container.state.finishedAt = finished }
        if status.state == .exited || status.state == .restarting, let finished = status.finishedAt {
            recordRunEnd(id, started: container.state.startedAt, finished: finished)
        }
        switch status.state {
        case .created:
            break
        case .running:
            container.state.status = container.state.status == .paused ? .paused : .running
        case .restarting:
            container.state.status = .restarting
            container.state.exitCode = status.exitCode
        case .exited:
            container.state.status = .exited
            container.state.exitCode = status.exitCode
            container.state.stoppedByUser = status.stoppedByUser
            if let error = status.error { container.state.error = error }
        }
        saveUnlessRemovedNext(container)
        recordChanges(from: old, to: container)
        if status.state == .exited { releaseVolumes(of: container) }
        if wasRunning && (status.state == .exited || status.state == .restarting) { resumeWaiters(id, exited: true) }
    }

    /// The monitor is gone: its last status is final.
    /// The container counts as watched until all of this is done: `start`
    /// and `stop` wait for it (the network detach below suspends the actor).
    func monitorGone(_ id: String) async {
        guard containers[id] != nil else {
            watched.remove(id)
            return
        }
        // The monitor's last word, if it got to say it.
        if let status = readStatus(id), status.state == .exited { apply(id, status) }
        var container = containers[id]!
        let old = container.state
        if container.state.isRunning || container.state.pid != 0 {
            // It died with its container still recorded as up (killed, or a reboot).
            container.state.status = .exited
            if container.state.finishedAt == ContainerState.zeroTime { container.state.finishedAt = Clock.timestamp() }
            recordRunEnd(id, started: container.state.startedAt, finished: container.state.finishedAt)
        }
        container.state.pid = 0
        container.state.monitorPid = 0
        let endpoints = container.sandbox?.endpoints
        container.sandbox = nil
        saveUnlessRemovedNext(container)
        recordChanges(from: old, to: container)
        // A monitor that died left the runtime's state and cgroup behind.
        try? Runtime(root: runtimeRoot).delete(id: id, force: true)
        try? OverlayMount.unmount(rootfsPath(id))
        releaseVolumes(of: container)
        if let endpoints {
            for network in await networkActors(endpoints) { recordNetwork("disconnect", network, container: id) }
            await networks.detach(containerID: id)
        }
        watched.remove(id)
        resumeWaiters(id, exited: true)
        if container.config.autoRemove && container.state.status == .exited {
            try? await remove(id, force: true, volumes: true)
        }
    }

    func readStatus(_ id: String) -> MonitorStatus? {
        guard let bytes = try? FileIO.read(directory(id) + "/status.json") else { return nil }
        return try? JSONDecoder().decode(MonitorStatus.self, from: Data(bytes))
    }

    // MARK: stop / kill / restart

    /// `docker stop`: the stop signal, then SIGKILL after `timeout` seconds.
    public func stop(_ ref: String, signal: String? = nil, timeout: Int? = nil) async throws(EngineError) {
        let id = try resolveID(ref)
        let container = containers[id]!
        guard container.state.isRunning else { throw EngineError(.notModified, "container already stopped") }
        thawIfPaused(id)
        let number = Signals.parse(signal ?? container.stopSignal) ?? SIGTERM
        let seconds = timeout ?? container.config.stopTimeout ?? 10
        let connection = try MonitorConnection.open(socketPath(id), "stop \(number) \(seconds < 0 ? 3600 * 24 : seconds)")
        record("kill", container, ["signal": String(number)])
        // The monitor closes the connection when the container is down for good.
        for await _ in connection.chunks() {}
        connection.close()
        await waitForSettle(id)
        if let stopped = containers[id] { record("stop", stopped) }
    }

    /// A frozen container cannot act on a signal: stop and kill thaw it first (as dockerd does).
    func thawIfPaused(_ id: String) {
        guard var container = containers[id], container.state.status == .paused else { return }
        try? Runtime(root: runtimeRoot).resume(id: id)
        container.state.status = .running
        save(container)
    }

    /// Waits until the engine has seen the monitor go (an exit seen on the
    /// watch stream wakes waiters before that: then it waits again).
    func waitForSettle(_ id: String) async {
        while let container = containers[id], container.state.isRunning || watched.contains(id) {
            let result = Eventual<ContainerState>()
            waiters[id, default: []].append(Waiter(condition: .notRunning, result: result))
            _ = await result.value()
        }
    }

    /// `docker kill`.
    public func kill(_ ref: String, signal: String?) throws(EngineError) {
        let id = try resolveID(ref)
        let container = containers[id]!
        guard let number = Signals.parse(signal ?? "KILL") else { throw EngineError(.invalid, "Invalid signal: \(signal ?? "")") }
        guard container.state.status == .running || container.state.status == .paused else {
            throw EngineError(.conflict, "Cannot kill container: \(ref): Container \(id) is not running")
        }
        thawIfPaused(id)
        let answer = try MonitorConnection.call(socketPath(id), "kill \(number)")
        guard answer == "ok" else { throw EngineError(.system, "Cannot kill container: \(ref): \(answer)") }
        record("kill", container, ["signal": String(number)])
    }

    /// `docker restart`.
    public func restart(_ ref: String, signal: String? = nil, timeout: Int? = nil) async throws(EngineError) {
        let id = try resolveID(ref)
        if containers[id]!.state.isRunning {
            try await stop(id, signal: signal, timeout: timeout)
        }
        try await start(id)
        if let restarted = containers[id] { record("restart", restarted) }
    }

    // MARK: wait

    /// `docker wait`: the state once `condition` holds.
    public func wait(_ ref: String, condition: WaitCondition) async throws(EngineError) -> ContainerState {
        await (try waiting(ref, condition: condition)).value()
    }

    /// A wait registered now (so that what happens next cannot be missed),
    /// its state delivered once `condition` holds.
    public func waiting(_ ref: String, condition: WaitCondition) throws(EngineError) -> Eventual<ContainerState> {
        let id = try resolveID(ref)
        let result = Eventual<ContainerState>()
        if condition == .notRunning && !containers[id]!.state.isRunning && !watched.contains(id) {
            result.deliver(containers[id]!.state)
        } else {
            waiters[id, default: []].append(Waiter(condition: condition, result: result))
        }
        return result
    }

    func resumeWaiters(_ id: String, exited: Bool, removed: Bool = false) {
        guard let list = waiters[id], let state = containers[id]?.state ?? (removed ? ContainerState() : nil) else { return }
        var keep: [Waiter] = []
        for waiter in list {
            switch waiter.condition {
            case .notRunning, .nextExit:
                if exited || removed { waiter.result.deliver(state) } else { keep.append(waiter) }
            case .removed:
                if removed { waiter.result.deliver(state) } else { keep.append(waiter) }
            }
        }
        waiters[id] = keep.isEmpty ? nil : keep
    }

    // MARK: remove

    /// `docker rm`: refuses a running container unless `force` (then kills it).
    public func remove(_ ref: String, force: Bool, volumes: Bool) async throws(EngineError) {
        let id = try resolveID(ref)
        // An exited container whose monitor is still being settled: after it.
        if watched.contains(id), containers[id]?.state.status == .exited { await waitForSettle(id) }
        await filesReleased(id)
        let connected = await networkActors(containers[id]?.sandbox?.endpoints ?? [])
        guard var container = containers[id] else { throw EngineError.noSuchContainer(ref) }
        if container.state.isRunning || watched.contains(id) {
            guard force else {
                throw EngineError(.conflict, "cannot remove container \"/\(container.name)\": container is running: stop the container before removing or force remove")
            }
            thawIfPaused(id)
            let connection = try? MonitorConnection.open(socketPath(id), "stop 9 0")
            if let connection {
                record("kill", container, ["signal": String(SIGKILL)])
                var buffer = [UInt8](repeating: 0, count: 64)
                while read(connection.fd, &buffer, buffer.count) > 0 {}
                connection.close()
            }
            container = settleForcedStop(id, networks: connected) ?? container
        }
        container.state.status = .removing
        containers[id] = container

        let rootfs = rootfsPath(id)
        try? OverlayMount.unmount(rootfs)
        try? Runtime(root: runtimeRoot).delete(id: id, force: true)
        images.removeRootfs(key: id, at: rootfs)
        Directories.removeTree(directory(id))
        unlink(socketPath(id))
        unlink(consolePath(id))
        try? db.delete(id: id)
        for exec in container.execIDs { execs[exec] = nil }
        resumeWaiters(id, exited: true, removed: true)
        containers[id] = nil
        watched.remove(id)
        runEnds[id] = nil
        record("destroy", container)
        releaseVolumes(of: container)
        if volumes { removeAnonymousVolumes(of: container) }
        if container.sandbox != nil { await networks.detach(containerID: id) }
    }

    // MARK: Helpers

    func isMountPoint(_ path: String) -> Bool {
        var a = stat()
        var b = stat()
        guard stat(path, &a) == 0, stat(path + "/..", &b) == 0 else { return false }
        return a.st_dev != b.st_dev
    }

    func writeJSON<T: Encodable>(_ value: T, to path: String) throws(EngineError) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try FileIO.writeAtomic(path, Array(try encoder.encode(value)))
        } catch {
            throw EngineError(.system, "write \(path): \(error)")
        }
    }

    /// /etc/hostname, /etc/hosts and /etc/resolv.conf of the container.
    func writeContainerFiles(_ container: Container) async throws(EngineError) {
        let dir = directory(container.id)
        var hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
        for entry in container.config.extraHosts {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            var address = parts[1]
            if address == "host-gateway" {
                address = container.sandbox?.endpoints.first?.gateway?.description ?? "127.0.0.1"
            }
            hosts += "\(address)\t\(parts[0])\n"
        }
        hosts += hostsEntries(container)
        let resolv = await resolvConf(container)
        do {
            try FileIO.writeAtomic(dir + "/hostname", Array((container.hostname + "\n").utf8))
            try FileIO.writeAtomic(dir + "/hosts", Array(hosts.utf8))
            try FileIO.writeAtomic(dir + "/resolv.conf", Array(resolv.utf8))
        } catch {
            throw EngineError(.system, "write container files: \(error)")
        }
    }

    /// tini, installed by the project's setup, for `--init`.
    public static let initBinary: String? = ["/usr/bin/tini-static", "/usr/bin/docker-init", "/usr/local/bin/docker-init"]
        .first { access($0, X_OK) == 0 }

    /// Docker's size strings: `10m`, `1g`, `512k`, `100` (bytes).
    public static func parseSize(_ text: String) -> Int64? {
        let lower = text.lowercased().trimmingCharacters(in: .whitespaces)
        let units: [(String, Int64)] = [("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30), ("tb", 1 << 40),
                                        ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("t", 1 << 40), ("b", 1)]
        for (suffix, scale) in units where lower.hasSuffix(suffix) {
            guard let n = Double(lower.dropLast(suffix.count)) else { return nil }
            return Int64(n * Double(scale))
        }
        return Int64(lower)
    }
}
