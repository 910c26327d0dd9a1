import SkiffOCI

/// What the engine tells a container's monitor (`monitor.json` in the
/// container's directory, which is also its OCI bundle).
public struct MonitorConfig: Codable, Sendable, Equatable {
    public var id: String
    /// The OCI bundle: config.json and the mounted rootfs.
    public var bundle: String
    /// skiff-runtime's state root (runc's --root).
    public var runtimeRoot: String
    /// The monitor's unix socket (attach, exec, resize, stop, watch).
    public var socket: String
    /// The console socket the runtime hands the pty master to.
    public var consoleSocket: String
    /// Where the monitor records the container's state (`MonitorStatus`).
    public var statusPath: String
    public var log: LogConfig
    public var tty: Bool
    public var openStdin: Bool
    public var stdinOnce: Bool
    public var restart: RestartPolicy
    public var healthcheck: Healthcheck?
    /// Unmounted when the container is down for good.
    public var rootfs: String?

    public init(
        id: String, bundle: String, runtimeRoot: String, socket: String, consoleSocket: String, statusPath: String,
        log: LogConfig, tty: Bool, openStdin: Bool, stdinOnce: Bool, restart: RestartPolicy,
        healthcheck: Healthcheck?, rootfs: String?
    ) {
        self.id = id
        self.bundle = bundle
        self.runtimeRoot = runtimeRoot
        self.socket = socket
        self.consoleSocket = consoleSocket
        self.statusPath = statusPath
        self.log = log
        self.tty = tty
        self.openStdin = openStdin
        self.stdinOnce = stdinOnce
        self.restart = restart
        self.healthcheck = healthcheck
        self.rootfs = rootfs
    }
}

/// The json-file log driver's settings (`none` writes nothing).
public struct LogConfig: Codable, Sendable, Equatable {
    public var driver: String
    public var path: String
    /// Rotate when the file reaches this many bytes (nil: never).
    public var maxSize: Int64?
    /// Files kept, the current one included.
    public var maxFiles: Int

    public init(driver: String = "json-file", path: String, maxSize: Int64? = nil, maxFiles: Int = 1) {
        self.driver = driver
        self.path = path
        self.maxSize = maxSize
        self.maxFiles = max(1, maxFiles)
    }
}

/// Docker's restart policies.
public struct RestartPolicy: Codable, Sendable, Equatable {
    public enum Name: String, Codable, Sendable {
        case no, always, onFailure = "on-failure", unlessStopped = "unless-stopped"
    }
    public var name: Name
    /// on-failure's limit (0: unlimited).
    public var maximumRetryCount: Int

    public init(name: Name = .no, maximumRetryCount: Int = 0) {
        self.name = name
        self.maximumRetryCount = maximumRetryCount
    }

    /// Whether a container that exited with `code` (not stopped by the user)
    /// comes back, after `restarts` restarts so far.
    public func restarts(exitCode code: Int32, restarts: Int) -> Bool {
        switch name {
        case .no: return false
        case .always, .unlessStopped: return true
        case .onFailure: return code != 0 && (maximumRetryCount == 0 || restarts < maximumRetryCount)
        }
    }
}

/// A healthcheck: `test` as Docker stores it (["CMD", ...] or ["CMD-SHELL", "..."]).
/// Durations in nanoseconds.
public struct Healthcheck: Codable, Sendable, Equatable {
    public var test: [String]
    public var interval: Int64
    public var timeout: Int64
    public var retries: Int
    public var startPeriod: Int64

    public init(test: [String], interval: Int64, timeout: Int64, retries: Int, startPeriod: Int64) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
    }

    /// The program and arguments, nil when the check is disabled (`NONE`).
    public var command: [String]? {
        guard let kind = test.first else { return nil }
        switch kind {
        case "CMD": return test.count > 1 ? Array(test.dropFirst()) : nil
        case "CMD-SHELL": return test.count > 1 ? ["/bin/sh", "-c", test[1]] : nil
        default: return nil
        }
    }
}

/// The container's state as its monitor records it (`status.json`), and as
/// `watch` clients receive it, one JSON line per change.
public struct MonitorStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case created, running, restarting, exited
    }
    public var state: State
    public var pid: Int32
    public var monitorPid: Int32
    public var exitCode: Int32
    public var startedAt: String?
    public var finishedAt: String?
    public var restartCount: Int
    public var error: String?
    public var oomKilled: Bool
    /// Stopped by `stop` (not restarted).
    public var stoppedByUser: Bool
    public var health: Health?

    public init(monitorPid: Int32) {
        state = .created
        pid = 0
        self.monitorPid = monitorPid
        exitCode = 0
        restartCount = 0
        oomKilled = false
        stoppedByUser = false
    }
}

/// Docker's health state.
public struct Health: Codable, Sendable, Equatable {
    public struct Result: Codable, Sendable, Equatable {
        public var start: String
        public var end: String
        public var exitCode: Int32
        public var output: String
    }
    /// starting, healthy or unhealthy.
    public var status: String
    public var failingStreak: Int
    /// The last five results.
    public var log: [Result]

    public init(status: String, failingStreak: Int, log: [Result]) {
        self.status = status
        self.failingStreak = failingStreak
        self.log = log
    }
}

/// An `exec` request: the process and which of its streams the client wants.
public struct ExecRequest: Codable, Sendable {
    public var process: RuntimeSpec.Process
    public var attachStdin: Bool
    public var attachStdout: Bool
    public var attachStderr: Bool

    public init(process: RuntimeSpec.Process, attachStdin: Bool, attachStdout: Bool, attachStderr: Bool) {
        self.process = process
        self.attachStdin = attachStdin
        self.attachStdout = attachStdout
        self.attachStderr = attachStderr
    }
}

/// Control frames (stream 3) of an exec connection.
public struct ExecEvent: Codable, Sendable {
    public var pid: Int32?
    public var exitCode: Int32?
    public var error: String?

    public init(pid: Int32? = nil, exitCode: Int32? = nil, error: String? = nil) {
        self.pid = pid
        self.exitCode = exitCode
        self.error = error
    }
}
