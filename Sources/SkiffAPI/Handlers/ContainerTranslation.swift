import SkiffDNS
import Glibc
import SkiffEngine
import SkiffMonitor
import SkiffNetwork
import SkiffOCI

/// Docker's container JSON to engine configuration and back: the only
/// place where the two shapes meet.
enum ContainerTranslation {
    // MARK: Docker → engine

    static func configuration(_ request: ContainerCreateRequest) throws(APIError) -> ContainerConfiguration {
        let c = request.config
        let h = request.hostConfig ?? HostConfig()
        guard let image = c.image, !image.isEmpty else { throw .badRequest("config: image is required") }
        var config = ContainerConfiguration(image: image)
        config.cmd = c.cmd
        config.entrypoint = c.entrypoint
        config.env = c.env ?? []
        config.workingDir = c.workingDir
        config.user = c.user
        config.hostname = c.hostname
        config.domainname = c.domainname
        config.labels = c.labels ?? [:]
        config.tty = c.tty ?? false
        config.consoleSize = h.consoleSize
        config.openStdin = c.openStdin ?? false
        config.stdinOnce = c.stdinOnce ?? false
        config.attachStdin = c.attachStdin ?? false
        config.attachStdout = c.attachStdout ?? false
        config.attachStderr = c.attachStderr ?? false
        config.stopSignal = c.stopSignal.flatMap { $0.isEmpty ? nil : $0 }
        config.stopTimeout = c.stopTimeout
        config.exposedPorts = (c.exposedPorts ?? [:]).keys.sorted()
        if let hc = c.healthcheck, let test = hc.test, !test.isEmpty {
            config.healthcheck = Healthcheck(test: test, interval: hc.interval ?? 0, timeout: hc.timeout ?? 0,
                                             retries: hc.retries ?? 0, startPeriod: hc.startPeriod ?? 0)
        }

        config.restartPolicy = try restartPolicy(h.restartPolicy)
        config.autoRemove = h.autoRemove ?? false

        // Resources.
        var r = ContainerConfiguration.Resources()
        if let memory = h.memory, memory > 0 {
            guard memory >= 6 * 1024 * 1024 else { throw .badRequest("Minimum memory limit allowed is 6MB") }
            r.memory = memory
        }
        r.memoryReservation = h.memoryReservation.flatMap { $0 > 0 ? $0 : nil }
        r.memorySwap = h.memorySwap.flatMap { $0 != 0 ? $0 : nil }
        if let swap = r.memorySwap, swap > 0, let memory = r.memory, swap < memory {
            throw .badRequest("Minimum memoryswap limit should be larger than memory limit, see usage")
        }
        if let nano = h.nanoCpus, nano != 0 {
            let cpus = Int64(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            guard nano >= 10_000_000, nano <= cpus * 1_000_000_000 else {
                throw .badRequest("Range of CPUs is from 0.01 to \(cpus).00, as there are only \(cpus) CPUs available")
            }
            if (h.cpuQuota ?? 0) > 0 || (h.cpuPeriod ?? 0) > 0 {
                throw .badRequest("Conflicting options: Nano CPUs and CPU Period cannot both be set")
            }
            r.nanoCPUs = nano
        }
        r.cpuShares = h.cpuShares.flatMap { $0 > 0 ? $0 : nil }
        r.cpuQuota = h.cpuQuota.flatMap { $0 > 0 ? $0 : nil }
        r.cpuPeriod = h.cpuPeriod.flatMap { $0 > 0 ? $0 : nil }
        r.cpusetCpus = h.cpusetCpus.flatMap { $0.isEmpty ? nil : $0 }
        r.cpusetMems = h.cpusetMems.flatMap { $0.isEmpty ? nil : $0 }
        r.pidsLimit = h.pidsLimit.flatMap { $0 > 0 ? $0 : nil }
        r.oomKillDisable = h.oomKillDisable
        r.ulimits = (h.ulimits ?? []).compactMap { u in
            u.name.map { ContainerConfiguration.Ulimit(name: $0, soft: u.soft ?? 0, hard: u.hard ?? 0) }
        }
        config.resources = r
        config.cgroupParent = h.cgroupParent.flatMap { $0.isEmpty ? nil : $0 }

        // Security.
        config.readonlyRootfs = h.readonlyRootfs ?? false
        config.capAdd = h.capAdd ?? []
        config.capDrop = h.capDrop ?? []
        config.privileged = h.privileged ?? false
        config.initProcess = h.initProcess ?? false
        for opt in h.securityOpt ?? [] {
            let (key, value) = splitOption(opt)
            switch key {
            case "seccomp":
                if value == "unconfined" {
                    config.seccomp = .unconfined
                } else if value.isEmpty || value == "builtin" {
                    config.seccomp = .builtin
                } else {
                    config.seccomp = .profile(value)
                }
            case "no-new-privileges":
                guard value.isEmpty || value == "true" || value == "false" else {
                    throw .badRequest("invalid --security-opt 2: \"\(opt)\"")
                }
                config.noNewPrivileges = value != "false"
            case "apparmor", "label", "systempaths", "mask", "unmask":
                break
            default:
                throw .badRequest("invalid --security-opt 1: \"\(opt)\"")
            }
        }

        // Logging.
        let driver = h.logConfig?.type ?? ""
        switch driver {
        case "", "json-file", "local": config.logDriver = "json-file"
        case "none": config.logDriver = "none"
        default: throw .badRequest("failed to create logger: logger: no log driver named '\(driver)' is registered")
        }
        config.logOptions = h.logConfig?.config ?? [:]
        for (key, value) in config.logOptions {
            switch key {
            case "max-size":
                guard Engine.parseSize(value) != nil else { throw .badRequest("invalid log opt max-size: \(value)") }
            case "max-file":
                guard let n = Int(value), n >= 1 else { throw .badRequest("max-file cannot be less than 1") }
            case "labels", "env", "env-regex", "tag", "compress", "mode", "max-buffer-size":
                break
            default:
                throw .badRequest("unknown log opt '\(key)' for json-file log driver")
            }
        }

        // Host, names, files.
        let mode = h.networkMode ?? "default"
        config.networkMode = mode.isEmpty ? "default" : mode
        for (name, settings) in (request.networkingConfig?.endpointsConfig ?? [:]).sorted(by: { $0.key < $1.key }) {
            var endpoint = EndpointRequest(network: name, aliases: settings.aliases ?? [])
            if let text = settings.ipamConfig?.ipv4Address, !text.isEmpty {
                guard let ip = IPv4Address(text) else { throw .badRequest("invalid IPv4 address: \(text)") }
                endpoint.address = ip
            }
            config.networks.append(endpoint)
        }
        for (port, bindings) in (h.portBindings ?? [:]).sorted(by: { $0.key < $1.key }) {
            let list = bindings ?? []
            for binding in list.isEmpty ? [PortBinding()] : list {
                config.portBindings.append(.init(port: port, hostIP: binding.hostIp ?? "", hostPort: binding.hostPort ?? ""))
            }
            if !config.exposedPorts.contains(port) { config.exposedPorts.append(port) }
        }
        config.publishAllPorts = h.publishAllPorts ?? false
        config.extraHosts = h.extraHosts ?? []
        config.dns = h.dns ?? []
        config.dnsSearch = h.dnsSearch.flatMap { $0.isEmpty ? nil : $0 }
        config.dnsOptions = h.dnsOptions.flatMap { $0.isEmpty ? nil : $0 }
        config.shmSize = h.shmSize.flatMap { $0 > 0 ? $0 : nil }
        config.sysctls = h.sysctls ?? [:]
        config.groupAdd = h.groupAdd ?? []
        config.tmpfs = h.tmpfs ?? [:]
        try MountTranslation.apply(h, volumes: c.volumes, to: &config)
        return config
    }

    /// Docker's RestartPolicy, checked as dockerd checks it.
    static func restartPolicy(_ policy: RestartPolicy?) throws(APIError) -> SkiffMonitor.RestartPolicy {
        let name = policy?.name ?? ""
        let retries = policy?.maximumRetryCount ?? 0
        if retries < 0 { throw .badRequest("invalid restart policy: maximum retry count must be a positive integer") }
        if retries > 0 && name != "on-failure" {
            throw .badRequest("invalid restart policy: maximum retry count can only be used with 'on-failure'")
        }
        switch name {
        case "", "no": return .init(name: .no)
        case "always": return .init(name: .always)
        case "unless-stopped": return .init(name: .unlessStopped)
        case "on-failure": return .init(name: .onFailure, maximumRetryCount: retries)
        default: throw .badRequest("invalid restart policy: unknown policy '\(name)'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'")
        }
    }

    /// `seccomp=x`, `seccomp:x` (the old form), `no-new-privileges`.
    static func splitOption(_ opt: String) -> (String, String) {
        if let i = opt.firstIndex(where: { $0 == "=" || $0 == ":" }) {
            return (String(opt[..<i]), String(opt[opt.index(after: i)...]))
        }
        return (opt, "")
    }

    // MARK: engine → Docker

    static func state(_ s: SkiffEngine.ContainerState) -> ContainerState {
        var state = ContainerState(status: s.status.rawValue)
        state.running = s.status == .running || s.status == .paused || s.status == .restarting
        state.paused = s.status == .paused
        state.restarting = s.status == .restarting
        state.oomKilled = s.oomKilled
        state.dead = s.status == .dead
        state.pid = Int(s.pid)
        state.exitCode = Int(s.exitCode)
        state.error = s.error
        state.startedAt = s.startedAt
        state.finishedAt = s.finishedAt
        state.health = s.health.map { h in
            Health(status: h.status, failingStreak: h.failingStreak,
                   log: h.log.map { HealthcheckResult(start: $0.start, end: $0.end, exitCode: Int($0.exitCode), output: $0.output) })
        }
        return state
    }

    static func config(_ c: Container) -> ContainerConfig {
        var config = ContainerConfig()
        config.hostname = c.hostname
        config.domainname = c.config.domainname ?? ""
        config.user = c.user
        config.attachStdin = c.config.attachStdin
        config.attachStdout = c.config.attachStdout
        config.attachStderr = c.config.attachStderr
        config.tty = c.config.tty
        config.openStdin = c.config.openStdin
        config.stdinOnce = c.config.stdinOnce
        config.env = c.env
        config.cmd = c.cmd
        config.entrypoint = c.entrypoint.isEmpty ? nil : c.entrypoint
        config.image = c.config.image
        config.workingDir = c.workingDir == "/" && c.config.workingDir == nil ? "" : c.workingDir
        config.labels = c.config.labels
        config.stopSignal = c.config.stopSignal
        config.stopTimeout = c.config.stopTimeout
        if !c.config.exposedPorts.isEmpty {
            config.exposedPorts = Dictionary(uniqueKeysWithValues: c.config.exposedPorts.map { ($0, EmptyObject()) })
        }
        if !c.config.volumes.isEmpty {
            config.volumes = Dictionary(uniqueKeysWithValues: c.config.volumes.map { ($0, EmptyObject()) })
        }
        if let h = c.healthcheck {
            config.healthcheck = HealthConfig(test: h.test, interval: h.interval, timeout: h.timeout, retries: h.retries, startPeriod: h.startPeriod)
        }
        return config
    }

    static func hostConfig(_ c: Container) -> HostConfig {
        let cfg = c.config
        var h = HostConfig()
        h.networkMode = cfg.networkMode
        if !cfg.portBindings.isEmpty {
            var bindings: [String: [PortBinding]?] = [:]
            for b in cfg.portBindings {
                var list = bindings[b.port] ?? []
                list?.append(PortBinding(hostIp: b.hostIP, hostPort: b.hostPort))
                bindings[b.port] = list
            }
            h.portBindings = bindings
        }
        h.publishAllPorts = cfg.publishAllPorts
        h.restartPolicy = RestartPolicy(name: cfg.restartPolicy.name == .no ? "no" : cfg.restartPolicy.name.rawValue,
                                        maximumRetryCount: cfg.restartPolicy.maximumRetryCount)
        h.autoRemove = cfg.autoRemove
        h.logConfig = LogConfig(type: cfg.logDriver, config: cfg.logOptions)
        h.capAdd = cfg.capAdd.isEmpty ? nil : cfg.capAdd
        h.capDrop = cfg.capDrop.isEmpty ? nil : cfg.capDrop
        h.privileged = cfg.privileged
        h.readonlyRootfs = cfg.readonlyRootfs
        h.initProcess = cfg.initProcess ? true : nil
        var opts: [String] = []
        switch cfg.seccomp {
        case .builtin: break
        case .unconfined: opts.append("seccomp=unconfined")
        case .profile: opts.append("seccomp=<profile>")
        }
        if cfg.noNewPrivileges { opts.append("no-new-privileges") }
        h.securityOpt = opts.isEmpty ? nil : opts
        h.extraHosts = cfg.extraHosts.isEmpty ? nil : cfg.extraHosts
        h.dns = cfg.dns
        h.dnsSearch = cfg.dnsSearch ?? []
        h.dnsOptions = cfg.dnsOptions ?? []
        h.shmSize = cfg.shmSize ?? 64 << 20
        h.sysctls = cfg.sysctls.isEmpty ? nil : cfg.sysctls
        h.groupAdd = cfg.groupAdd.isEmpty ? nil : cfg.groupAdd
        h.tmpfs = cfg.tmpfs.isEmpty ? nil : cfg.tmpfs
        h.binds = MountTranslation.binds(cfg)
        h.mounts = MountTranslation.mounts(cfg)
        h.volumesFrom = cfg.volumesFrom.isEmpty ? nil : cfg.volumesFrom.map(\.text)
        h.volumeDriver = cfg.volumeDriver ?? ""
        let r = cfg.resources
        h.memory = r.memory ?? 0
        h.memoryReservation = r.memoryReservation ?? 0
        h.memorySwap = r.memorySwap ?? 0
        h.nanoCpus = r.nanoCPUs ?? 0
        h.cpuShares = r.cpuShares ?? 0
        h.cpuQuota = r.cpuQuota ?? 0
        h.cpuPeriod = r.cpuPeriod ?? 0
        h.cpusetCpus = r.cpusetCpus ?? ""
        h.cpusetMems = r.cpusetMems ?? ""
        h.pidsLimit = r.pidsLimit
        h.oomKillDisable = r.oomKillDisable
        h.cgroupParent = cfg.cgroupParent ?? ""
        h.ulimits = r.ulimits.isEmpty ? nil : r.ulimits.map { Ulimit(name: $0.name, soft: $0.soft, hard: $0.hard) }
        h.maskedPaths = cfg.privileged ? nil : SpecDefaults.maskedPaths
        h.readonlyPaths = cfg.privileged ? nil : SpecDefaults.readonlyPaths
        return h
    }

    /// NetworkSettings as dockerd shows them: every network the container is
    /// configured for, with addresses while it runs; the default bridge's also at the top level.
    static func networkSettings(_ c: Container, networks: [Network]) -> NetworkSettings {
        var settings = NetworkSettings()
        let byID = Dictionary(networks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let running = c.state.isRunning
        if let sandbox = c.sandbox, running {
            settings.sandboxKey = sandbox.path
            settings.sandboxID = String(c.id.reversed())
            for port in c.config.exposedPorts {
                let mappings = sandbox.ports.filter { "\($0.containerPort)/\($0.proto)" == port }
                settings.ports[port] = mappings.isEmpty ? .some(nil) : mappings.map { PortBinding(hostIp: $0.hostIP.description, hostPort: String($0.hostPort)) }
            }
        }
        let mode = c.config.networkMode
        if mode == "host" || mode == "none" {
            var endpoint = EndpointSettings()
            endpoint.networkID = networks.first { $0.name == mode }?.id ?? ""
            endpoint.endpointID = ""
            endpoint.gateway = ""; endpoint.ipAddress = ""; endpoint.ipPrefixLen = 0; endpoint.macAddress = ""
            endpoint.ipv6Gateway = ""; endpoint.globalIPv6Address = ""; endpoint.globalIPv6PrefixLen = 0
            settings.networks[mode] = endpoint
        }
        for request in c.config.networks {
            guard let network = byID[request.network] else { continue }
            var endpoint = EndpointSettings()
            endpoint.networkID = network.id
            endpoint.aliases = request.aliases.isEmpty ? nil : request.aliases
            if let address = request.address {
                endpoint.ipamConfig = .init(ipv4Address: address.description)
            }
            endpoint.endpointID = ""; endpoint.gateway = ""; endpoint.ipAddress = ""; endpoint.ipPrefixLen = 0
            endpoint.macAddress = ""; endpoint.ipv6Gateway = ""; endpoint.globalIPv6Address = ""; endpoint.globalIPv6PrefixLen = 0
            if running, let e = c.sandbox?.endpoints.first(where: { $0.networkID == network.id }) {
                endpoint.endpointID = e.id
                endpoint.gateway = e.gateway?.description ?? ""
                endpoint.ipAddress = e.address.description
                endpoint.ipPrefixLen = e.prefix
                endpoint.macAddress = e.mac
                endpoint.dnsNames = network.hasDNS ? e.dnsNames : nil
                if network.name == "bridge" {
                    settings.endpointID = e.id
                    settings.gateway = endpoint.gateway ?? ""
                    settings.ipAddress = e.address.description
                    settings.ipPrefixLen = e.prefix
                    settings.macAddress = e.mac
                }
            }
            settings.networks[network.name] = endpoint
        }
        return settings
    }

    static func inspect(_ c: Container, engine: Engine, networks: [Network] = []) -> ContainerInspectResponse {
        let dir = "\(engine.dataRoot)/containers/\(c.id)"
        var response = ContainerInspectResponse(
            id: c.id, created: c.created, path: c.path, args: c.args, state: state(c.state), image: c.imageID,
            name: "/" + c.name, hostConfig: hostConfig(c),
            graphDriver: DriverData(name: "overlay2", data: [
                "UpperDir": "\(engine.dataRoot)/snapshots/active/\(c.id)/upper",
                "WorkDir": "\(engine.dataRoot)/snapshots/active/\(c.id)/work",
                "MergedDir": dir + "/rootfs",
            ]),
            config: config(c))
        response.resolvConfPath = dir + "/resolv.conf"
        response.hostnamePath = dir + "/hostname"
        response.hostsPath = dir + "/hosts"
        response.logPath = c.config.logDriver == "none" ? "" : dir + "/\(c.id)-json.log"
        response.restartCount = c.state.restartCount
        response.execIDs = c.execIDs.isEmpty ? nil : c.execIDs
        response.networkSettings = networkSettings(c, networks: networks)
        response.mounts = MountTranslation.mountPoints(c)
        return response
    }

    static func summary(_ c: Container, now: Int64 = Int64(time(nil)), networks: [Network] = []) -> ContainerSummary {
        let command = ([c.path] + c.args.map { $0.contains(" ") ? "'\($0)'" : $0 }).joined(separator: " ")
        var summary = ContainerSummary(
            id: c.id, names: ["/" + c.name], image: c.config.image, imageID: c.imageID, command: command,
            created: RFC3339.parse(c.created) ?? 0, labels: c.config.labels, state: c.state.status.rawValue,
            status: statusText(c.state, now: now))
        summary.hostConfig.networkMode = c.config.networkMode
        summary.mounts = MountTranslation.mountPoints(c)
        let published = c.state.isRunning ? c.sandbox?.ports ?? [] : []
        summary.ports = c.config.exposedPorts.flatMap { port -> [Port] in
            let parts = port.split(separator: "/")
            guard let number = parts.first.flatMap({ Int($0) }) else { return [] }
            let proto = parts.count > 1 ? String(parts[1]) : "tcp"
            let mappings = published.filter { Int($0.containerPort) == number && $0.proto == proto }
            if mappings.isEmpty { return [Port(privatePort: number, type: proto)] }
            return mappings.map { Port(ip: $0.hostIP.description, privatePort: number, publicPort: Int($0.hostPort), type: proto) }
        }
        summary.networkSettings.networks = networkSettings(c, networks: networks).networks
        return summary
    }

    /// Docker's Status column: "Up 5 seconds (healthy)", "Exited (0) 2 minutes ago", "Created".
    static func statusText(_ s: SkiffEngine.ContainerState, now: Int64) -> String {
        func since(_ time: String) -> String {
            humanDuration(max(0, now - (RFC3339.parse(time) ?? now)))
        }
        switch s.status {
        case .created: return "Created"
        case .running, .paused:
            var text = "Up " + since(s.startedAt)
            if s.status == .paused { text += " (Paused)" }
            if let health = s.health {
                text += health.status == "starting" ? " (health: starting)" : " (\(health.status))"
            }
            return text
        case .restarting: return "Restarting (\(s.exitCode)) \(since(s.finishedAt)) ago"
        case .removing: return "Removal In Progress"
        case .dead: return "Dead"
        case .exited:
            if s.finishedAt == SkiffEngine.ContainerState.zeroTime { return "Created" }
            return "Exited (\(s.exitCode)) \(since(s.finishedAt)) ago"
        }
    }

    /// Go's units.HumanDuration.
    static func humanDuration(_ seconds: Int64) -> String {
        if seconds < 1 { return "Less than a second" }
        if seconds == 1 { return "1 second" }
        if seconds < 60 { return "\(seconds) seconds" }
        let minutes = seconds / 60
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = minutes / 60
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(hours / 24 / 365) years"
    }
}

/// The runtime defaults shown in HostConfig (Docker lists them there).
enum SpecDefaults {
    static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]
    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
}
