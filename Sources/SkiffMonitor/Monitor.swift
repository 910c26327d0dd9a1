import CSkiffSpawn
import FoundationEssentials
import Glibc
import SkiffOCI
import SkiffRuntime

/// One container's monitor (conmon's role): it creates the container with
/// skiff's runtime in-process, holds its stdio, writes its log, serves
/// attach/exec/resize/stop/watch on a unix socket, reaps it, records its
/// exit in `status.json` and restarts it by its policy. One thread, one
/// poll loop; it outlives skiffd.
public final class Monitor {
    let config: MonitorConfig
    let runtime: Runtime
    var status: MonitorStatus
    let log: JSONLogWriter
    let listener: Int32
    let consoleListener: Int32
    let signals: Int32
    /// When `IdleMemory.release()` runs next: a second after the first event
    /// since the last release (and a second after the monitor starts).
    var releaseMemoryAt: Int64? = Clock.monotonic() + releaseMemoryAfter
    static let releaseMemoryAfter: Int64 = 1_000_000_000
    /// The engine's readiness pipe (fd 3), until the first report.
    var ready: Int32

    // The container's stdio in this run.
    var stdinWrite: Int32 = -1
    var outputs: [Int32: UInt8] = [:]
    var pty: Int32 = -1

    var clients: [Int32: Client] = [:]
    var execs: [Int32: ExecSession] = [:]
    var healthRun: HealthRun?

    // Timers (monotonic ns; nil: off).
    var killAt: Int64?
    var restartAt: Int64?
    var healthAt: Int64?
    var startedMonotonic: Int64 = 0
    var restartDelay: Int64 = 100_000_000
    var done = false
    /// The restart policy: the config's until `docker update --restart` changes it.
    var restartPolicy: RestartPolicy

    public init(config: MonitorConfig, readyFD: Int32) throws {
        self.config = config
        restartPolicy = config.restart
        runtime = Runtime(root: config.runtimeRoot)
        status = MonitorStatus(monitorPid: getpid())
        log = JSONLogWriter(config: config.log)
        ready = readyFD
        do {
            listener = try UnixSocket.listen(config.socket)
            consoleListener = try UnixSocket.listen(config.consoleSocket)
        } catch {
            throw MonitorError(message: "\(error)")
        }
        var set: [Int32] = [SIGCHLD, SIGTERM, SIGINT, SIGHUP]
        signals = skiff_signalfd_for(&set, Int32(set.count))
        signal(SIGPIPE, SIG_IGN)
    }

    /// Creates the container, reports to the engine, and serves until the
    /// container is down for good.
    public func run() {
        do {
            try createContainer()
            report("ok \(status.pid)")
        } catch {
            status.state = .exited
            status.error = "\(error)"
            status.exitCode = Self.exitCode(forCreateError: "\(error)")
            status.finishedAt = Clock.timestamp()
            saveStatus()
            report("error \(error)")
            finish()
            return
        }
        saveStatus()
        while !done { step() }
        finish()
    }

    // MARK: Container runs

    func createContainer() throws {
        var stdio = Stdio()
        var childEnds: [Int32] = []
        defer { for fd in childEnds { close(fd) } }
        outputs = [:]
        if !config.tty {
            var fds: [Int32] = [0, 0]
            if config.openStdin {
                guard skiff_pipe_cloexec(&fds) == 0 else { throw MonitorError(message: "pipe: \(errnoText())") }
                stdio.input = fds[0]
                stdinWrite = fds[1]
                childEnds.append(fds[0])
            } else {
                stdio.input = open("/dev/null", O_RDONLY | O_CLOEXEC)
                childEnds.append(stdio.input)
            }
            for stream in [Frame.stdout, Frame.stderr] {
                guard skiff_pipe_cloexec(&fds) == 0 else { throw MonitorError(message: "pipe: \(errnoText())") }
                outputs[fds[0]] = stream
                childEnds.append(fds[1])
                if stream == Frame.stdout { stdio.output = fds[1] } else { stdio.error = fds[1] }
            }
        }
        let options = Runtime.CreateOptions(
            bundle: config.bundle, consoleSocket: config.tty ? config.consoleSocket : nil, stdio: stdio)
        let pid: Int32
        do {
            pid = try runtime.create(id: config.id, options: options)
        } catch {
            for fd in outputs.keys { close(fd) }
            outputs = [:]
            throw MonitorError(message: error.description)
        }
        if config.tty {
            pty = receiveConsole()
            if pty < 0 {
                try? runtime.delete(id: config.id, force: true)
                throw MonitorError(message: "no terminal received from the container")
            }
            outputs[pty] = Frame.stdout
            stdinWrite = pty
        }
        for fd in outputs.keys { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        status.pid = pid
        status.state = .created
    }

    /// The pty master the container's child sent to the console socket.
    func receiveConsole() -> Int32 {
        var pfd = pollfd(fd: consoleListener, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 5000) > 0 else { return -1 }
        let conn = UnixSocket.accept(consoleListener)
        guard conn >= 0 else { return -1 }
        defer { close(conn) }
        let fd = skiff_recv_fd(conn)
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fd
    }

    func startContainer() throws {
        do {
            try runtime.start(id: config.id)
        } catch {
            throw MonitorError(message: error.description)
        }
        status.state = .running
        status.startedAt = Clock.timestamp()
        status.finishedAt = nil
        status.exitCode = 0
        status.error = nil
        startedMonotonic = Clock.monotonic()
        if let check = config.healthcheck, check.command != nil {
            status.health = Health(status: "starting", failingStreak: 0, log: status.health?.log ?? [])
            healthAt = Clock.monotonic() + max(check.interval, 1_000_000)
        }
        saveStatus()
    }

    func containerExited(_ waitStatus: Int32) {
        drainOutputs()
        log.flush()
        let code = ExitStatus.code(waitStatus)
        if stdinWrite >= 0 && stdinWrite != pty { close(stdinWrite) }
        stdinWrite = -1
        for fd in outputs.keys { close(fd) }
        outputs = [:]
        pty = -1
        killAt = nil
        healthAt = nil
        if let run = healthRun { kill(run.pid, SIGKILL) }
        status.oomKilled = runtime.oomKills(id: config.id) > 0
        try? runtime.delete(id: config.id, force: true)
        status.exitCode = code
        status.finishedAt = Clock.timestamp()
        status.pid = 0
        if status.health != nil { status.health?.status = "unhealthy" }

        let ranLong = Clock.monotonic() - startedMonotonic > 10_000_000_000
        if ranLong { restartDelay = 100_000_000 }
        if !status.stoppedByUser && restartPolicy.restarts(exitCode: code, restarts: status.restartCount) {
            status.state = .restarting
            restartAt = Clock.monotonic() + restartDelay
            restartDelay = min(restartDelay * 2, 60_000_000_000)
            saveStatus()
        } else {
            status.state = .exited
            saveStatus()
            done = true
        }
    }

    func restart() {
        restartAt = nil
        status.restartCount += 1
        do {
            try createContainer()
            try startContainer()
        } catch {
            status.error = "\(error)"
            status.exitCode = Self.exitCode(forCreateError: "\(error)")
            status.state = .exited
            saveStatus()
            done = true
        }
    }

    /// Stops for good: signal, then SIGKILL after `timeout` seconds.
    func stop(signal: Int32, timeout: Int) {
        status.stoppedByUser = true
        switch status.state {
        case .restarting:
            restartAt = nil
            status.state = .exited
            saveStatus()
            done = true
        case .running, .created:
            if timeout == 0 || signal == SIGKILL {
                try? runtime.kill(id: config.id, signal: SIGKILL, all: true)
            } else {
                try? runtime.kill(id: config.id, signal: signal)
                killAt = Clock.monotonic() + Int64(max(timeout, 0)) * 1_000_000_000
            }
        case .exited:
            done = true
        }
    }

    // MARK: The loop

    func step() {
        var fds: [pollfd] = [
            pollfd(fd: signals, events: Int16(POLLIN), revents: 0),
            pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
        ]
        for fd in outputs.keys { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        for (fd, client) in clients where !client.eof { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        for session in execs.values {
            for fd in session.outputs.keys { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        }
        if let run = healthRun { fds.append(pollfd(fd: run.output, events: Int16(POLLIN), revents: 0)) }

        var timeout = timeoutMillis()
        if let at = releaseMemoryAt, Clock.monotonic() >= at {
            // Last before poll: what runs after the release maps its pages back in.
            releaseMemoryAt = nil
            timeout = timeoutMillis()
            IdleMemory.release()
        }
        let rc = poll(&fds, nfds_t(fds.count), timeout)
        if rc < 0 && errno != EINTR { done = true; return }
        if rc > 0 && releaseMemoryAt == nil { releaseMemoryAt = Clock.monotonic() + Self.releaseMemoryAfter }
        fireTimers()
        for p in fds where p.revents != 0 {
            if p.fd == signals {
                handleSignals()
            } else if p.fd == listener {
                acceptClient()
            } else if let stream = outputs[p.fd] {
                pumpOutput(fd: p.fd, stream: stream)
            } else if clients[p.fd] != nil {
                readClient(p.fd)
            } else if let pid = execs.first(where: { $0.value.outputs[p.fd] != nil })?.key {
                pumpExecOutput(pid: pid, fd: p.fd)
            } else if healthRun?.output == p.fd {
                readHealthOutput()
            }
        }
    }

    func timeoutMillis() -> Int32 {
        let deadlines = [killAt, restartAt, healthAt, healthRun?.deadline, releaseMemoryAt].compactMap { $0 }
        guard let next = deadlines.min() else { return -1 }
        return Int32(clamping: max(0, (next - Clock.monotonic()) / 1_000_000 + 1))
    }

    func fireTimers() {
        let now = Clock.monotonic()
        if let at = killAt, now >= at {
            killAt = nil
            try? runtime.kill(id: config.id, signal: SIGKILL, all: true)
        }
        if let at = restartAt, now >= at { restart() }
        if let at = healthAt, now >= at {
            healthAt = nil
            startHealthCheck()
        }
        if let run = healthRun, now >= run.deadline {
            kill(run.pid, SIGKILL)
            healthRun?.timedOut = true
            healthRun?.deadline = Int64.max
        }
    }

    func handleSignals() {
        while true {
            let sig = skiff_signalfd_read(signals)
            if sig <= 0 { break }
            if sig == SIGTERM || sig == SIGINT || sig == SIGHUP {
                // The monitor stays with its container; only the engine's `stop` ends it.
                continue
            }
        }
        while true {
            var ws: Int32 = 0
            let pid = waitpid(-1, &ws, WNOHANG)
            if pid <= 0 { break }
            if pid == status.pid && (status.state == .running || status.state == .created) {
                containerExited(ws)
            } else if execs[pid] != nil {
                execExited(pid: pid, status: ws)
            } else if healthRun?.pid == pid {
                healthCheckExited(ws)
            }
        }
    }

    func pumpOutput(fd: Int32, stream: UInt8) {
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)
        let n = read(fd, &buffer, buffer.count)
        if n > 0 {
            let data = buffer[0..<n]
            log.write(stream: stream, data)
            broadcast(stream: stream, data)
        } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
            // EOF (or EIO on a pty whose last writer left).
            outputs[fd] = nil
            if fd != pty { close(fd) }
        }
    }

    func drainOutputs() {
        for (fd, stream) in outputs {
            var buffer = [UInt8](repeating: 0, count: 32 * 1024)
            while true {
                let n = read(fd, &buffer, buffer.count)
                guard n > 0 else { break }
                log.write(stream: stream, buffer[0..<n])
                broadcast(stream: stream, buffer[0..<n])
            }
        }
    }

    func broadcast(stream: UInt8, _ data: ArraySlice<UInt8>) {
        let frame = Frame.encode(stream: stream, data)
        for (fd, client) in clients {
            guard case .attach(_, let out, let err) = client.kind else { continue }
            if (stream == Frame.stdout && out) || (stream == Frame.stderr && err) {
                if !UnixSocket.writeAll(fd, frame) { dropClient(fd) }
            }
        }
    }

    // MARK: Status

    func saveStatus() {
        guard let json = try? JSONEncoder().encode(status) else { return }
        try? FileIO.writeAtomic(config.statusPath, Array(json))
        let line = Array(json) + [UInt8(ascii: "\n")]
        for (fd, client) in clients where client.kind == .watch {
            if !UnixSocket.writeAll(fd, line) { dropClient(fd) }
        }
    }

    func report(_ line: String) {
        guard ready >= 0 else { return }
        _ = UnixSocket.writeAll(fd: ready, Array((line + "\n").utf8))
        close(ready)
        ready = -1
    }

    func finish() {
        log.close()
        for fd in clients.keys {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
        clients = [:]
        close(listener)
        close(consoleListener)
        unlink(config.socket)
        unlink(config.consoleSocket)
        if let rootfs = config.rootfs { umount2(rootfs, Int32(MNT_DETACH)) }
    }

    // MARK: Helpers

    /// Docker's codes for a program that cannot run: 127 not found, 126 not executable.
    public static func exitCode(forCreateError message: String) -> Int32 {
        if message.contains("not found") || message.contains("no such file or directory") { return 127 }
        if message.contains("permission denied") { return 126 }
        return 128
    }
}

/// A monitor failure, with its stage in the message.
public struct MonitorError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

func errnoText() -> String { String(cString: strerror(errno)) }
