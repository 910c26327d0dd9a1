import SkiffOCI

// Docker's container and exec JSON (API v1.47, definitions ContainerConfig,
// HostConfig, ContainerSummary, ContainerInspectResponse, ExecConfig...).
// Request fields are all optional: the docker CLI sends nulls, docker-py
// omits keys. Encoding follows Go's (see GoJSON.swift), so inspect output has
// the keys dockerd's has.

// MARK: - Config

/// `ContainerConfig`: the portable part of a container's configuration (also
/// an image config's `Config` in ImageInspect).
struct ContainerConfig: Codable, Sendable, Equatable {
    var hostname: String?
    var domainname: String?
    var user: String?
    var attachStdin: Bool?
    var attachStdout: Bool?
    var attachStderr: Bool?
    /// Keys like "80/tcp".
    var exposedPorts: [String: EmptyObject]?
    var tty: Bool?
    var openStdin: Bool?
    var stdinOnce: Bool?
    var env: [String]?
    var cmd: [String]?
    var healthcheck: HealthConfig?
    var argsEscaped: Bool?
    var image: String?
    var volumes: [String: EmptyObject]?
    var workingDir: String?
    var entrypoint: [String]?
    var networkDisabled: Bool?
    var macAddress: String?
    var onBuild: [String]?
    var labels: [String: String]?
    var stopSignal: String?
    /// Seconds.
    var stopTimeout: Int?
    var shell: [String]?

    init() {}

    enum CodingKeys: String, CodingKey {
        case hostname = "Hostname", domainname = "Domainname", user = "User"
        case attachStdin = "AttachStdin", attachStdout = "AttachStdout", attachStderr = "AttachStderr"
        case exposedPorts = "ExposedPorts", tty = "Tty", openStdin = "OpenStdin", stdinOnce = "StdinOnce"
        case env = "Env", cmd = "Cmd", healthcheck = "Healthcheck", argsEscaped = "ArgsEscaped"
        case image = "Image", volumes = "Volumes", workingDir = "WorkingDir", entrypoint = "Entrypoint"
        case networkDisabled = "NetworkDisabled", macAddress = "MacAddress", onBuild = "OnBuild"
        case labels = "Labels", stopSignal = "StopSignal", stopTimeout = "StopTimeout", shell = "Shell"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
        domainname = try c.decodeIfPresent(String.self, forKey: .domainname)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        attachStdin = try c.decodeIfPresent(Bool.self, forKey: .attachStdin)
        attachStdout = try c.decodeIfPresent(Bool.self, forKey: .attachStdout)
        attachStderr = try c.decodeIfPresent(Bool.self, forKey: .attachStderr)
        exposedPorts = try c.decodeIfPresent([String: EmptyObject].self, forKey: .exposedPorts)
        tty = try c.decodeIfPresent(Bool.self, forKey: .tty)
        openStdin = try c.decodeIfPresent(Bool.self, forKey: .openStdin)
        stdinOnce = try c.decodeIfPresent(Bool.self, forKey: .stdinOnce)
        env = try c.decodeIfPresent([String].self, forKey: .env)
        cmd = try c.decodeStrSlice(forKey: .cmd)
        healthcheck = try c.decodeIfPresent(HealthConfig.self, forKey: .healthcheck)
        argsEscaped = try c.decodeIfPresent(Bool.self, forKey: .argsEscaped)
        image = try c.decodeIfPresent(String.self, forKey: .image)
        volumes = try c.decodeIfPresent([String: EmptyObject].self, forKey: .volumes)
        workingDir = try c.decodeIfPresent(String.self, forKey: .workingDir)
        entrypoint = try c.decodeStrSlice(forKey: .entrypoint)
        networkDisabled = try c.decodeIfPresent(Bool.self, forKey: .networkDisabled)
        macAddress = try c.decodeIfPresent(String.self, forKey: .macAddress)
        onBuild = try c.decodeIfPresent([String].self, forKey: .onBuild)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels)
        stopSignal = try c.decodeIfPresent(String.self, forKey: .stopSignal)
        stopTimeout = try c.decodeIfPresent(Int.self, forKey: .stopTimeout)
        shell = try c.decodeStrSlice(forKey: .shell)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeGo(hostname, forKey: .hostname)
        try c.encodeGo(domainname, forKey: .domainname)
        try c.encodeGo(user, forKey: .user)
        try c.encodeGo(attachStdin, forKey: .attachStdin)
        try c.encodeGo(attachStdout, forKey: .attachStdout)
        try c.encodeGo(attachStderr, forKey: .attachStderr)
        try c.encodeIfPresent(exposedPorts, forKey: .exposedPorts)
        try c.encodeGo(tty, forKey: .tty)
        try c.encodeGo(openStdin, forKey: .openStdin)
        try c.encodeGo(stdinOnce, forKey: .stdinOnce)
        try c.encodeGo(env, forKey: .env)
        try c.encodeGo(cmd, forKey: .cmd)
        try c.encodeIfPresent(healthcheck, forKey: .healthcheck)
        try c.encodeIfPresent(argsEscaped, forKey: .argsEscaped)
        try c.encodeGo(image, forKey: .image)
        try c.encodeGo(volumes, forKey: .volumes)
        try c.encodeGo(workingDir, forKey: .workingDir)
        try c.encodeGo(entrypoint, forKey: .entrypoint)
        try c.encodeIfPresent(networkDisabled, forKey: .networkDisabled)
        try c.encodeIfPresent(macAddress, forKey: .macAddress)
        try c.encodeGo(onBuild, forKey: .onBuild)
        try c.encodeGo(labels, forKey: .labels)
        try c.encodeIfPresent(stopSignal, forKey: .stopSignal)
        try c.encodeIfPresent(stopTimeout, forKey: .stopTimeout)
        try c.encodeIfPresent(shell, forKey: .shell)
    }
}

/// `HealthConfig`. Durations are nanoseconds; 0 or absent means inherit.
struct HealthConfig: Codable, Sendable, Equatable {
    /// `[]` inherit, `["NONE"]`, `["CMD", args...]`, `["CMD-SHELL", command]`.
    var test: [String]?
    var interval: Int64?
    var timeout: Int64?
    var retries: Int?
    var startPeriod: Int64?
    var startInterval: Int64?

    init(test: [String]? = nil, interval: Int64? = nil, timeout: Int64? = nil, retries: Int? = nil,
         startPeriod: Int64? = nil, startInterval: Int64? = nil) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
        self.startInterval = startInterval
    }

    enum CodingKeys: String, CodingKey {
        case test = "Test", interval = "Interval", timeout = "Timeout", retries = "Retries"
        case startPeriod = "StartPeriod", startInterval = "StartInterval"
    }
}

// MARK: - HostConfig

/// `HostConfig`: the non-portable part, with `Resources` inline.
struct HostConfig: Codable, Sendable, Equatable {
    var binds: [String]?
    var containerIDFile: String?
    var logConfig: LogConfig?
    var networkMode: String?
    /// "80/tcp" → bindings.
    var portBindings: [String: [PortBinding]?]?
    var restartPolicy: RestartPolicy?
    var autoRemove: Bool?
    var volumeDriver: String?
    var volumesFrom: [String]?
    var mounts: [Mount]?
    /// `[height, width]`.
    var consoleSize: [Int]?
    var annotations: [String: String]?
    var capAdd: [String]?
    var capDrop: [String]?
    var cgroupnsMode: String?
    var dns: [String]?
    var dnsOptions: [String]?
    var dnsSearch: [String]?
    var extraHosts: [String]?
    var groupAdd: [String]?
    var ipcMode: String?
    var cgroup: String?
    var links: [String]?
    var oomScoreAdj: Int?
    var pidMode: String?
    var privileged: Bool?
    var publishAllPorts: Bool?
    var readonlyRootfs: Bool?
    var securityOpt: [String]?
    var storageOpt: [String: String]?
    /// Container path → mount options ("size=64m,mode=1777").
    var tmpfs: [String: String]?
    var utsMode: String?
    var usernsMode: String?
    var shmSize: Int64?
    var sysctls: [String: String]?
    var runtime: String?
    var isolation: String?
    var maskedPaths: [String]?
    var readonlyPaths: [String]?
    /// `Init`: run an init process as pid 1.
    var initProcess: Bool?

    // Resources
    var cpuShares: Int64?
    var memory: Int64?
    var cgroupParent: String?
    var blkioWeight: Int?
    var cpuPeriod: Int64?
    var cpuQuota: Int64?
    var cpuRealtimePeriod: Int64?
    var cpuRealtimeRuntime: Int64?
    var cpusetCpus: String?
    var cpusetMems: String?
    var devices: [DeviceMapping]?
    var deviceCgroupRules: [String]?
    var memoryReservation: Int64?
    var memorySwap: Int64?
    /// 0-100; nil (or -1) means the kernel default.
    var memorySwappiness: Int64?
    var nanoCpus: Int64?
    var oomKillDisable: Bool?
    /// 0 or -1 is unlimited, nil leaves it unchanged.
    var pidsLimit: Int64?
    var ulimits: [Ulimit]?

    init() {}

    enum CodingKeys: String, CodingKey {
        case binds = "Binds", containerIDFile = "ContainerIDFile", logConfig = "LogConfig"
        case networkMode = "NetworkMode", portBindings = "PortBindings", restartPolicy = "RestartPolicy"
        case autoRemove = "AutoRemove", volumeDriver = "VolumeDriver", volumesFrom = "VolumesFrom"
        case mounts = "Mounts", consoleSize = "ConsoleSize", annotations = "Annotations"
        case capAdd = "CapAdd", capDrop = "CapDrop", cgroupnsMode = "CgroupnsMode"
        case dns = "Dns", dnsOptions = "DnsOptions", dnsSearch = "DnsSearch", extraHosts = "ExtraHosts"
        case groupAdd = "GroupAdd", ipcMode = "IpcMode", cgroup = "Cgroup", links = "Links"
        case oomScoreAdj = "OomScoreAdj", pidMode = "PidMode", privileged = "Privileged"
        case publishAllPorts = "PublishAllPorts", readonlyRootfs = "ReadonlyRootfs"
        case securityOpt = "SecurityOpt", storageOpt = "StorageOpt", tmpfs = "Tmpfs"
        case utsMode = "UTSMode", usernsMode = "UsernsMode", shmSize = "ShmSize", sysctls = "Sysctls"
        case runtime = "Runtime", isolation = "Isolation", maskedPaths = "MaskedPaths"
        case readonlyPaths = "ReadonlyPaths", initProcess = "Init"
        case cpuShares = "CpuShares", memory = "Memory", cgroupParent = "CgroupParent"
        case blkioWeight = "BlkioWeight", cpuPeriod = "CpuPeriod", cpuQuota = "CpuQuota"
        case cpuRealtimePeriod = "CpuRealtimePeriod", cpuRealtimeRuntime = "CpuRealtimeRuntime"
        case cpusetCpus = "CpusetCpus", cpusetMems = "CpusetMems", devices = "Devices"
        case deviceCgroupRules = "DeviceCgroupRules", memoryReservation = "MemoryReservation"
        case memorySwap = "MemorySwap", memorySwappiness = "MemorySwappiness", nanoCpus = "NanoCpus"
        case oomKillDisable = "OomKillDisable", pidsLimit = "PidsLimit", ulimits = "Ulimits"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeGo(binds, forKey: .binds)
        try c.encodeGo(containerIDFile, forKey: .containerIDFile)
        try c.encode(logConfig ?? LogConfig(), forKey: .logConfig)
        try c.encodeGo(networkMode, forKey: .networkMode)
        try c.encodeGo(portBindings, forKey: .portBindings)
        try c.encode(restartPolicy ?? RestartPolicy(), forKey: .restartPolicy)
        try c.encodeGo(autoRemove, forKey: .autoRemove)
        try c.encodeGo(volumeDriver, forKey: .volumeDriver)
        try c.encodeGo(volumesFrom, forKey: .volumesFrom)
        try c.encodeIfPresent(mounts, forKey: .mounts)
        try c.encode(consoleSize ?? [0, 0], forKey: .consoleSize)
        try c.encodeIfPresent(annotations, forKey: .annotations)
        try c.encodeGo(capAdd, forKey: .capAdd)
        try c.encodeGo(capDrop, forKey: .capDrop)
        try c.encodeGo(cgroupnsMode, forKey: .cgroupnsMode)
        try c.encodeGo(dns, forKey: .dns)
        try c.encodeGo(dnsOptions, forKey: .dnsOptions)
        try c.encodeGo(dnsSearch, forKey: .dnsSearch)
        try c.encodeGo(extraHosts, forKey: .extraHosts)
        try c.encodeGo(groupAdd, forKey: .groupAdd)
        try c.encodeGo(ipcMode, forKey: .ipcMode)
        try c.encodeGo(cgroup, forKey: .cgroup)
        try c.encodeGo(links, forKey: .links)
        try c.encodeGo(oomScoreAdj, forKey: .oomScoreAdj)
        try c.encodeGo(pidMode, forKey: .pidMode)
        try c.encodeGo(privileged, forKey: .privileged)
        try c.encodeGo(publishAllPorts, forKey: .publishAllPorts)
        try c.encodeGo(readonlyRootfs, forKey: .readonlyRootfs)
        try c.encodeGo(securityOpt, forKey: .securityOpt)
        try c.encodeIfPresent(storageOpt, forKey: .storageOpt)
        try c.encodeIfPresent(tmpfs, forKey: .tmpfs)
        try c.encodeGo(utsMode, forKey: .utsMode)
        try c.encodeGo(usernsMode, forKey: .usernsMode)
        try c.encodeGo(shmSize, forKey: .shmSize)
        try c.encodeIfPresent(sysctls, forKey: .sysctls)
        try c.encodeIfPresent(runtime, forKey: .runtime)
        try c.encodeGo(isolation, forKey: .isolation)
        try c.encodeGo(maskedPaths, forKey: .maskedPaths)
        try c.encodeGo(readonlyPaths, forKey: .readonlyPaths)
        try c.encodeIfPresent(initProcess, forKey: .initProcess)
        try c.encodeGo(cpuShares, forKey: .cpuShares)
        try c.encodeGo(memory, forKey: .memory)
        try c.encodeGo(cgroupParent, forKey: .cgroupParent)
        try c.encodeGo(blkioWeight, forKey: .blkioWeight)
        try c.encodeGo(cpuPeriod, forKey: .cpuPeriod)
        try c.encodeGo(cpuQuota, forKey: .cpuQuota)
        try c.encodeGo(cpuRealtimePeriod, forKey: .cpuRealtimePeriod)
        try c.encodeGo(cpuRealtimeRuntime, forKey: .cpuRealtimeRuntime)
        try c.encodeGo(cpusetCpus, forKey: .cpusetCpus)
        try c.encodeGo(cpusetMems, forKey: .cpusetMems)
        try c.encodeGo(devices, forKey: .devices)
        try c.encodeGo(deviceCgroupRules, forKey: .deviceCgroupRules)
        try c.encodeGo(memoryReservation, forKey: .memoryReservation)
        try c.encodeGo(memorySwap, forKey: .memorySwap)
        try c.encodeGo(memorySwappiness, forKey: .memorySwappiness)
        try c.encodeGo(nanoCpus, forKey: .nanoCpus)
        try c.encodeGo(oomKillDisable, forKey: .oomKillDisable)
        try c.encodeGo(pidsLimit, forKey: .pidsLimit)
        try c.encodeGo(ulimits, forKey: .ulimits)
    }
}

/// `HostConfig.LogConfig`.
struct LogConfig: Codable, Sendable, Equatable {
    /// "json-file", "none", ...
    var type: String?
    var config: [String: String]?

    init(type: String? = nil, config: [String: String]? = nil) {
        self.type = type
        self.config = config
    }

    enum CodingKeys: String, CodingKey { case type = "Type", config = "Config" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeGo(type, forKey: .type)
        try c.encodeGo(config, forKey: .config)
    }
}

/// `RestartPolicy`.
struct RestartPolicy: Codable, Sendable, Equatable {
    /// "", "no", "always", "unless-stopped", "on-failure".
    var name: String?
    var maximumRetryCount: Int?

    init(name: String? = nil, maximumRetryCount: Int? = nil) {
        self.name = name
        self.maximumRetryCount = maximumRetryCount
    }

    enum CodingKeys: String, CodingKey { case name = "Name", maximumRetryCount = "MaximumRetryCount" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeGo(name, forKey: .name)
        try c.encodeGo(maximumRetryCount, forKey: .maximumRetryCount)
    }
}

/// `PortBinding`: one host side of a published port.
struct PortBinding: Codable, Sendable, Equatable {
    var hostIp: String?
    var hostPort: String?

    init(hostIp: String? = nil, hostPort: String? = nil) {
        self.hostIp = hostIp
        self.hostPort = hostPort
    }

    enum CodingKeys: String, CodingKey { case hostIp = "HostIp", hostPort = "HostPort" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeGo(hostIp, forKey: .hostIp)
        try c.encodeGo(hostPort, forKey: .hostPort)
    }
}

/// `DeviceMapping`.
struct DeviceMapping: Codable, Sendable, Equatable {
    var pathOnHost: String?
    var pathInContainer: String?
    /// "rwm" by default.
    var cgroupPermissions: String?

    enum CodingKeys: String, CodingKey {
        case pathOnHost = "PathOnHost", pathInContainer = "PathInContainer", cgroupPermissions = "CgroupPermissions"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeGo(pathOnHost, forKey: .pathOnHost)
        try c.encodeGo(pathInContainer, forKey: .pathInContainer)
        try c.encodeGo(cgroupPermissions, forKey: .cgroupPermissions)
    }
}

/// `Resources.Ulimits[]`.
struct Ulimit: Codable, Sendable, Equatable {
    var name: String?
    var soft: Int64?
    var hard: Int64?

    enum CodingKeys: String, CodingKey { case name = "Name", soft = "Soft", hard = "Hard" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeGo(name, forKey: .name)
        try c.encodeGo(soft, forKey: .soft)
        try c.encodeGo(hard, forKey: .hard)
    }
}

/// `Mount`: a mount requested in `HostConfig.Mounts` (`--mount`).
struct Mount: Codable, Sendable, Equatable {
    var target: String?
    var source: String?
    /// "bind", "volume", "tmpfs", "npipe", "cluster".
    var type: String?
    var readOnly: Bool?
    var consistency: String?
    var bindOptions: BindOptions?
    var volumeOptions: VolumeOptions?
    var tmpfsOptions: TmpfsOptions?

    enum CodingKeys: String, CodingKey {
        case target = "Target", source = "Source", type = "Type", readOnly = "ReadOnly"
        case consistency = "Consistency", bindOptions = "BindOptions", volumeOptions = "VolumeOptions"
        case tmpfsOptions = "TmpfsOptions"
    }

    struct BindOptions: Codable, Sendable, Equatable {
        var propagation: String?
        var nonRecursive: Bool?
        var createMountpoint: Bool?
        var readOnlyNonRecursive: Bool?
        var readOnlyForceRecursive: Bool?

        enum CodingKeys: String, CodingKey {
            case propagation = "Propagation", nonRecursive = "NonRecursive", createMountpoint = "CreateMountpoint"
            case readOnlyNonRecursive = "ReadOnlyNonRecursive", readOnlyForceRecursive = "ReadOnlyForceRecursive"
        }
    }

    struct VolumeOptions: Codable, Sendable, Equatable {
        var noCopy: Bool?
        var labels: [String: String]?
        var driverConfig: DriverConfig?
        var subpath: String?

        enum CodingKeys: String, CodingKey {
            case noCopy = "NoCopy", labels = "Labels", driverConfig = "DriverConfig", subpath = "Subpath"
        }

        struct DriverConfig: Codable, Sendable, Equatable {
            var name: String?
            var options: [String: String]?

            enum CodingKeys: String, CodingKey { case name = "Name", options = "Options" }
        }
    }

    struct TmpfsOptions: Codable, Sendable, Equatable {
        var sizeBytes: Int64?
        /// Permission bits as a decimal integer (1777 octal is 1023).
        var mode: Int?
        /// `[["noexec"], ["uid", "1000"]]`.
        var options: [[String]]?

        enum CodingKeys: String, CodingKey { case sizeBytes = "SizeBytes", mode = "Mode", options = "Options" }
    }
}

// MARK: - Networking

/// `NetworkingConfig` in a create request.
struct NetworkingConfig: Codable, Sendable, Equatable {
    /// Network name → endpoint settings.
    var endpointsConfig: [String: EndpointSettings]?

    enum CodingKeys: String, CodingKey { case endpointsConfig = "EndpointsConfig" }
}

/// `EndpointSettings`: a container's place on one network.
struct EndpointSettings: Codable, Sendable, Equatable {
    var ipamConfig: IPAMConfig?
    var links: [String]?
    var macAddress: String?
    var aliases: [String]?
    var driverOpts: [String: String]?
    var networkID: String?
    var endpointID: String?
    var gateway: String?
    var ipAddress: String?
    var ipPrefixLen: Int?
    var ipv6Gateway: String?
    var globalIPv6Address: String?
    var globalIPv6PrefixLen: Int?
    var dnsNames: [String]?

    init() {}

    enum CodingKeys: String, CodingKey {
        case ipamConfig = "IPAMConfig", links = "Links", macAddress = "MacAddress", aliases = "Aliases"
        case driverOpts = "DriverOpts", networkID = "NetworkID", endpointID = "EndpointID", gateway = "Gateway"
        case ipAddress = "IPAddress", ipPrefixLen = "IPPrefixLen", ipv6Gateway = "IPv6Gateway"
        case globalIPv6Address = "GlobalIPv6Address", globalIPv6PrefixLen = "GlobalIPv6PrefixLen"
        case dnsNames = "DNSNames"
    }

    struct IPAMConfig: Codable, Sendable, Equatable {
        var ipv4Address: String?
        var ipv6Address: String?
        var linkLocalIPs: [String]?

        enum CodingKeys: String, CodingKey {
            case ipv4Address = "IPv4Address", ipv6Address = "IPv6Address", linkLocalIPs = "LinkLocalIPs"
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeGo(ipamConfig, forKey: .ipamConfig)
        try c.encodeGo(links, forKey: .links)
        try c.encodeGo(macAddress, forKey: .macAddress)
        try c.encodeGo(aliases, forKey: .aliases)
        try c.encodeGo(driverOpts, forKey: .driverOpts)
        try c.encodeGo(networkID, forKey: .networkID)
        try c.encodeGo(endpointID, forKey: .endpointID)
        try c.encodeGo(gateway, forKey: .gateway)
        try c.encodeGo(ipAddress, forKey: .ipAddress)
        try c.encodeGo(ipPrefixLen, forKey: .ipPrefixLen)
        try c.encodeGo(ipv6Gateway, forKey: .ipv6Gateway)
        try c.encodeGo(globalIPv6Address, forKey: .globalIPv6Address)
        try c.encodeGo(globalIPv6PrefixLen, forKey: .globalIPv6PrefixLen)
        try c.encodeGo(dnsNames, forKey: .dnsNames)
    }
}

/// `NetworkSettings` in ContainerInspectResponse.
struct NetworkSettings: Codable, Sendable, Equatable {
    var bridge = ""
    var sandboxID = ""
    var sandboxKey = ""
    /// "80/tcp" → host bindings (null when not published).
    var ports: [String: [PortBinding]?] = [:]
    var hairpinMode = false
    var linkLocalIPv6Address = ""
    var linkLocalIPv6PrefixLen = 0
    var endpointID = ""
    var gateway = ""
    var globalIPv6Address = ""
    var globalIPv6PrefixLen = 0
    var ipAddress = ""
    var ipPrefixLen = 0
    var ipv6Gateway = ""
    var macAddress = ""
    var networks: [String: EndpointSettings] = [:]

    init() {}

    enum CodingKeys: String, CodingKey {
        case bridge = "Bridge", sandboxID = "SandboxID", sandboxKey = "SandboxKey", ports = "Ports"
        case hairpinMode = "HairpinMode", linkLocalIPv6Address = "LinkLocalIPv6Address"
        case linkLocalIPv6PrefixLen = "LinkLocalIPv6PrefixLen", endpointID = "EndpointID", gateway = "Gateway"
        case globalIPv6Address = "GlobalIPv6Address", globalIPv6PrefixLen = "GlobalIPv6PrefixLen"
        case ipAddress = "IPAddress", ipPrefixLen = "IPPrefixLen", ipv6Gateway = "IPv6Gateway"
        case macAddress = "MacAddress", networks = "Networks"
    }
}

// MARK: - Create

/// `POST /containers/create` body: ContainerConfig's fields inline, plus
/// `HostConfig` and `NetworkingConfig`.
struct ContainerCreateRequest: Decodable, Sendable, Equatable {
    var config: ContainerConfig
    var hostConfig: HostConfig?
    var networkingConfig: NetworkingConfig?

    enum CodingKeys: String, CodingKey { case hostConfig = "HostConfig", networkingConfig = "NetworkingConfig" }

    init(config: ContainerConfig, hostConfig: HostConfig? = nil, networkingConfig: NetworkingConfig? = nil) {
        self.config = config
        self.hostConfig = hostConfig
        self.networkingConfig = networkingConfig
    }

    init(from decoder: any Decoder) throws {
        config = try ContainerConfig(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hostConfig = try c.decodeIfPresent(HostConfig.self, forKey: .hostConfig)
        networkingConfig = try c.decodeIfPresent(NetworkingConfig.self, forKey: .networkingConfig)
    }
}

/// `ContainerCreateResponse`.
struct ContainerCreateResponse: Codable, Sendable, Equatable {
    var id: String
    var warnings: [String] = []

    enum CodingKeys: String, CodingKey { case id = "Id", warnings = "Warnings" }
}

/// `IdResponse`: `{"Id": "..."}` (exec create, commit).
struct IDResponse: Codable, Sendable, Equatable {
    var id: String

    enum CodingKeys: String, CodingKey { case id = "Id" }
}

// MARK: - List and inspect

/// `ContainerSummary`: one row of `GET /containers/json`.
struct ContainerSummary: Codable, Sendable, Equatable {
    var id: String
    /// With a leading slash: ["/web"].
    var names: [String]
    var image: String
    var imageID: String
    var command: String
    /// Unix seconds.
    var created: Int64
    var ports: [Port] = []
    var sizeRw: Int64?
    var sizeRootFs: Int64?
    var labels: [String: String] = [:]
    /// "created", "running", "paused", "restarting", "exited", "removing", "dead".
    var state: String
    /// Human text: "Up 5 minutes", "Exited (0) 2 seconds ago".
    var status: String
    var hostConfig = SummaryHostConfig()
    var networkSettings = SummaryNetworkSettings()
    var mounts: [MountPoint] = []

    enum CodingKeys: String, CodingKey {
        case id = "Id", names = "Names", image = "Image", imageID = "ImageID", command = "Command"
        case created = "Created", ports = "Ports", sizeRw = "SizeRw", sizeRootFs = "SizeRootFs"
        case labels = "Labels", state = "State", status = "Status", hostConfig = "HostConfig"
        case networkSettings = "NetworkSettings", mounts = "Mounts"
    }

    struct SummaryHostConfig: Codable, Sendable, Equatable {
        var networkMode = "default"
        var annotations: [String: String]?

        enum CodingKeys: String, CodingKey { case networkMode = "NetworkMode", annotations = "Annotations" }
    }

    struct SummaryNetworkSettings: Codable, Sendable, Equatable {
        var networks: [String: EndpointSettings] = [:]

        enum CodingKeys: String, CodingKey { case networks = "Networks" }
    }
}

/// `Port`: a port in ContainerSummary.
struct Port: Codable, Sendable, Equatable {
    var ip: String?
    var privatePort: Int
    var publicPort: Int?
    /// "tcp", "udp", "sctp".
    var type: String

    enum CodingKeys: String, CodingKey { case ip = "IP", privatePort = "PrivatePort", publicPort = "PublicPort", type = "Type" }
}

/// `MountPoint`: a mount as reported by list and inspect.
struct MountPoint: Codable, Sendable, Equatable {
    /// "bind", "volume", "tmpfs".
    var type: String
    var name: String?
    var source: String
    var destination: String
    var driver: String?
    var mode: String = ""
    var rw: Bool
    var propagation: String = ""

    enum CodingKeys: String, CodingKey {
        case type = "Type", name = "Name", source = "Source", destination = "Destination"
        case driver = "Driver", mode = "Mode", rw = "RW", propagation = "Propagation"
    }
}

/// `DriverData`: `GraphDriver` in container and image inspect.
struct DriverData: Codable, Sendable, Equatable {
    var name: String
    /// "LowerDir", "UpperDir", "MergedDir", "WorkDir".
    var data: [String: String]

    enum CodingKeys: String, CodingKey { case name = "Name", data = "Data" }
}

/// `ContainerState`.
struct ContainerState: Codable, Sendable, Equatable {
    /// "created", "running", "paused", "restarting", "removing", "exited", "dead".
    var status: String
    var running = false
    var paused = false
    var restarting = false
    var oomKilled = false
    var dead = false
    var pid = 0
    var exitCode = 0
    var error = ""
    /// RFC 3339 with nanoseconds; "0001-01-01T00:00:00Z" when never.
    var startedAt = zeroTime
    var finishedAt = zeroTime
    var health: Health?

    /// Go's zero time, which dockerd reports for "never".
    static let zeroTime = "0001-01-01T00:00:00Z"

    init(status: String) { self.status = status }

    enum CodingKeys: String, CodingKey {
        case status = "Status", running = "Running", paused = "Paused", restarting = "Restarting"
        case oomKilled = "OOMKilled", dead = "Dead", pid = "Pid", exitCode = "ExitCode", error = "Error"
        case startedAt = "StartedAt", finishedAt = "FinishedAt", health = "Health"
    }
}

/// `Health`: a container's healthcheck state.
struct Health: Codable, Sendable, Equatable {
    /// "none", "starting", "healthy", "unhealthy".
    var status: String
    var failingStreak = 0
    var log: [HealthcheckResult] = []

    enum CodingKeys: String, CodingKey { case status = "Status", failingStreak = "FailingStreak", log = "Log" }
}

/// `HealthcheckResult`: one probe.
struct HealthcheckResult: Codable, Sendable, Equatable {
    /// RFC 3339 with nanoseconds.
    var start: String
    var end: String
    var exitCode: Int
    var output: String

    enum CodingKeys: String, CodingKey { case start = "Start", end = "End", exitCode = "ExitCode", output = "Output" }
}

/// `GET /containers/{id}/json`.
struct ContainerInspectResponse: Codable, Sendable, Equatable {
    var id: String
    /// RFC 3339 with nanoseconds.
    var created: String
    var path: String
    var args: [String]
    var state: ContainerState
    /// The image id, "sha256:...".
    var image: String
    var resolvConfPath = ""
    var hostnamePath = ""
    var hostsPath = ""
    var logPath = ""
    /// With a leading slash: "/web".
    var name: String
    var restartCount = 0
    var driver = "overlay2"
    var platform = "linux"
    var mountLabel = ""
    var processLabel = ""
    var appArmorProfile = ""
    var execIDs: [String]?
    var hostConfig: HostConfig
    var graphDriver: DriverData
    var sizeRw: Int64?
    var sizeRootFs: Int64?
    var mounts: [MountPoint] = []
    var config: ContainerConfig
    var networkSettings = NetworkSettings()

    enum CodingKeys: String, CodingKey {
        case id = "Id", created = "Created", path = "Path", args = "Args", state = "State", image = "Image"
        case resolvConfPath = "ResolvConfPath", hostnamePath = "HostnamePath", hostsPath = "HostsPath"
        case logPath = "LogPath", name = "Name", restartCount = "RestartCount", driver = "Driver"
        case platform = "Platform", mountLabel = "MountLabel", processLabel = "ProcessLabel"
        case appArmorProfile = "AppArmorProfile", execIDs = "ExecIDs", hostConfig = "HostConfig"
        case graphDriver = "GraphDriver", sizeRw = "SizeRw", sizeRootFs = "SizeRootFs", mounts = "Mounts"
        case config = "Config", networkSettings = "NetworkSettings"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(created, forKey: .created)
        try c.encode(path, forKey: .path)
        try c.encode(args, forKey: .args)
        try c.encode(state, forKey: .state)
        try c.encode(image, forKey: .image)
        try c.encode(resolvConfPath, forKey: .resolvConfPath)
        try c.encode(hostnamePath, forKey: .hostnamePath)
        try c.encode(hostsPath, forKey: .hostsPath)
        try c.encode(logPath, forKey: .logPath)
        try c.encode(name, forKey: .name)
        try c.encode(restartCount, forKey: .restartCount)
        try c.encode(driver, forKey: .driver)
        try c.encode(platform, forKey: .platform)
        try c.encode(mountLabel, forKey: .mountLabel)
        try c.encode(processLabel, forKey: .processLabel)
        try c.encode(appArmorProfile, forKey: .appArmorProfile)
        try c.encodeGo(execIDs, forKey: .execIDs)
        try c.encode(hostConfig, forKey: .hostConfig)
        try c.encode(graphDriver, forKey: .graphDriver)
        try c.encodeIfPresent(sizeRw, forKey: .sizeRw)
        try c.encodeIfPresent(sizeRootFs, forKey: .sizeRootFs)
        try c.encode(mounts, forKey: .mounts)
        try c.encode(config, forKey: .config)
        try c.encode(networkSettings, forKey: .networkSettings)
    }
}

/// `ContainerWaitResponse`.
struct ContainerWaitResponse: Codable, Sendable, Equatable {
    var statusCode: Int
    var error: WaitError?

    enum CodingKeys: String, CodingKey { case statusCode = "StatusCode", error = "Error" }

    /// `ContainerWaitExitError`.
    struct WaitError: Codable, Sendable, Equatable {
        var message: String

        enum CodingKeys: String, CodingKey { case message = "Message" }
    }
}

// MARK: - Exec

/// `POST /containers/{id}/exec` body.
struct ExecConfig: Codable, Sendable, Equatable {
    var attachStdin: Bool?
    var attachStdout: Bool?
    var attachStderr: Bool?
    var detachKeys: String?
    var tty: Bool?
    /// `[height, width]`.
    var consoleSize: [Int]?
    var env: [String]?
    var privileged: Bool?
    var user: String?
    var workingDir: String?
    var cmd: [String]?

    init() {}

    enum CodingKeys: String, CodingKey {
        case attachStdin = "AttachStdin", attachStdout = "AttachStdout", attachStderr = "AttachStderr"
        case detachKeys = "DetachKeys", tty = "Tty", consoleSize = "ConsoleSize", env = "Env"
        case privileged = "Privileged", user = "User", workingDir = "WorkingDir", cmd = "Cmd"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        attachStdin = try c.decodeIfPresent(Bool.self, forKey: .attachStdin)
        attachStdout = try c.decodeIfPresent(Bool.self, forKey: .attachStdout)
        attachStderr = try c.decodeIfPresent(Bool.self, forKey: .attachStderr)
        detachKeys = try c.decodeIfPresent(String.self, forKey: .detachKeys)
        tty = try c.decodeIfPresent(Bool.self, forKey: .tty)
        consoleSize = try c.decodeIfPresent([Int].self, forKey: .consoleSize)
        env = try c.decodeIfPresent([String].self, forKey: .env)
        privileged = try c.decodeIfPresent(Bool.self, forKey: .privileged)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        workingDir = try c.decodeIfPresent(String.self, forKey: .workingDir)
        cmd = try c.decodeStrSlice(forKey: .cmd)
    }
}

/// `POST /exec/{id}/start` body.
struct ExecStartConfig: Codable, Sendable, Equatable {
    var detach: Bool?
    var tty: Bool?
    /// `[height, width]`.
    var consoleSize: [Int]?

    init(detach: Bool? = nil, tty: Bool? = nil, consoleSize: [Int]? = nil) {
        self.detach = detach
        self.tty = tty
        self.consoleSize = consoleSize
    }

    enum CodingKeys: String, CodingKey { case detach = "Detach", tty = "Tty", consoleSize = "ConsoleSize" }
}

/// `GET /exec/{id}/json`.
struct ExecInspectResponse: Codable, Sendable, Equatable {
    var canRemove = false
    var detachKeys = ""
    var id: String
    var running: Bool
    /// nil (null) while running.
    var exitCode: Int?
    var processConfig: ProcessConfig
    var openStdin: Bool
    var openStderr: Bool
    var openStdout: Bool
    var containerID: String
    /// 0 until started.
    var pid: Int

    enum CodingKeys: String, CodingKey {
        case canRemove = "CanRemove", detachKeys = "DetachKeys", id = "ID", running = "Running"
        case exitCode = "ExitCode", processConfig = "ProcessConfig", openStdin = "OpenStdin"
        case openStderr = "OpenStderr", openStdout = "OpenStdout", containerID = "ContainerID", pid = "Pid"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(canRemove, forKey: .canRemove)
        try c.encode(detachKeys, forKey: .detachKeys)
        try c.encode(id, forKey: .id)
        try c.encode(running, forKey: .running)
        if let exitCode { try c.encode(exitCode, forKey: .exitCode) } else { try c.encodeNil(forKey: .exitCode) }
        try c.encode(processConfig, forKey: .processConfig)
        try c.encode(openStdin, forKey: .openStdin)
        try c.encode(openStderr, forKey: .openStderr)
        try c.encode(openStdout, forKey: .openStdout)
        try c.encode(containerID, forKey: .containerID)
        try c.encode(pid, forKey: .pid)
    }

    /// `ProcessConfig` (lowercase keys, as dockerd writes them).
    struct ProcessConfig: Codable, Sendable, Equatable {
        var privileged: Bool?
        var user: String?
        var tty: Bool
        var entrypoint: String
        var arguments: [String]

        enum CodingKeys: String, CodingKey {
            case privileged, user, tty, entrypoint, arguments
        }
    }
}
