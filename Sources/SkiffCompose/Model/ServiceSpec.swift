/// One service of a loaded project, typed: what `skiff compose` turns into containers.
/// Decoded from the canonical model (`ComposeProject.model`), so every list and short
/// syntax has already become its long form.
public struct ServiceSpec: Sendable {
    public var name: String
    public var image: String?
    public var build: BuildSpec?
    public var command: [String]?
    public var entrypoint: [String]?
    /// KEY → value; nil values are left out of the container's environment.
    public var environment: [(key: String, value: String?)] = []
    public var ports: [PortSpec] = []
    public var expose: [String] = []
    public var volumes: [MountSpec] = []
    /// Networks in the order the container joins them, with their per-network settings.
    public var networks: [NetworkAttachment] = []
    public var networkMode: String?
    public var dependsOn: [Dependency] = []
    public var healthcheck: HealthcheckSpec?
    public var restart: String?
    public var replicas: Int = 1
    public var user: String?
    public var workingDir: String?
    public var hostname: String?
    public var domainname: String?
    public var labels: [(key: String, value: String)] = []
    public var initProcess: Bool?
    public var tty = false
    public var stdinOpen = false
    public var stopSignal: String?
    public var stopGracePeriod: String?
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var privileged = false
    public var readOnly = false
    public var ulimits: [(name: String, soft: Int, hard: Int)] = []
    public var memLimit: String?
    public var memReservation: String?
    public var cpus: String?
    public var cpuShares: Int?
    public var pidsLimit: Int?
    public var shmSize: String?
    public var logging: (driver: String?, options: [(key: String, value: String)])?
    public var extraHosts: [(host: String, address: String)] = []
    public var dns: [String] = []
    public var dnsSearch: [String] = []
    public var dnsOptions: [String] = []
    public var tmpfs: [String] = []
    public var sysctls: [(key: String, value: String)] = []
    public var securityOpt: [String] = []
    public var devices: [String] = []
    public var groupAdd: [String] = []
    public var secrets: [FileReference] = []
    public var configs: [FileReference] = []
    public var containerName: String?
    public var pullPolicy: String?
    public var platform: String?
    public var ipc: String?
    public var pid: String?
    public var profiles: [String] = []
    /// The service's canonical configuration (what the config hash is taken over).
    public var definition: ComposeValue
}

public struct BuildSpec: Sendable {
    public var context: String
    public var dockerfile: String
    public var args: [(key: String, value: String?)] = []
    public var target: String?
    public var labels: [(key: String, value: String)] = []
    public var network: String?
    public var noCache = false
    public var pull = false
    public var extraHosts: [String] = []
    public var shmSize: String?
}

public struct PortSpec: Sendable, Equatable {
    public var target: Int
    /// A port or a range ("8000-8010"); nil for an ephemeral host port.
    public var published: String?
    public var hostIP: String?
    public var proto: String = "tcp"

    public init(target: Int, published: String? = nil, hostIP: String? = nil, proto: String = "tcp") {
        self.target = target
        self.published = published
        self.hostIP = hostIP
        self.proto = proto
    }
}

public struct MountSpec: Sendable, Equatable {
    public enum Kind: String, Sendable { case volume, bind, tmpfs }
    public var kind: Kind
    /// A project volume's key (volume), an absolute host path (bind); nil for anonymous.
    public var source: String?
    public var target: String
    public var readOnly = false
    public var createHostPath = true
    public var propagation: String?
    public var noCopy = false
    public var subpath: String?
    public var tmpfsSize: Int64?
    public var tmpfsMode: Int?
}

public struct NetworkAttachment: Sendable, Equatable {
    /// The project's key for the network (`default`, `front`).
    public var key: String
    public var aliases: [String] = []
    public var ipv4Address: String?
    public var ipv6Address: String?
    public var priority = 0
}

public struct Dependency: Sendable, Equatable {
    public enum Condition: String, Sendable {
        case started = "service_started"
        case healthy = "service_healthy"
        case completedSuccessfully = "service_completed_successfully"
    }
    public var service: String
    public var condition: Condition
    public var required = true
    public var restart = false
}

public struct HealthcheckSpec: Sendable, Equatable {
    /// Docker's form: ["CMD", ...], ["CMD-SHELL", cmd] or ["NONE"].
    public var test: [String]?
    public var interval: String?
    public var timeout: String?
    public var startPeriod: String?
    public var startInterval: String?
    public var retries: Int?
    public var disable = false
}

/// A secret or config given to a service: the project's key and where it appears.
public struct FileReference: Sendable, Equatable {
    public var source: String
    public var target: String
    public var uid: String?
    public var gid: String?
    public var mode: Int?
}
