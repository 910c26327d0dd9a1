import SkiffMonitor
import SkiffNetwork
import SkiffOCI

/// What a container is made of: the engine's own shape of Docker's Config
/// and HostConfig (the API layer translates; nothing here is Docker JSON).
public struct ContainerConfiguration: Codable, Sendable, Equatable {
    public var image: String
    public var cmd: [String]?
    /// nil: the image's; [] (or [""]) clears it.
    public var entrypoint: [String]?
    public var env: [String] = []
    public var workingDir: String?
    public var user: String?
    public var hostname: String?
    public var domainname: String?
    public var labels: [String: String] = [:]
    public var tty = false
    /// The terminal's initial size (rows, columns).
    public var consoleSize: [Int]?
    public var openStdin = false
    public var stdinOnce = false
    public var attachStdin = false
    public var attachStdout = true
    public var attachStderr = true
    public var restartPolicy = RestartPolicy()
    public var autoRemove = false
    public var resources = Resources()
    public var readonlyRootfs = false
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var privileged = false
    public var initProcess = false
    public var stopSignal: String?
    public var stopTimeout: Int?
    /// nil: the image's healthcheck.
    public var healthcheck: Healthcheck?
    public var logDriver = "json-file"
    public var logOptions: [String: String] = [:]
    public var seccomp: SeccompChoice = .builtin
    public var noNewPrivileges = false
    /// "default" (the bridge), "bridge", "host", "none", a network's name, or "container:ID".
    public var networkMode = "default"
    /// The networks to join, in order (the first is eth0); none for host, none and container: modes.
    public var networks: [EndpointRequest] = []
    public var portBindings: [PortBinding] = []
    public var publishAllPorts = false
    public var exposedPorts: [String] = []
    /// Mount points that get an anonymous volume unless something else is
    /// mounted there (the request's `Config.Volumes`, then the image's VOLUMEs).
    public var volumes: [String] = []
    public var extraHosts: [String] = []
    public var dns: [String] = []
    /// `--dns-search` (nil: the host's; "." alone: none).
    public var dnsSearch: [String]?
    /// `--dns-option` (nil: the host's).
    public var dnsOptions: [String]?
    public var shmSize: Int64?
    public var sysctls: [String: String] = [:]
    public var groupAdd: [String] = []
    public var tmpfs: [String: String] = [:]
    /// `-v` and `--mount`, in the order given (`-v` first).
    public var mounts: [MountRequest] = []
    public var volumesFrom: [VolumesFromRequest] = []
    /// The driver for volumes made here ("" or nil: local).
    public var volumeDriver: String?
    /// The cgroup the container's goes under (`--cgroup-parent`: absolute from
    /// each hierarchy's root, or relative to the daemon's own); nil: the engine's.
    public var cgroupParent: String?

    public init(image: String) {
        self.image = image
    }

    /// `-p [hostIP:][hostPort[-end]:]containerPort[/proto]`, as given.
    public struct PortBinding: Codable, Sendable, Equatable {
        /// "80/tcp".
        public var port: String
        public var hostIP: String
        /// "", "8080" or "8080-8090".
        public var hostPort: String
        public init(port: String, hostIP: String = "", hostPort: String = "") {
            self.port = port
            self.hostIP = hostIP
            self.hostPort = hostPort
        }
    }

    public struct Resources: Codable, Sendable, Equatable {
        public var memory: Int64?
        public var memoryReservation: Int64?
        public var memorySwap: Int64?
        public var nanoCPUs: Int64?
        public var cpuShares: Int64?
        public var cpuQuota: Int64?
        public var cpuPeriod: Int64?
        public var cpusetCpus: String?
        public var cpusetMems: String?
        public var pidsLimit: Int64?
        public var oomKillDisable: Bool?
        public var ulimits: [Ulimit] = []
        public init() {}
    }

    public struct Ulimit: Codable, Sendable, Equatable {
        public var name: String
        public var soft: Int64
        public var hard: Int64
        public init(name: String, soft: Int64, hard: Int64) {
            self.name = name
            self.soft = soft
            self.hard = hard
        }
    }

    public enum SeccompChoice: Codable, Sendable, Equatable {
        case builtin
        case unconfined
        /// A Docker seccomp profile (JSON text, as the docker CLI sends it).
        case profile(String)
    }
}

/// A container's state, as Docker reports it.
public struct ContainerState: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case created, running, paused, restarting, removing, exited, dead
    }
    public var status: Status = .created
    public var pid: Int32 = 0
    public var exitCode: Int32 = 0
    public var error = ""
    public var startedAt = ContainerState.zeroTime
    public var finishedAt = ContainerState.zeroTime
    public var oomKilled = false
    public var restartCount = 0
    public var health: Health?
    public var monitorPid: Int32 = 0
    /// Stopped by the user: `unless-stopped` keeps it down across daemon restarts.
    public var stoppedByUser = false

    /// Go's zero time, as Docker prints it for "never".
    public static let zeroTime = "0001-01-01T00:00:00Z"

    public init() {}

    public var isRunning: Bool { status == .running || status == .restarting || status == .paused }
}

/// A container: identity, configuration, state.
public struct Container: Codable, Sendable, Equatable {
    public var id: String
    /// Without the leading slash.
    public var name: String
    public var created: String
    public var imageID: String
    public var config: ContainerConfiguration
    public var state: ContainerState
    /// The resolved process (entrypoint + cmd), as started.
    public var path: String
    public var args: [String]
    /// The entrypoint and cmd it was resolved from (image defaults applied).
    public var entrypoint: [String]
    public var cmd: [String]
    public var env: [String]
    public var workingDir: String
    public var user: String
    public var hostname: String
    public var stopSignal: String
    public var healthcheck: Healthcheck?
    public var execIDs: [String] = []
    /// The network namespace and endpoints while it runs.
    public var sandbox: Sandbox?
    /// Binds, volumes and tmpfs mounts, resolved at create.
    public var mounts: [ContainerMount] = []

    public var shortID: String { String(id.prefix(12)) }
}
