// Docker's /version and /info JSON (SystemVersion, SystemInfo).

/// `GET /version`.
struct SystemVersion: Codable, Sendable, Equatable {
    var platform: PlatformName
    var components: [Component]
    var version: String
    var apiVersion: String
    var minAPIVersion: String
    var gitCommit: String
    var goVersion: String
    var os: String
    var arch: String
    var kernelVersion: String
    var buildTime: String?

    enum CodingKeys: String, CodingKey {
        case platform = "Platform", components = "Components", version = "Version", apiVersion = "ApiVersion"
        case minAPIVersion = "MinAPIVersion", gitCommit = "GitCommit", goVersion = "GoVersion", os = "Os"
        case arch = "Arch", kernelVersion = "KernelVersion", buildTime = "BuildTime"
    }

    struct PlatformName: Codable, Sendable, Equatable {
        var name: String

        enum CodingKeys: String, CodingKey { case name = "Name" }
    }

    /// One part of the engine ("Engine"), with free-form details.
    struct Component: Codable, Sendable, Equatable {
        var name: String
        var version: String
        var details: [String: String]?

        enum CodingKeys: String, CodingKey { case name = "Name", version = "Version", details = "Details" }
    }
}

/// `GET /info`: the fields the docker CLI prints, with Go's zero values for
/// what skiff has no notion of (swarm, plugins, proxies).
struct SystemInfo: Codable, Sendable, Equatable {
    var id: String
    var containers: Int
    var containersRunning: Int
    var containersPaused: Int
    var containersStopped: Int
    var images: Int
    var driver = "overlay2"
    var driverStatus: [[String]] = []
    var plugins = Plugins()
    var memoryLimit = true
    var swapLimit = true
    var cpuCfsPeriod = true
    var cpuCfsQuota = true
    var cpuShares = true
    var cpuSet = true
    var pidsLimit = true
    var ipv4Forwarding = true
    var bridgeNfIptables = false
    var bridgeNfIp6tables = false
    var debug: Bool
    var nFd: Int
    var oomKillDisable = true
    var nGoroutines: Int
    var systemTime: String
    var loggingDriver = "json-file"
    var cgroupDriver = "cgroupfs"
    var cgroupVersion: String
    var nEventsListener = 0
    var kernelVersion: String
    var operatingSystem: String
    var osVersion: String
    var osType = "linux"
    var architecture: String
    var indexServerAddress = "https://index.docker.io/v1/"
    var registryConfig = RegistryConfig()
    var ncpu: Int
    var memTotal: Int64
    var dockerRootDir: String
    var httpProxy = ""
    var httpsProxy = ""
    var noProxy = ""
    var name: String
    var labels: [String] = []
    var experimentalBuild = false
    var serverVersion: String
    var runtimes: [String: Runtime]
    var defaultRuntime: String
    var swarm = Swarm()
    var liveRestoreEnabled = true
    var isolation = ""
    var initBinary = ""
    var containerdCommit = Commit()
    var runcCommit = Commit()
    var initCommit = Commit()
    var securityOptions: [String]
    var cdiSpecDirs: [String] = []
    var warnings: [String] = []

    enum CodingKeys: String, CodingKey {
        case id = "ID", containers = "Containers", containersRunning = "ContainersRunning"
        case containersPaused = "ContainersPaused", containersStopped = "ContainersStopped", images = "Images"
        case driver = "Driver", driverStatus = "DriverStatus", plugins = "Plugins", memoryLimit = "MemoryLimit"
        case swapLimit = "SwapLimit", cpuCfsPeriod = "CpuCfsPeriod", cpuCfsQuota = "CpuCfsQuota"
        case cpuShares = "CPUShares", cpuSet = "CPUSet", pidsLimit = "PidsLimit", ipv4Forwarding = "IPv4Forwarding"
        case bridgeNfIptables = "BridgeNfIptables", bridgeNfIp6tables = "BridgeNfIp6tables", debug = "Debug"
        case nFd = "NFd", oomKillDisable = "OomKillDisable", nGoroutines = "NGoroutines", systemTime = "SystemTime"
        case loggingDriver = "LoggingDriver", cgroupDriver = "CgroupDriver", cgroupVersion = "CgroupVersion"
        case nEventsListener = "NEventsListener", kernelVersion = "KernelVersion", operatingSystem = "OperatingSystem"
        case osVersion = "OSVersion", osType = "OSType", architecture = "Architecture"
        case indexServerAddress = "IndexServerAddress", registryConfig = "RegistryConfig", ncpu = "NCPU"
        case memTotal = "MemTotal", dockerRootDir = "DockerRootDir", httpProxy = "HttpProxy"
        case httpsProxy = "HttpsProxy", noProxy = "NoProxy", name = "Name", labels = "Labels"
        case experimentalBuild = "ExperimentalBuild", serverVersion = "ServerVersion", runtimes = "Runtimes"
        case defaultRuntime = "DefaultRuntime", swarm = "Swarm", liveRestoreEnabled = "LiveRestoreEnabled"
        case isolation = "Isolation", initBinary = "InitBinary", containerdCommit = "ContainerdCommit"
        case runcCommit = "RuncCommit", initCommit = "InitCommit", securityOptions = "SecurityOptions"
        case cdiSpecDirs = "CDISpecDirs", warnings = "Warnings"
    }

    struct Plugins: Codable, Sendable, Equatable {
        var volume = ["local"]
        var network = ["host", "none"]
        var authorization: [String]?
        var log = ["json-file", "local"]

        enum CodingKeys: String, CodingKey {
            case volume = "Volume", network = "Network", authorization = "Authorization", log = "Log"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(volume, forKey: .volume)
            try c.encode(network, forKey: .network)
            try c.encodeGo(authorization, forKey: .authorization)
            try c.encode(log, forKey: .log)
        }
    }

    struct RegistryConfig: Codable, Sendable, Equatable {
        var insecureRegistryCIDRs = ["::1/128", "127.0.0.0/8"]
        var indexConfigs: [String: IndexInfo] = [
            "docker.io": IndexInfo(name: "docker.io", mirrors: [], secure: true, official: true)
        ]
        var mirrors: [String] = []

        enum CodingKeys: String, CodingKey {
            case insecureRegistryCIDRs = "InsecureRegistryCIDRs", indexConfigs = "IndexConfigs", mirrors = "Mirrors"
        }
    }

    struct IndexInfo: Codable, Sendable, Equatable {
        var name: String
        var mirrors: [String]
        var secure: Bool
        var official: Bool

        enum CodingKeys: String, CodingKey { case name = "Name", mirrors = "Mirrors", secure = "Secure", official = "Official" }
    }

    /// An OCI runtime: `{"path": "skiff-runtime"}`.
    struct Runtime: Codable, Sendable, Equatable {
        var path: String

        enum CodingKeys: String, CodingKey { case path }
    }

    struct Swarm: Codable, Sendable, Equatable {
        var nodeID = ""
        var nodeAddr = ""
        var localNodeState = "inactive"
        var controlAvailable = false
        var error = ""
        var remoteManagers: [String]?

        enum CodingKeys: String, CodingKey {
            case nodeID = "NodeID", nodeAddr = "NodeAddr", localNodeState = "LocalNodeState"
            case controlAvailable = "ControlAvailable", error = "Error", remoteManagers = "RemoteManagers"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(nodeID, forKey: .nodeID)
            try c.encode(nodeAddr, forKey: .nodeAddr)
            try c.encode(localNodeState, forKey: .localNodeState)
            try c.encode(controlAvailable, forKey: .controlAvailable)
            try c.encode(error, forKey: .error)
            try c.encodeGo(remoteManagers, forKey: .remoteManagers)
        }
    }

    /// A component's commit: `{"ID": "..."}`.
    struct Commit: Codable, Sendable, Equatable {
        var id = ""

        enum CodingKeys: String, CodingKey { case id = "ID" }
    }
}
