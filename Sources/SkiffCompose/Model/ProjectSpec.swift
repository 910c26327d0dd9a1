/// A loaded project, typed: its services and the networks, volumes, secrets and configs they use.
public struct ProjectSpec: Sendable {
    public var name: String
    public var workingDirectory: String
    public var files: [String]
    /// Services by name, in the model's order.
    public var services: [ServiceSpec]
    public var networks: [String: NetworkSpec]
    public var volumes: [String: VolumeSpec]
    public var secrets: [String: FileSource]
    public var configs: [String: FileSource]
    public var model: ComposeValue
    /// The environment interpolation used (secrets from `environment:` read it).
    public var environment: [String: String]

    public func service(_ name: String) -> ServiceSpec? { services.first { $0.name == name } }

    /// Decodes a loaded project; `warn` gets what is accepted but ignored.
    public init(_ project: ComposeProject, warn: (String) -> Void = { _ in }) throws {
        name = project.name
        workingDirectory = project.workingDirectory
        files = project.files
        model = project.model
        environment = project.environment
        services = try (project.model["services"]?.mapping?.entries ?? []).map { try ServiceSpec(name: $0.key, $0.value, warn: warn) }
        networks = [:]
        for e in project.model["networks"]?.mapping?.entries ?? [] {
            networks[e.key] = try NetworkSpec(key: e.key, e.value, project: project.name)
        }
        volumes = [:]
        for e in project.model["volumes"]?.mapping?.entries ?? [] {
            volumes[e.key] = try VolumeSpec(key: e.key, e.value, project: project.name)
        }
        secrets = [:]
        for e in project.model["secrets"]?.mapping?.entries ?? [] {
            secrets[e.key] = try FileSource(e.value, path: "secrets.\(e.key)")
        }
        configs = [:]
        for e in project.model["configs"]?.mapping?.entries ?? [] {
            configs[e.key] = try FileSource(e.value, path: "configs.\(e.key)")
        }
    }

    /// Services in an order where each comes after what it depends on; a cycle is an error.
    public func startOrder(_ names: [String]? = nil) throws -> [ServiceSpec] {
        var order: [ServiceSpec] = []
        var state: [String: Bool] = [:]  // false: visiting, true: done
        func visit(_ s: ServiceSpec, _ chain: [String]) throws {
            if state[s.name] == true { return }
            if state[s.name] == false {
                throw ModelError("dependency cycle detected: \((chain + [s.name]).joined(separator: " -> "))")
            }
            state[s.name] = false
            for dep in s.dependsOn {
                guard let d = service(dep.service) else {
                    if dep.required { throw ModelError("service \"\(s.name)\" depends on undefined service \"\(dep.service)\": invalid compose project") }
                    continue
                }
                try visit(d, chain + [s.name])
            }
            state[s.name] = true
            order.append(s)
        }
        let roots = try names.map { try $0.map { n in
            guard let s = service(n) else { throw ModelError("no such service: \(n)") }
            return s
        } } ?? services
        for s in roots { try visit(s, []) }
        return order
    }
}

public struct NetworkSpec: Sendable {
    public var name: String
    public var external = false
    public var driver: String?
    public var driverOpts: [(key: String, value: String)] = []
    public var isInternal = false
    public var attachable = false
    public var enableIPv6 = false
    public var labels: [(key: String, value: String)] = []
    /// IPAM config entries: subnet, ip_range, gateway.
    public var ipam: [(subnet: String?, ipRange: String?, gateway: String?)] = []
    public var ipamDriver: String?

    init(key: String, _ value: ComposeValue, project: String) throws {
        let path = "networks.\(key)"
        let m = value.mapping ?? ComposeMapping()
        let d = Decoder(path: path, m)
        external = try d.bool("external") ?? false
        name = try d.string("name") ?? (external ? key : "\(project)_\(key)")
        driver = try d.string("driver")
        driverOpts = try d.stringPairs("driver_opts")
        isInternal = try d.bool("internal") ?? false
        attachable = try d.bool("attachable") ?? false
        enableIPv6 = try d.bool("enable_ipv6") ?? false
        labels = try d.stringPairs("labels")
        if let ipamValue = m["ipam"]?.mapping {
            ipamDriver = ipamValue["driver"]?.string
            ipam = (ipamValue["config"]?.array ?? []).map {
                ($0["subnet"]?.string, $0["ip_range"]?.string, $0["gateway"]?.string)
            }
        }
    }
}

public struct VolumeSpec: Sendable {
    public var name: String
    public var external = false
    public var driver: String?
    public var driverOpts: [(key: String, value: String)] = []
    public var labels: [(key: String, value: String)] = []

    init(key: String, _ value: ComposeValue, project: String) throws {
        let path = "volumes.\(key)"
        let d = Decoder(path: path, value.mapping ?? ComposeMapping())
        external = try d.bool("external") ?? false
        name = try d.string("name") ?? (external ? key : "\(project)_\(key)")
        driver = try d.string("driver")
        driverOpts = try d.stringPairs("driver_opts")
        labels = try d.stringPairs("labels")
    }
}

/// Where a secret's or config's content comes from.
public enum FileSource: Sendable, Equatable {
    case file(String)
    case environment(String)
    case content(String)

    init(_ value: ComposeValue, path: String) throws {
        let d = Decoder(path: path, value.mapping ?? ComposeMapping())
        if let f = try d.string("file") { self = .file(f); return }
        if let e = try d.string("environment") { self = .environment(e); return }
        if let c = try d.string("content") { self = .content(c); return }
        if try d.bool("external") == true { throw ModelError("\(path): external secrets and configs are swarm's; skiff compose reads them from file, environment or content") }
        throw ModelError("\(path) needs file, environment or content")
    }
}
