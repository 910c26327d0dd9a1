/// An error in a project's content that the schema lets through, or a field skiff compose
/// does not support yet; the message names the field's path (`services.web.ports[0]`).
public struct ModelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension ServiceSpec {
    /// The service keys skiff compose acts on; any other key is refused by name.
    static let supportedKeys: Set<String> = [
        "build", "cap_add", "cap_drop", "command", "configs", "container_name", "cpu_shares", "cpus", "depends_on",
        "deploy", "devices", "dns", "dns_opt", "dns_search", "domainname", "entrypoint", "environment", "expose",
        "extra_hosts", "group_add", "healthcheck", "hostname", "image", "init", "ipc", "labels", "logging",
        "mem_limit", "mem_reservation", "network_mode", "networks", "pid", "pids_limit", "platform", "ports",
        "privileged", "profiles", "pull_policy", "read_only", "restart", "scale", "secrets", "security_opt",
        "shm_size", "stdin_open", "stop_grace_period", "stop_signal", "sysctls", "tmpfs", "tty", "ulimits", "user",
        "volumes", "working_dir",
    ]

    /// The `deploy` keys that mean something on a single engine; the others are swarm's.
    static let supportedDeployKeys: Set<String> = ["replicas", "resources", "restart_policy", "labels", "mode"]

    /// Decodes a canonical service; `warn` gets what is accepted but ignored (swarm-only
    /// deploy settings).
    public init(name: String, _ value: ComposeValue, warn: (String) -> Void = { _ in }) throws {
        let path = "services.\(name)"
        guard let m = value.mapping else { throw ModelError("\(path) must be a mapping") }
        for key in m.keys where !ServiceSpec.supportedKeys.contains(key) && !key.hasPrefix("x-") {
            throw ModelError("\(path).\(key) is not supported by skiff compose yet")
        }
        self.init(name: name, definition: value)
        let d = Decoder(path: path, m)
        image = try d.string("image")
        if let b = m["build"] { build = try BuildSpec(b, path: path + ".build") }
        command = try d.words("command")
        entrypoint = try d.words("entrypoint")
        environment = try d.optionalStrings("environment")
        ports = try (m["ports"]?.array ?? []).enumerated().map { try PortSpec($1, path: "\(path).ports[\($0)]") }
        expose = try d.strings("expose")
        volumes = try (m["volumes"]?.array ?? []).enumerated().map { try MountSpec($1, path: "\(path).volumes[\($0)]") }
        if let nets = m["networks"]?.mapping {
            networks = try nets.entries.map { try NetworkAttachment(key: $0.key, $0.value, path: "\(path).networks.\($0.key)") }
            networks.sort { $0.priority > $1.priority }
        }
        networkMode = try d.string("network_mode")
        if let deps = m["depends_on"]?.mapping {
            dependsOn = try deps.entries.map { try Dependency(service: $0.key, $0.value, path: "\(path).depends_on.\($0.key)") }
        }
        if let h = m["healthcheck"] { healthcheck = try HealthcheckSpec(h, path: path + ".healthcheck") }
        restart = try d.string("restart")
        user = try d.string("user")
        workingDir = try d.string("working_dir")
        hostname = try d.string("hostname")
        domainname = try d.string("domainname")
        labels = try d.stringPairs("labels")
        initProcess = try d.bool("init")
        tty = try d.bool("tty") ?? false
        stdinOpen = try d.bool("stdin_open") ?? false
        stopSignal = try d.string("stop_signal")
        stopGracePeriod = try d.string("stop_grace_period")
        capAdd = try d.strings("cap_add")
        capDrop = try d.strings("cap_drop")
        privileged = try d.bool("privileged") ?? false
        readOnly = try d.bool("read_only") ?? false
        if let u = m["ulimits"]?.mapping {
            ulimits = try u.entries.map { entry in
                let p = "\(path).ulimits.\(entry.key)"
                if let n = entry.value.int { return (entry.key, n, n) }
                guard let soft = entry.value["soft"]?.int, let hard = entry.value["hard"]?.int else {
                    throw ModelError("\(p) must be a number or have soft and hard")
                }
                return (entry.key, soft, hard)
            }
        }
        memLimit = try d.string("mem_limit")
        memReservation = try d.string("mem_reservation")
        cpus = try d.string("cpus")
        cpuShares = try d.int("cpu_shares")
        pidsLimit = try d.int("pids_limit")
        shmSize = try d.string("shm_size")
        if let l = m["logging"]?.mapping {
            let ld = Decoder(path: path + ".logging", l)
            logging = (try ld.string("driver"), try ld.stringPairs("options"))
        }
        extraHosts = try d.stringPairs("extra_hosts").map { ($0.key, $0.value) }
        dns = try d.strings("dns")
        dnsSearch = try d.strings("dns_search")
        dnsOptions = try d.strings("dns_opt")
        tmpfs = try d.strings("tmpfs")
        sysctls = try d.stringPairs("sysctls")
        securityOpt = try d.strings("security_opt")
        devices = try (m["devices"]?.array ?? []).enumerated().map { i, v in
            if let s = v.scalarText { return s }
            guard let source = v["source"]?.string else { throw ModelError("\(path).devices[\(i)] needs a source") }
            let target = v["target"]?.string ?? source
            return [source, target, v["permissions"]?.string].compactMap { $0 }.joined(separator: ":")
        }
        groupAdd = try d.strings("group_add")
        secrets = try FileReference.list(m["secrets"], path: path + ".secrets", defaultDirectory: "/run/secrets/")
        configs = try FileReference.list(m["configs"], path: path + ".configs", defaultDirectory: "/")
        containerName = try d.string("container_name")
        pullPolicy = try d.string("pull_policy")
        platform = try d.string("platform")
        ipc = try d.string("ipc")
        pid = try d.string("pid")
        profiles = try d.strings("profiles")
        replicas = try d.int("scale") ?? 1
        if let deploy = m["deploy"]?.mapping {
            let dp = path + ".deploy"
            for key in deploy.keys where !ServiceSpec.supportedDeployKeys.contains(key) {
                warn("\(dp).\(key) is ignored: it applies to swarm services only")
            }
            if let r = deploy["replicas"] {
                guard let n = r.int else { throw ModelError("\(dp).replicas must be a number") }
                replicas = n
            }
            if let limits = deploy["resources"]?["limits"]?.mapping {
                let ld = Decoder(path: dp + ".resources.limits", limits)
                cpus = try ld.string("cpus") ?? cpus
                memLimit = try ld.string("memory") ?? memLimit
                pidsLimit = try ld.int("pids") ?? pidsLimit
            }
            if let reservations = deploy["resources"]?["reservations"]?.mapping {
                memReservation = try Decoder(path: dp + ".resources.reservations", reservations).string("memory") ?? memReservation
            }
            if let policy = deploy["restart_policy"]?.mapping, restart == nil {
                let condition = policy["condition"]?.string ?? "any"
                switch condition {
                case "none": restart = "no"
                case "on-failure":
                    restart = policy["max_attempts"]?.int.map { "on-failure:\($0)" } ?? "on-failure"
                default: restart = "always"
                }
            }
        }
        if replicas < 0 { throw ModelError("\(path).scale must not be negative") }
        if let r = restart {
            let parts = r.split(separator: ":", maxSplits: 1).map(String.init)
            let valid = ["no", "always", "unless-stopped"].contains(r)
                || (parts[0] == "on-failure" && (parts.count == 1 || Int(parts[1]).map { $0 >= 0 } == true))
            if !valid {
                throw ModelError("\(path).restart: invalid restart policy \"\(r)\": use no, always, on-failure[:max-retries] or unless-stopped")
            }
        }
        if containerName != nil && replicas > 1 {
            throw ModelError("services.\(name): container_name \"\(containerName!)\" is set, so the service cannot be scaled to \(replicas)")
        }
        if image == nil && build == nil {
            throw ModelError("service \"\(name)\" has neither an image nor a build context specified: invalid compose project")
        }
    }
}

/// Reads typed fields of one mapping, naming them by path when they have the wrong shape.
struct Decoder {
    let path: String
    let m: ComposeMapping

    init(path: String, _ m: ComposeMapping) {
        self.path = path
        self.m = m
    }

    func string(_ key: String) throws -> String? {
        guard let v = m[key], v != .null else { return nil }
        guard let s = v.scalarText else { throw ModelError("\(path).\(key) must be a string") }
        return s
    }

    func int(_ key: String) throws -> Int? {
        guard let v = m[key], v != .null else { return nil }
        guard let i = v.int else { throw ModelError("\(path).\(key) must be a number") }
        return i
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = m[key], v != .null else { return nil }
        if let b = v.bool { return b }
        if let s = v.string, let b = ["true": true, "false": false][s.lowercased()] { return b }
        throw ModelError("\(path).\(key) must be a boolean")
    }

    func strings(_ key: String) throws -> [String] {
        guard let v = m[key], v != .null else { return [] }
        if let s = v.scalarText { return [s] }
        guard let a = v.array else { throw ModelError("\(path).\(key) must be a list of strings") }
        return try a.enumerated().map { i, e in
            guard let s = e.scalarText else { throw ModelError("\(path).\(key)[\(i)] must be a string") }
            return s
        }
    }

    /// A command or entrypoint: a list of words (the loader splits the string form).
    func words(_ key: String) throws -> [String]? {
        guard let v = m[key], v != .null else { return nil }
        return try strings(key)
    }

    func stringPairs(_ key: String) throws -> [(key: String, value: String)] {
        try optionalStrings(key).map { ($0.key, $0.value ?? "") }
    }

    func optionalStrings(_ key: String) throws -> [(key: String, value: String?)] {
        guard let v = m[key], v != .null else { return [] }
        if let map = v.mapping {
            return try map.entries.map { e in
                if e.value == .null { return (e.key, nil) }
                guard let s = e.value.scalarText else { throw ModelError("\(path).\(key).\(e.key) must be a string") }
                return (e.key, s)
            }
        }
        guard let list = v.array else { throw ModelError("\(path).\(key) must be a mapping or a list") }
        return try list.enumerated().map { i, e in
            guard let s = e.scalarText else { throw ModelError("\(path).\(key)[\(i)] must be a string") }
            if let eq = s.firstIndex(of: "=") { return (String(s[..<eq]), String(s[s.index(after: eq)...])) }
            return (s, nil)
        }
    }
}

extension BuildSpec {
    init(_ value: ComposeValue, path: String) throws {
        if let s = value.string {
            self.init(context: s, dockerfile: "Dockerfile")
            return
        }
        guard let m = value.mapping else { throw ModelError("\(path) must be a string or a mapping") }
        let d = Decoder(path: path, m)
        self.init(context: try d.string("context") ?? ".", dockerfile: try d.string("dockerfile") ?? "Dockerfile")
        args = try d.optionalStrings("args")
        target = try d.string("target")
        labels = try d.stringPairs("labels")
        network = try d.string("network")
        noCache = try d.bool("no_cache") ?? false
        pull = try d.bool("pull") ?? false
        extraHosts = try d.stringPairs("extra_hosts").map { "\($0.key):\($0.value)" }
        shmSize = try d.string("shm_size")
        let known: Set = ["context", "dockerfile", "args", "target", "labels", "network", "no_cache", "pull", "extra_hosts", "shm_size", "cache_from"]
        for key in m.keys where !known.contains(key) && !key.hasPrefix("x-") {
            throw ModelError("\(path).\(key) is not supported by skiff compose yet")
        }
    }
}

extension PortSpec {
    init(_ value: ComposeValue, path: String) throws {
        guard let m = value.mapping else { throw ModelError("\(path) must be a port mapping") }
        guard let target = m["target"]?.int, (1...65535).contains(target) else {
            throw ModelError("\(path).target must be a port number")
        }
        self.init(target: target)
        published = m["published"]?.scalarText.flatMap { $0.isEmpty ? nil : $0 }
        hostIP = m["host_ip"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        proto = m["protocol"]?.string ?? "tcp"
        guard proto == "tcp" || proto == "udp" || proto == "sctp" else {
            throw ModelError("\(path).protocol must be tcp, udp or sctp")
        }
    }
}

extension MountSpec {
    init(_ value: ComposeValue, path: String) throws {
        guard let m = value.mapping else { throw ModelError("\(path) must be a mount") }
        guard let type = m["type"]?.string else { throw ModelError("\(path).type is missing") }
        guard let kind = Kind(rawValue: type) else { throw ModelError("\(path).type \(type) is not supported by skiff compose yet") }
        guard let target = m["target"]?.string, !target.isEmpty else { throw ModelError("\(path).target is missing") }
        self.init(kind: kind, target: target)
        source = m["source"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        readOnly = m["read_only"]?.bool ?? false
        if kind == .bind && source == nil { throw ModelError("\(path).source is missing") }
        if let b = m["bind"]?.mapping {
            createHostPath = b["create_host_path"]?.bool ?? true
            propagation = b["propagation"]?.string
        }
        if let v = m["volume"]?.mapping {
            noCopy = v["nocopy"]?.bool ?? false
            subpath = v["subpath"]?.string
        }
        if let t = m["tmpfs"]?.mapping {
            if let size = t["size"] {
                if let n = size.int { tmpfsSize = Int64(n) } else { tmpfsSize = try Int64(ComposeBytes.parse(size.scalarText ?? "", path: path + ".tmpfs.size")) }
            }
            tmpfsMode = t["mode"]?.int
        }
    }
}

extension NetworkAttachment {
    init(key: String, _ value: ComposeValue, path: String) throws {
        self.init(key: key)
        guard value != .null else { return }
        guard let m = value.mapping else { throw ModelError("\(path) must be a mapping") }
        let d = Decoder(path: path, m)
        aliases = try d.strings("aliases")
        ipv4Address = try d.string("ipv4_address")
        ipv6Address = try d.string("ipv6_address")
        priority = try d.int("priority") ?? 0
    }
}

extension Dependency {
    init(service: String, _ value: ComposeValue, path: String) throws {
        let m = value.mapping ?? ComposeMapping()
        let text = m["condition"]?.string ?? "service_started"
        guard let condition = Condition(rawValue: text) else {
            throw ModelError("\(path).condition must be service_started, service_healthy or service_completed_successfully")
        }
        self.init(service: service, condition: condition)
        required = m["required"]?.bool ?? true
        restart = m["restart"]?.bool ?? false
    }
}

extension HealthcheckSpec {
    init(_ value: ComposeValue, path: String) throws {
        guard let m = value.mapping else { throw ModelError("\(path) must be a mapping") }
        let d = Decoder(path: path, m)
        self.init()
        if let t = m["test"] {
            if let s = t.string { test = ["CMD-SHELL", s] } else { test = try d.strings("test") }
        }
        interval = try d.string("interval")
        timeout = try d.string("timeout")
        startPeriod = try d.string("start_period")
        startInterval = try d.string("start_interval")
        retries = try d.int("retries")
        disable = try d.bool("disable") ?? false
    }
}

extension FileReference {
    static func list(_ value: ComposeValue?, path: String, defaultDirectory: String) throws -> [FileReference] {
        guard let value, value != .null else { return [] }
        guard let a = value.array else { throw ModelError("\(path) must be a list") }
        return try a.enumerated().map { i, e in
            if let s = e.string { return FileReference(source: s, target: defaultDirectory + s) }
            guard let m = e.mapping, let source = m["source"]?.string else { throw ModelError("\(path)[\(i)].source is missing") }
            var target = m["target"]?.string ?? source
            if !target.hasPrefix("/") { target = defaultDirectory + target }
            return FileReference(source: source, target: target, uid: m["uid"]?.scalarText, gid: m["gid"]?.scalarText, mode: m["mode"]?.int)
        }
    }
}

/// Sizes in compose files: a number of bytes, or "64m", "1g" (binary multiples).
enum ComposeBytes {
    static func parse(_ text: String, path: String) throws -> Int {
        let lower = text.lowercased().trimmed(" ")
        let units: [(String, Int)] = [("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30), ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        for (suffix, mul) in units where lower.hasSuffix(suffix) {
            if let n = Double(lower.dropLast(suffix.count)) { return Int(n * Double(mul)) }
        }
        if let n = Int(lower) { return n }
        throw ModelError("\(path): invalid size \(text)")
    }
}

extension String {
    func trimmed(_ set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
