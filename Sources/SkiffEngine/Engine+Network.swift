import SkiffDNS
import Glibc
import SkiffNetwork
import SkiffRuntime
import SkiffSystem

extension Engine {
    // MARK: Create

    /// Checks a container's network choices at create and resolves them:
    /// the default bridge for "default"/"bridge", the named network, or the
    /// container whose namespace it shares.
    func resolveNetworking(_ config: inout ContainerConfiguration) async throws(EngineError) {
        let mode = config.networkMode
        switch mode {
        case "host", "none":
            // Docker ignores published ports here (there is nothing to publish from).
            config.networks = []
            config.portBindings = []
            config.publishAllPorts = false
            return
        case _ where mode.hasPrefix("container:"):
            let other = try container(String(mode.dropFirst("container:".count)))
            if !config.portBindings.isEmpty || config.publishAllPorts {
                throw EngineError(.invalid, "conflicting options: port publishing and the container type network mode")
            }
            if config.hostname != nil && config.hostname != "" {
                throw EngineError(.invalid, "conflicting options: hostname and the network mode")
            }
            config.networkMode = "container:" + other.id
            config.networks = []
            return
        default:
            break
        }
        let primary = mode == "default" ? "bridge" : mode
        // The docker CLI names the default network "default" in EndpointsConfig too.
        var requests = config.networks.map { r in
            var request = r
            if request.network == "default" { request.network = primary }
            return request
        }
        if let i = requests.firstIndex(where: { $0.network == primary }) {
            requests.insert(requests.remove(at: i), at: 0)
        } else {
            requests.insert(EndpointRequest(network: primary), at: 0)
        }
        do throws(NetworkError) {
            var resolved: [EndpointRequest] = []
            for var request in requests {
                // As dockerd: a network that does not exist fails the start, not the create.
                guard let network = try? await networks.network(request.network) else {
                    resolved.append(request)
                    continue
                }
                try await networks.validate([request])
                guard network.driver == .bridge else {
                    throw NetworkError(.invalid, "container cannot be connected to multiple networks with one of the networks in private (none) mode")
                }
                if network.name == "bridge" && !request.aliases.isEmpty {
                    throw NetworkError(.invalid, "network-scoped alias is supported only for containers in user defined networks")
                }
                request.network = network.id
                resolved.append(request)
            }
            config.networks = resolved
        } catch {
            throw EngineError(error)
        }
        for binding in config.portBindings { _ = try Self.portRequest(binding) }
    }

    // MARK: Start and stop

    /// The container's network namespace, ready before its process exists:
    /// a bind-mounted namespace and its endpoints, or nil (host mode, or the
    /// runtime's own empty namespace for `none`).
    func attachNetwork(_ container: inout Container, image exposed: [String]) async throws(EngineError) {
        guard !container.config.networks.isEmpty else { return }
        var ports = try container.config.portBindings.map(Self.portRequest)
        if container.config.publishAllPorts {
            let bound = Set(ports.map { "\($0.containerPort)/\($0.proto)" })
            for port in container.config.exposedPorts where !bound.contains(Self.normalizedPort(port)) {
                ports.append(try Self.portRequest(.init(port: port)))
            }
        }
        do {
            container.sandbox = try await networks.attach(
                containerID: container.id, name: container.name, requests: container.config.networks, ports: ports)
        } catch {
            throw EngineError(error.kind == .notFound ? NetworkError(.notFound, "failed to set up container networking: \(error.message)") : error)
        }
    }

    /// Undoes a container's network (on exit, failed start, removal).
    func detachNetwork(_ id: String) async {
        await networks.detach(containerID: id)
        if var container = containers[id], container.sandbox != nil {
            container.sandbox = nil
            save(container)
        }
    }

    /// The namespace a container's spec joins: its sandbox, or the one of the
    /// container it shares (`container:ID`).
    func networkNamespacePath(_ container: Container) throws(EngineError) -> String? {
        if let sandbox = container.sandbox { return sandbox.path }
        let mode = container.config.networkMode
        guard mode.hasPrefix("container:") else { return nil }
        let otherID = String(mode.dropFirst("container:".count))
        guard let other = containers[otherID] else {
            throw EngineError(.notFound, "No such container: \(otherID)")
        }
        guard other.state.status == .running, other.state.pid > 0 else {
            throw EngineError(.conflict, "cannot join network namespace of a non running container: container \(other.id) is \(other.state.status.rawValue)")
        }
        return other.sandbox?.path ?? "/proc/\(other.state.pid)/ns/net"
    }

    // MARK: Connect and disconnect

    /// `docker network connect`: joins now if running, else at next start.
    public func connect(_ ref: String, network: String, aliases: [String], address: String?) async throws(EngineError) {
        let id = try resolveID(ref)
        var container = containers[id]!
        let mode = container.config.networkMode
        if mode == "host" || mode == "none" || mode.hasPrefix("container:") {
            throw EngineError(.forbidden, "container cannot be disconnected from host network or connected to host network")
        }
        var request = EndpointRequest(network: network, aliases: aliases)
        if let address, !address.isEmpty {
            guard let ip = IPv4Address(address) else { throw EngineError(.invalid, "invalid IPv4 address: \(address)") }
            request.address = ip
        }
        do throws(NetworkError) {
            let net = try await networks.network(network)
            try await networks.validate([request])
            guard net.driver == .bridge else {
                throw NetworkError(.forbidden, "container cannot be disconnected from host network or connected to host network")
            }
            if net.name == "bridge" && !aliases.isEmpty {
                throw NetworkError(.invalid, "network-scoped alias is supported only for containers in user defined networks")
            }
            request.network = net.id
            if container.config.networks.contains(where: { $0.network == net.id }) {
                throw NetworkError(.forbidden, "endpoint with name \(container.name) already exists in network \(net.name)")
            }
            if container.state.isRunning, let sandbox = container.sandbox {
                let endpoint = try await networks.connect(containerID: id, name: container.name, path: sandbox.path, request: request)
                container.sandbox?.endpoints.append(endpoint)
                recordNetwork("connect", NetworkActor(net), container: id)
            }
        } catch {
            throw EngineError(error)
        }
        container.config.networks.append(request)
        save(container)
        if container.state.isRunning { try? await writeContainerFiles(container) }
    }

    /// `docker network disconnect`.
    public func disconnect(_ ref: String, network: String, force: Bool) async throws(EngineError) {
        let id = try resolveID(ref)
        var container = containers[id]!
        do throws(NetworkError) {
            let net = try await networks.network(network)
            guard let i = container.config.networks.firstIndex(where: { $0.network == net.id }) else {
                throw NetworkError(.forbidden, "container \(id) is not connected to network \(net.name)")
            }
            if container.state.isRunning && container.sandbox != nil {
                try await networks.disconnect(containerID: id, network: net.id)
                container.sandbox?.endpoints.removeAll { $0.networkID == net.id }
            }
            container.config.networks.remove(at: i)
            recordNetwork("disconnect", NetworkActor(net), container: id)
        } catch {
            throw EngineError(error)
        }
        save(container)
    }

    // MARK: Ports

    /// `80/tcp` from `80`, `80/TCP`.
    static func normalizedPort(_ port: String) -> String {
        let parts = port.split(separator: "/", maxSplits: 1)
        return "\(parts.first ?? "")/\(parts.count > 1 ? parts[1].lowercased() : "tcp")"
    }

    /// A binding checked and turned into what the network layer publishes.
    static func portRequest(_ binding: ContainerConfiguration.PortBinding) throws(EngineError) -> PortRequest {
        let parts = binding.port.split(separator: "/", maxSplits: 1)
        let proto = parts.count > 1 ? parts[1].lowercased() : "tcp"
        guard proto == "tcp" || proto == "udp" else { throw EngineError(.invalid, "invalid proto: \(proto)") }
        guard let first = parts.first, let port = UInt16(first), port > 0 else {
            throw EngineError(.invalid, "invalid port specification: \"\(binding.port)\"")
        }
        var request = PortRequest(proto: proto, containerPort: port)
        if !binding.hostIP.isEmpty {
            guard let ip = IPv4Address(binding.hostIP) else {
                if binding.hostIP.contains(":") { throw EngineError(.invalid, "IPv6 host addresses are not supported: \(binding.hostIP)") }
                throw EngineError(.invalid, "invalid IP address: \(binding.hostIP)")
            }
            request.hostIP = ip
        }
        if !binding.hostPort.isEmpty {
            let ends = binding.hostPort.split(separator: "-", maxSplits: 1)
            guard let low = UInt16(ends[0]), let high = ends.count > 1 ? UInt16(ends[1]) : low, low <= high else {
                throw EngineError(.invalid, "invalid hostPort: \(binding.hostPort)")
            }
            request.hostPorts = low...high
        }
        return request
    }

    // MARK: Files

    /// /etc/hosts lines for the container's own addresses.
    func hostsEntries(_ container: Container) -> String {
        guard let sandbox = container.sandbox else { return "" }
        let names = [container.hostname] + (container.config.domainname.flatMap { $0.isEmpty ? nil : [container.hostname + "." + $0] } ?? [])
        return sandbox.endpoints.map { "\($0.address)\t\(names.joined(separator: " "))\n" }.joined()
    }

    /// The container's resolv.conf: its `--dns`, else the network's DNS server
    /// (user-defined networks), else the host's without loopback resolvers;
    /// the host's search and options lines unless `--dns-search`/`--dns-option`
    /// replace them (as dockerd; `--dns-search .` leaves no search line).
    func resolvConf(_ container: Container) async -> String {
        let host = (try? FileIO.readString("/etc/resolv.conf")) ?? ""
        let config = container.config
        var search: [String] = []
        var options: [String] = []
        var servers: [String] = []
        for line in host.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.first == "nameserver", words.count > 1 {
                if let ip = IPv4Address(words[1]), !ip.isLoopback { servers.append(String(words[1])) }
            } else if words.first == "search" {
                search.append(String(line))
            } else if words.first == "options" {
                options.append(String(line))
            }
        }
        if let given = config.dnsSearch {
            let domains = given.filter { $0 != "." }
            search = domains.isEmpty ? [] : ["search " + domains.joined(separator: " ")]
        }
        if let given = config.dnsOptions { options = ["options " + given.joined(separator: " ")] }
        let other = search + options
        if !container.config.dns.isEmpty {
            servers = container.config.dns
        } else if let first = container.sandbox?.endpoints.first,
                  let network = try? await networks.network(first.networkID), network.hasDNS,
                  await networks.servesDNS(network.id), let gateway = network.gateway {
            servers = [gateway.description]
        } else if servers.isEmpty && container.config.networkMode != "host" {
            servers = ["8.8.8.8", "8.8.4.4"]
        }
        if config.networkMode == "host" && config.dns.isEmpty && config.dnsSearch == nil && config.dnsOptions == nil { return host }
        return servers.map { "nameserver \($0)\n" }.joined() + other.map { $0 + "\n" }.joined()
    }
}

extension EngineError {
    init(_ error: NetworkError) {
        switch error.kind {
        case .invalid: self.init(.invalid, error.message)
        case .notFound: self.init(.notFound, error.message)
        case .conflict: self.init(.conflict, error.message)
        case .forbidden: self.init(.forbidden, error.message)
        case .system: self.init(.system, error.message)
        }
    }
}
