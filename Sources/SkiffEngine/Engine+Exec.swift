import FoundationEssentials
import Glibc
import SkiffMonitor
import SkiffOCI
import SkiffRuntime
import SkiffSystem

/// An exec instance (Docker keeps them in memory only).
public struct ExecRecord: Sendable, Equatable {
    public var id: String
    public var containerID: String
    public var args: [String]
    public var env: [String]
    public var user: String
    public var workingDir: String
    public var tty: Bool
    public var privileged: Bool
    public var attachStdin: Bool
    public var attachStdout: Bool
    public var attachStderr: Bool
    public var detachKeys: String?
    /// The terminal's initial size (rows, columns).
    public var consoleSize: [Int]?
    public var running = false
    public var pid: Int32 = 0
    public var exitCode: Int32?
    public var started = false

    public init(id: String = "", containerID: String = "", args: [String], env: [String] = [], user: String = "", workingDir: String = "",
                tty: Bool = false, privileged: Bool = false, attachStdin: Bool = false, attachStdout: Bool = true,
                attachStderr: Bool = true, detachKeys: String? = nil, consoleSize: [Int]? = nil) {
        self.id = id
        self.containerID = containerID
        self.args = args
        self.env = env
        self.user = user
        self.workingDir = workingDir
        self.tty = tty
        self.privileged = privileged
        self.attachStdin = attachStdin
        self.attachStdout = attachStdout
        self.attachStderr = attachStderr
        self.detachKeys = detachKeys
        self.consoleSize = consoleSize
    }
}

extension Engine {
    /// `POST /containers/{id}/exec`.
    public func execCreate(_ ref: String, _ exec: ExecRecord) throws(EngineError) -> String {
        let id = try resolveID(ref)
        var container = containers[id]!
        if container.state.status == .paused {
            throw EngineError(.conflict, "Container \(ref) is paused, unpause the container before exec")
        }
        guard container.state.status == .running else {
            throw EngineError(.conflict, "container \(id) is not running")
        }
        guard !exec.args.isEmpty else { throw EngineError(.invalid, "No exec command specified") }
        var record = exec
        record.id = RandomID.make()
        record.containerID = id
        execs[record.id] = record
        container.execIDs.append(record.id)
        containers[id] = container
        self.record(Self.execAction("exec_create", record), container, ["execID": record.id])
        return record.id
    }

    public func execInspect(_ execID: String) throws(EngineError) -> ExecRecord {
        guard let exec = execs[execID] else { throw EngineError(.notFound, "No such exec instance: \(execID)") }
        return exec
    }

    /// Starts the exec; the connection carries its frames (control frames
    /// first with the pid, last with the exit code).
    public func execStart(_ execID: String, tty: Bool?, consoleSize: [Int]? = nil) throws(EngineError) -> MonitorConnection {
        guard var exec = execs[execID] else { throw EngineError(.notFound, "No such exec instance: \(execID)") }
        guard !exec.started else { throw EngineError(.conflict, "Exec \(execID) has already started") }
        guard let container = containers[exec.containerID], container.state.status == .running else {
            throw EngineError(.conflict, "container \(exec.containerID) is not running")
        }
        var process = RuntimeSpec.Process(args: exec.args)
        process.terminal = tty ?? exec.tty
        if let size = consoleSize ?? exec.consoleSize, size.count == 2, size[0] > 0, size[1] > 0 {
            process.consoleSize = .init(height: UInt64(size[0]), width: UInt64(size[1]))
        }
        process.env = Self.mergeEnv(container.env, exec.env)
        process.cwd = exec.workingDir.isEmpty ? (container.workingDir.isEmpty ? "/" : container.workingDir) : exec.workingDir
        let resolver = UserResolver(rootfs: rootfsPath(container.id))
        process.user = try resolver.processUser(exec.user.isEmpty ? container.user : exec.user, groupAdd: container.config.groupAdd)
        if exec.privileged {
            let all = SpecBuilder.boundingCapabilities()
            process.capabilities = .init(bounding: all, effective: all, permitted: all)
        }
        process.noNewPrivileges = container.config.noNewPrivileges
        process.rlimits = try SpecBuilder.rlimits(container.config)
        let request = ExecRequest(process: process, attachStdin: exec.attachStdin, attachStdout: exec.attachStdout, attachStderr: exec.attachStderr)
        let json: String
        do {
            json = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        } catch {
            throw EngineError(.system, "exec: \(error)")
        }
        let connection = try MonitorConnection.open(socketPath(container.id), "exec " + json)
        exec.started = true
        exec.running = true
        exec.tty = process.terminal ?? false
        execs[execID] = exec
        record(Self.execAction("exec_start", exec), container, ["execID": execID])
        return connection
    }

    /// Records what the exec's control frames said.
    public func execEvent(_ execID: String, _ event: ExecEvent) {
        guard var exec = execs[execID] else { return }
        if let pid = event.pid { exec.pid = pid }
        if let code = event.exitCode {
            if exec.running, let container = containers[exec.containerID] {
                record("exec_die", container, ["execID": execID, "exitCode": String(code)])
            }
            exec.exitCode = code
            exec.running = false
            exec.pid = 0
        }
        if let error = event.error {
            // Docker's codes: 127 not found, 126 for anything else that kept it from running.
            exec.exitCode = Monitor.exitCode(forCreateError: error) == 127 ? 127 : 126
            exec.running = false
        }
        execs[execID] = exec
    }

    /// The connection ended without an exit code (container gone).
    public func execEnded(_ execID: String) {
        guard var exec = execs[execID], exec.running else { return }
        exec.running = false
        if exec.exitCode == nil { exec.exitCode = 137 }
        if let container = containers[exec.containerID] {
            record("exec_die", container, ["execID": execID, "exitCode": String(exec.exitCode ?? 137)])
        }
        execs[execID] = exec
    }

    public func execResize(_ execID: String, rows: Int, cols: Int) throws(EngineError) {
        guard let exec = execs[execID] else { throw EngineError(.notFound, "No such exec instance: \(execID)") }
        guard exec.running, exec.pid > 0 else { throw EngineError(.conflict, "Exec \(execID) is not running") }
        _ = try MonitorConnection.call(socketPath(exec.containerID), "exec-resize \(exec.pid) \(rows) \(cols)")
    }

    // MARK: attach / resize

    /// An attachment to the container's streams, registered now (so that an
    /// attach made before `start` sees output from the first byte); its
    /// connection comes when the container runs.
    public func attach(_ ref: String, stdin: Bool, stdout: Bool, stderr: Bool) throws(EngineError) -> Attachment {
        let id = try resolveID(ref)
        let container = containers[id]!
        let request = "attach \(stdin ? 1 : 0) \(stdout ? 1 : 0) \(stderr ? 1 : 0)"
        let attachment = Attachment()
        record("attach", container)
        if container.state.isRunning && container.state.status != .restarting {
            attachment.deliver(try MonitorConnection.open(socketPath(id), request))
        } else {
            pendingAttaches[id, default: []].append(PendingAttach(request: request, attachment: attachment))
        }
        return attachment
    }

    /// Gives up attaches still waiting for a start (the client left).
    public func cancelPendingAttaches(_ ref: String) {
        guard let id = try? resolveID(ref) else { return }
        for pending in pendingAttaches.removeValue(forKey: id) ?? [] { pending.attachment.deliver(nil) }
    }

    /// `POST /containers/{id}/resize`.
    public func resize(_ ref: String, rows: Int, cols: Int) throws(EngineError) {
        let id = try resolveID(ref)
        guard containers[id]!.state.status == .running else {
            throw EngineError(.conflict, "Container \(id) is not running")
        }
        _ = try MonitorConnection.call(socketPath(id), "resize \(rows) \(cols)")
    }
}

/// A connection to a container's streams that may arrive later (at start);
/// nil if the container never runs.
public typealias Attachment = Eventual<MonitorConnection?>
