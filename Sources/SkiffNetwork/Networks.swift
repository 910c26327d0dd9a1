import SkiffDNS
import FoundationEssentials
import Glibc
import SkiffSystem
import Synchronization

/// The networks of one engine: their records, bridges, addresses,
/// published ports and firewall table, and the containers' namespaces and
/// veth pairs. Blocking work (netlink, nft) runs on the actor's own thread.
public actor Networks {
    public nonisolated let dataRoot: String
    /// Where containers' network namespaces are bound (`<run-root>/netns`).
    public nonisolated let namespaceRoot: String
    let db: NetworkDatabase
    var firewall: Firewall?
    var networks: [String: Network] = [:]
    var endpoints: [String: Endpoint] = [:]
    private var appliedRuleset: Firewall.Ruleset?
    /// The DNS server of each user-defined network, on its gateway address.
    private var dnsServers: [String: DNSServer] = [:]
    /// Names and addresses per network, read by the DNS servers' threads.
    public nonisolated let names = NameTable()

    private nonisolated let executor = ThreadExecutor()
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// `firewall: false` leaves nftables alone (tests of the bookkeeping only).
    public init(dataRoot: String, runRoot: String, firewall: Bool = true) throws(NetworkError) {
        self.dataRoot = dataRoot
        namespaceRoot = runRoot + "/netns"
        do {
            try Directories.make(dataRoot, mode: 0o711)
            try Directories.make(namespaceRoot, mode: 0o711)
        } catch {
            throw NetworkError(.system, "\(error)")
        }
        db = try NetworkDatabase(path: dataRoot + "/networks.db")
        self.firewall = firewall ? Firewall() : nil
        for network in try db.networks() { networks[network.id] = network }
        for endpoint in try db.endpoints() { endpoints[endpoint.id] = endpoint }
        for network in try Self.createPredefined(existing: Array(networks.values), db: db) { networks[network.id] = network }
    }

    /// `bridge`, `host` and `none`, as Docker has them from the start.
    private static func createPredefined(existing: [Network], db: NetworkDatabase) throws(NetworkError) -> [Network] {
        var created: [Network] = []
        for (name, driver) in [("bridge", Network.Driver.bridge), ("host", .host), ("none", .null)]
        where !existing.contains(where: { $0.name == name }) {
            var network = Network(id: RandomID.make(), name: name, driver: driver, created: Timestamp.now())
            if driver == .bridge {
                network.subnet = try freeSubnet(existing: existing)
                network.gateway = network.subnet!.host(1)
                network.bridge = "skiff0"
                network.options = ["com.docker.network.bridge.default_bridge": "true",
                                   "com.docker.network.bridge.enable_icc": "true",
                                   "com.docker.network.bridge.enable_ip_masquerade": "true",
                                   "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
                                   "com.docker.network.bridge.name": "skiff0",
                                   "com.docker.network.driver.mtu": "1500"]
            }
            try db.insert(network)
            created.append(network)
        }
        return created
    }

    // MARK: Lookup

    public func list() -> [Network] { networks.values.sorted { $0.created < $1.created } }

    /// A network by id, name or unique id prefix (Docker's order).
    public func network(_ ref: String) throws(NetworkError) -> Network {
        if let n = networks[ref] { return n }
        if let n = networks.values.first(where: { $0.name == ref }) { return n }
        let matches = networks.values.filter { $0.id.hasPrefix(ref) }
        if matches.count == 1, !ref.isEmpty { return matches[0] }
        if matches.count > 1 { throw NetworkError(.invalid, "network \(ref) is ambiguous (\(matches.count) matches found based on ID prefix)") }
        throw NetworkError(.notFound, "network \(ref) not found")
    }

    /// The endpoints on network `id`.
    public func endpoints(of id: String) -> [Endpoint] {
        endpoints.values.filter { $0.networkID == id }.sorted { $0.containerName < $1.containerName }
    }

    /// The endpoints of container `id`.
    public func endpoints(ofContainer id: String) -> [Endpoint] {
        endpoints.values.filter { $0.containerID == id }.sorted { $0.interface < $1.interface }
    }

    // MARK: Create and remove

    /// What `network create` asks for.
    public struct Options: Sendable {
        public var name: String
        public var driver = "bridge"
        public var subnet: String?
        public var gateway: String?
        public var ipRange: String?
        public var isInternal = false
        public var attachable = false
        public var labels: [String: String] = [:]
        public var options: [String: String] = [:]
        public init(name: String) { self.name = name }
    }

    /// `docker network create`: a bridge network with its own subnet.
    public func create(_ o: Options) throws(NetworkError) -> Network {
        guard Self.isValidName(o.name) else {
            throw NetworkError(.invalid, "invalid network name \"\(o.name)\": must match [a-zA-Z0-9][a-zA-Z0-9_.-]")
        }
        if networks.values.contains(where: { $0.name == o.name }) {
            throw NetworkError(.conflict, "network with name \(o.name) already exists")
        }
        switch o.driver {
        case "bridge": break
        case "host", "null":
            throw NetworkError(.forbidden, "only one instance of \"\(o.driver)\" network is allowed")
        default:
            throw NetworkError(.notFound, "plugin \"\(o.driver)\" not found")
        }
        var network = Network(id: RandomID.make(), name: o.name, driver: .bridge, created: Timestamp.now())
        network.isInternal = o.isInternal
        network.attachable = o.attachable
        network.labels = o.labels
        network.options = o.options
        if let text = o.subnet {
            guard let subnet = IPv4Subnet(text) else { throw NetworkError(.invalid, "invalid subnet \(text): only IPv4 CIDR subnets are supported") }
            guard IPv4Subnet(text, strict: true) != nil else { throw NetworkError(.invalid, "invalid subnet \(text): it should be \(subnet)") }
            guard subnet.prefix <= 30 else { throw NetworkError(.invalid, "invalid subnet \(text): too small for any container") }
            if let other = networks.values.first(where: { $0.subnet.map(subnet.overlaps) ?? false }) {
                throw NetworkError(.forbidden, "invalid pool request: Pool overlaps with other one on this address space (network \(other.name))")
            }
            network.subnet = subnet
        } else {
            guard o.gateway == nil && o.ipRange == nil else {
                throw NetworkError(.invalid, "a gateway or an IP range needs a subnet (--subnet)")
            }
            network.subnet = try Self.freeSubnet(existing: Array(networks.values))
        }
        let subnet = network.subnet!
        if let text = o.ipRange {
            guard let range = IPv4Subnet(text), subnet.contains(range.address), range.prefix >= subnet.prefix else {
                throw NetworkError(.invalid, "invalid ip-range \(text): it must be inside subnet \(subnet)")
            }
            network.ipRange = range
        }
        if let text = o.gateway {
            guard let gateway = IPv4Address(text) else { throw NetworkError(.invalid, "invalid gateway address \(text)") }
            guard subnet.contains(gateway), gateway != subnet.address, gateway != subnet.broadcast else {
                throw NetworkError(.invalid, "invalid gateway \(text): it must be a host address of subnet \(subnet)")
            }
            network.gateway = gateway
        } else {
            network.gateway = subnet.host(1)
        }
        network.bridge = o.options["com.docker.network.bridge.name"] ?? "br-" + network.id.prefix(12)
        guard network.bridge!.utf8.count < 16 else { throw NetworkError(.invalid, "bridge name \(network.bridge!) is too long") }
        try db.insert(network)
        networks[network.id] = network
        do {
            try applyFirewall()
        } catch {
            networks[network.id] = nil
            try? db.deleteNetwork(id: network.id)
            throw error
        }
        return network
    }

    /// `docker network rm`: refused for predefined networks and networks in use.
    public func remove(_ ref: String) throws(NetworkError) {
        let network = try network(ref)
        if network.isPredefined {
            throw NetworkError(.forbidden, "\(network.name) is a pre-defined network and cannot be removed")
        }
        if !endpoints(of: network.id).isEmpty {
            throw NetworkError(.forbidden, "error while removing network: network \(network.name) id \(network.id) has active endpoints")
        }
        try db.deleteNetwork(id: network.id)
        networks[network.id] = nil
        dnsServers.removeValue(forKey: network.id)?.stop()
        if let bridge = network.bridge, var host = try? Netlink() { try? host.deleteLink(bridge) }
        try? applyFirewall()
        names.set(network.id, [])
    }

    /// Names of containers' user-defined network choices (validated at create).
    public func validate(_ requests: [EndpointRequest]) throws(NetworkError) {
        for request in requests {
            let network = try network(request.network)
            if let address = request.address {
                guard network.driver == .bridge, network.name != "bridge" else {
                    throw NetworkError(.invalid, "user specified IP address is supported on user defined networks only")
                }
                guard let subnet = network.subnet, subnet.contains(address) else {
                    throw NetworkError(.invalid, "no configured subnet contains IP address \(address)")
                }
            }
        }
    }

    // MARK: Attach and detach

    /// A running container's network: a namespace at `<run-root>/netns/<id>`
    /// with one veth per network (eth0, eth1, ...), addresses from each
    /// network, and its ports published. Undone entirely if any step fails.
    public func attach(containerID: String, name: String, requests: [EndpointRequest], ports: [PortRequest]) throws(NetworkError) -> Sandbox {
        detach(containerID: containerID)
        let path = "\(namespaceRoot)/\(containerID.prefix(32))"
        var inner = try NetworkNamespace.create(at: path)
        var sandbox = Sandbox(path: path, endpoints: [])
        do {
            for (i, request) in requests.enumerated() {
                let endpoint = try addEndpoint(containerID: containerID, name: name, request: request, interface: "eth\(i)",
                                               namespace: path, inner: &inner, ports: i == 0 ? ports : [])
                sandbox.endpoints.append(endpoint)
            }
            if !ports.isEmpty { try applyFirewall() }
        } catch {
            detach(containerID: containerID)
            throw error
        }
        return sandbox
    }

    /// `docker network connect` for a running container (namespace at `path`).
    public func connect(containerID: String, name: String, path: String, request: EndpointRequest) throws(NetworkError) -> Endpoint {
        let network = try network(request.network)
        if endpoints.values.contains(where: { $0.containerID == containerID && $0.networkID == network.id }) {
            throw NetworkError(.forbidden, "endpoint with name \(name) already exists in network \(network.name)")
        }
        var inner = try NetworkNamespace.enter(path)
        let used = Set(endpoints(ofContainer: containerID).map(\.interface))
        let interface = (0...).lazy.map { "eth\($0)" }.first { !used.contains($0) }!
        return try addEndpoint(containerID: containerID, name: name, request: request, interface: interface,
                               namespace: path, inner: &inner, ports: [])
    }

    /// `docker network disconnect` for a running container.
    public func disconnect(containerID: String, network ref: String) throws(NetworkError) {
        let network = try network(ref)
        guard let endpoint = endpoints.values.first(where: { $0.containerID == containerID && $0.networkID == network.id }) else {
            throw NetworkError(.forbidden, "container \(containerID) is not connected to network \(network.name)")
        }
        removeEndpoint(endpoint)
        if !endpoint.ports.isEmpty { try? applyFirewall() }
    }

    /// `docker rename` of a running container: its endpoints carry the new name, and so do the
    /// DNS names of user-defined networks (its aliases and short id stay). Returns its endpoints.
    public func rename(containerID: String, to name: String) -> [Endpoint] {
        for var endpoint in endpoints(ofContainer: containerID) {
            let hasDNS = networks[endpoint.networkID]?.hasDNS ?? false
            endpoint.containerName = name
            endpoint.dnsNames = hasDNS ? Self.unique([name] + endpoint.aliases + [String(containerID.prefix(12))]) : [name]
            try? db.update(endpoint)
            endpoints[endpoint.id] = endpoint
        }
        refreshNames()
        return endpoints(ofContainer: containerID)
    }

    /// Undoes a container's network: its endpoints, published ports, namespace and veths.
    ///
    /// The veths go on a thread of their own: deleting a link waits for an RCU
    /// grace period (17–35 ms measured here), which a stopping container's
    /// caller (`run --rm`, `restart`) need not wait for. Once the namespace
    /// is unmounted and its processes are gone the kernel removes them itself;
    /// the explicit delete covers a namespace something else still holds.
    public func detach(containerID: String) {
        let mine = endpoints(ofContainer: containerID)
        for endpoint in mine { forget(endpoint) }
        if mine.contains(where: { !$0.ports.isEmpty }) { try? applyFirewall() }
        NetworkNamespace.remove(at: "\(namespaceRoot)/\(containerID.prefix(32))")
        let links = mine.map(\.hostInterface)
        guard !links.isEmpty else { return }
        detachThread {
            guard var host = try? Netlink() else { return }
            for link in links { try? host.deleteLink(link) }
        }
    }

    /// After a daemon restart: keeps the networks of `running` containers,
    /// removes every other endpoint, namespace and veth of ours, and puts the
    /// firewall table back.
    public func recover(running: Set<String>) throws(NetworkError) {
        for endpoint in endpoints.values where !running.contains(endpoint.containerID) { removeEndpoint(endpoint) }
        let keep = Set(running.map { String($0.prefix(32)) })
        for file in Directories.list(namespaceRoot) where !keep.contains(file) {
            NetworkNamespace.remove(at: "\(namespaceRoot)/\(file)")
        }
        if var host = try? Netlink() {
            let bridges = Set(networks.values.compactMap(\.bridge))
            let links = (try? host.links()) ?? []
            let bridgeIndexes = Set(links.filter { bridges.contains($0.name) }.map(\.index))
            let live = Set(endpoints.values.map(\.hostInterface))
            for link in links where link.kind == "veth" && link.master.map(bridgeIndexes.contains) == true && !live.contains(link.name) {
                try? host.deleteLink(link.name)
            }
        }
        appliedRuleset = nil
        try applyFirewall()
        refreshNames()
        if var host = try? Netlink() {
            for network in networks.values where network.hasDNS {
                if let bridge = network.bridge, (try? host.linkIndex(bridge)) != nil { startDNS(network) }
            }
        }
    }

    /// Removes the firewall table, bridges and namespaces (tests' teardown; `skiffd` keeps them).
    public func tearDown() {
        for server in dnsServers.values { server.stop() }
        dnsServers = [:]
        for endpoint in endpoints.values { removeEndpoint(endpoint) }
        for file in Directories.list(namespaceRoot) { NetworkNamespace.remove(at: "\(namespaceRoot)/\(file)") }
        if var host = try? Netlink() {
            for network in networks.values { if let bridge = network.bridge { try? host.deleteLink(bridge) } }
        }
        firewall?.remove()
        appliedRuleset = nil
    }

    // MARK: Endpoints

    private func addEndpoint(containerID: String, name: String, request: EndpointRequest, interface: String,
                             namespace: String, inner: inout Netlink, ports: [PortRequest]) throws(NetworkError) -> Endpoint {
        let network = try network(request.network)
        guard network.driver == .bridge, let subnet = network.subnet, network.bridge != nil else {
            throw NetworkError(.invalid, "container cannot be connected to network \(network.name) (driver \(network.driver.rawValue))")
        }
        var host = try Netlink()
        let bridgeIndex = try ensureBridge(network, &host)
        let shortID = String(containerID.prefix(12))
        let dnsNames = network.hasDNS ? Self.unique([name] + request.aliases + [shortID]) : [name]
        var endpoint = Endpoint(
            id: RandomID.make(), networkID: network.id, containerID: containerID, containerName: name,
            address: IPv4Address(0), prefix: subnet.prefix, gateway: network.isInternal ? nil : network.gateway,
            mac: "", hostInterface: "veth" + RandomID.make().prefix(7), interface: interface,
            dnsNames: dnsNames, aliases: request.aliases, ports: try allocatePorts(ports))
        endpoint = try db.insert(endpoint) { (used) throws(NetworkError) -> IPv4Address in
            try Self.chooseAddress(network, requested: request.address, used: used)
        }
        endpoints[endpoint.id] = endpoint
        do throws(NetworkError) {
            let mac = MACAddress(for: endpoint.address)
            let nsfd = open(namespace, O_RDONLY | O_CLOEXEC)
            guard nsfd >= 0 else { throw NetworkError.system("open \(namespace)") }
            defer { close(nsfd) }
            try host.createVeth(host: endpoint.hostInterface, master: bridgeIndex, peer: interface, mac: mac, namespaceFD: nsfd)
            if let index = try host.linkIndex(endpoint.hostInterface) { try? host.setHairpin(index) }
            guard let index = try inner.linkIndex(interface) else { throw NetworkError(.system, "\(interface) missing in \(namespace)") }
            try inner.addAddress(endpoint.address, prefix: subnet.prefix, index: index)
            try inner.setUp(index)
            if interface == "eth0" || !endpoints(ofContainer: containerID).contains(where: { $0.gateway != nil && $0.id != endpoint.id }),
               let gateway = endpoint.gateway {
                try inner.addDefaultRoute(via: gateway, index: index)
            }
        } catch {
            removeEndpoint(endpoint)
            throw error
        }
        refreshNames()
        return endpoint
    }

    private func removeEndpoint(_ endpoint: Endpoint) {
        if var host = try? Netlink() { try? host.deleteLink(endpoint.hostInterface) }
        forget(endpoint)
    }

    /// Drops `endpoint`'s row (its address is free again), record and names.
    private func forget(_ endpoint: Endpoint) {
        try? db.deleteEndpoint(id: endpoint.id)
        endpoints[endpoint.id] = nil
        refreshNames()
    }

    /// The bridge of `network`, created (with the gateway address, up) if missing; its index.
    private func ensureBridge(_ network: Network, _ host: inout Netlink) throws(NetworkError) -> Int32 {
        let name = network.bridge!
        if let index = try host.linkIndex(name) {
            // Ours from before (a daemon restart, or a data root made anew): its
            // address must be this network's gateway and nothing else.
            let prefix = network.subnet!.prefix
            let present = try host.linkAddresses().filter { $0.index == index }
            for stale in present where stale.address != network.gateway || stale.prefix != prefix {
                try host.deleteAddress(stale.address, prefix: stale.prefix, index: index)
            }
            if let gateway = network.gateway, !present.contains(where: { $0.address == gateway && $0.prefix == prefix }) {
                try host.addAddress(gateway, prefix: prefix, index: index)
            }
            startDNS(network)
            return index
        }
        try host.createBridge(name)
        guard let index = try host.linkIndex(name) else { throw NetworkError(.system, "bridge \(name) vanished") }
        do {
            if let gateway = network.gateway {
                try host.addAddress(gateway, prefix: network.subnet!.prefix, index: index)
            }
            try host.setUp(index)
        } catch {
            try? host.deleteLink(name)
            throw error
        }
        // Published ports reached from 127.0.0.1 are routed to the bridge (as Docker without its proxy).
        Sysctl.set("net/ipv4/conf/\(name)/route_localnet", "1")
        Sysctl.set("net/ipv4/ip_forward", "1")
        startDNS(network)
        return index
    }

    /// Whether network `id`'s DNS server runs (its containers' resolv.conf points at it).
    public func servesDNS(_ id: String) -> Bool { dnsServers[id] != nil }

    /// The network's DNS server on its gateway (user-defined networks): its
    /// containers' names and aliases, the rest forwarded to the host's
    /// resolvers (none for `--internal` networks). If it cannot bind (another
    /// server holds port 53 on every address), containers use the host's
    /// resolvers instead, and the daemon's log says why.
    private func startDNS(_ network: Network) {
        guard network.hasDNS, dnsServers[network.id] == nil, let gateway = network.gateway else { return }
        var upstreams = DNSServerConfig.upstreams()
        if upstreams.isEmpty { upstreams = ["8.8.8.8", "8.8.4.4"].compactMap { DNSUpstream($0) } }
        let names = self.names, id = network.id, isInternal = network.isInternal
        do {
            dnsServers[network.id] = try DNSServer(address: gateway, upstreams: isInternal ? [] : upstreams) { name, type, client in
                if type == 12, let address = IPv4Address(reverseName: name) {
                    if let found = names.name(of: address, network: id, client: client) { return .pointer(found) }
                } else if let addresses = names.addresses(of: name, network: id, client: client) {
                    return .addresses(addresses)
                }
                return isInternal ? .addresses([]) : .forward
            }
        } catch {
            let line = "time=\"\(Timestamp.now())\" level=warning msg=\"DNS server of network \(network.name): \(error); its containers use the host's resolvers\"\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
        }
    }

    static func chooseAddress(_ network: Network, requested: IPv4Address?, used: Set<IPv4Address>) throws(NetworkError) -> IPv4Address {
        let subnet = network.subnet!
        var taken = used
        taken.insert(subnet.address)
        taken.insert(subnet.broadcast)
        if let gateway = network.gateway { taken.insert(gateway) }
        if let requested {
            guard subnet.contains(requested) else { throw NetworkError(.invalid, "no configured subnet contains IP address \(requested)") }
            guard !taken.contains(requested) else { throw NetworkError(.conflict, "Address already in use") }
            return requested
        }
        let pool = network.ipRange ?? subnet
        var n: UInt32 = 1
        while UInt64(n) < pool.size {
            let candidate = pool.host(n)
            if subnet.contains(candidate) && !taken.contains(candidate) { return candidate }
            n += 1
        }
        throw NetworkError(.system, "no available IPv4 addresses on this network's address pools: \(network.name) (\(network.id))")
    }

    // MARK: Ports

    /// Host ports for `requests`: the asked one if free, else the first free of a
    /// range or of the ephemeral range.
    private func allocatePorts(_ requests: [PortRequest]) throws(NetworkError) -> [PortMapping] {
        var taken = endpoints.values.flatMap(\.ports)
        var result: [PortMapping] = []
        for request in requests {
            let hostIP = request.hostIP ?? IPv4Address(0)
            func conflicts(_ port: UInt16) -> Bool {
                taken.contains { $0.proto == request.proto && $0.hostPort == port && ($0.hostIP == hostIP || $0.hostIP.isUnspecified || hostIP.isUnspecified) }
            }
            let range = request.hostPorts.flatMap { $0.lowerBound == 0 ? nil : $0 }
            let candidates: ClosedRange<UInt16> = range ?? Self.ephemeralPorts()
            var chosen: UInt16?
            for port in candidates where !conflicts(port) && Self.canBind(hostIP, port, request.proto) {
                chosen = port
                break
            }
            guard let port = chosen else {
                if let range, range.count == 1 {
                    if conflicts(range.lowerBound) {
                        throw NetworkError(.conflict, "Bind for \(hostIP):\(range.lowerBound) failed: port is already allocated")
                    }
                    throw NetworkError(.conflict, "failed to bind host port for \(hostIP):\(range.lowerBound):\(request.proto): address already in use")
                }
                throw NetworkError(.conflict, "no free host port for \(request.containerPort)/\(request.proto) in \(candidates)")
            }
            let mapping = PortMapping(proto: request.proto, containerPort: request.containerPort, hostIP: hostIP, hostPort: port)
            taken.append(mapping)
            result.append(mapping)
        }
        return result
    }

    static func ephemeralPorts() -> ClosedRange<UInt16> {
        let text = Sysctl.get("net/ipv4/ip_local_port_range") ?? ""
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt16($0) }
        guard parts.count == 2, parts[0] <= parts[1], parts[0] > 0 else { return 32768...60999 }
        return parts[0]...parts[1]
    }

    /// Whether a host process already holds the port (then it is not ours to take).
    static func canBind(_ address: IPv4Address, _ port: UInt16, _ proto: String) -> Bool {
        let fd = socket(AF_INET, Int32(proto == "udp" ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = address.value.bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // An address that isn't local cannot be bound; publishing on it is refused.
        return rc == 0
    }

    // MARK: Firewall and names

    func applyFirewall() throws(NetworkError) {
        guard let firewall else { return }
        let ports = endpoints.values.sorted { $0.id < $1.id }.flatMap { e in e.ports.map { (mapping: $0, address: e.address) } }
        let ruleset = Firewall.Ruleset(networks: networks.values.sorted { $0.id < $1.id }, ports: ports)
        guard ruleset != appliedRuleset else { return }
        try firewall.apply(ruleset)
        appliedRuleset = ruleset
    }

    private func refreshNames() {
        var table: [String: [NameTable.Entry]] = [:]
        for endpoint in endpoints.values {
            for name in endpoint.dnsNames {
                table[endpoint.networkID, default: []].append(.init(name: name.lowercased(), address: endpoint.address, container: endpoint.containerID))
            }
        }
        for network in networks.values where network.hasDNS {
            names.set(network.id, table[network.id] ?? [], networkName: network.name)
        }
    }

    /// A subnet no network of ours and no address or route of the host uses:
    /// Docker's pools, 172.17-31.0.0/16 then 192.168.0-240.0/20.
    static func freeSubnet(existing: [Network]) throws(NetworkError) -> IPv4Subnet {
        var host = try Netlink()
        let inUse = (try host.addresses()) + (try host.routes()) + existing.compactMap(\.subnet)
        let pools = (17...31).map { IPv4Subnet(IPv4Address(UInt32(172) << 24 | UInt32($0) << 16), prefix: 16) }
            + (0..<16).map { IPv4Subnet(IPv4Address(UInt32(192) << 24 | UInt32(168) << 16 | UInt32($0 * 16) << 8), prefix: 20) }
        guard let free = pools.first(where: { pool in !inUse.contains { $0.overlaps(pool) } }) else {
            throw NetworkError(.forbidden, "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")
        }
        return free
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || ("0"..."9").contains(first) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)) }
    }

    static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { !$0.isEmpty && seen.insert($0).inserted }
    }
}

/// Per network: DNS names to addresses and back, shared with the DNS servers' threads.
public final class NameTable: Sendable {
    struct Entry: Sendable {
        var name: String
        var address: IPv4Address
        var container: String
    }
    private let table = Mutex<[String: (network: String, entries: [Entry])]>([:])

    func set(_ networkID: String, _ entries: [Entry], networkName: String = "") {
        table.withLock { $0[networkID] = entries.isEmpty && networkName.isEmpty ? nil : (networkName, entries) }
    }

    /// The addresses of `name` (or `name.<network>`) for a query that reached
    /// network `id`'s server from `client`: on every network that client's
    /// container is on (as Docker's resolver answers), else on `id` alone; nil if unknown.
    public func addresses(of name: String, network id: String, client: IPv4Address) -> [IPv4Address]? {
        table.withLock { table in
            let key = name.lowercased()
            for (network, entries) in Self.networks(of: client, asking: id, in: table) {
                var short = key
                if short.hasSuffix("." + network.lowercased()) { short.removeLast(network.utf8.count + 1) }
                let found = entries.filter { $0.name == short }.map(\.address)
                if !found.isEmpty { return found }
            }
            return nil
        }
    }

    /// The name of `address` (PTR) on the client's networks.
    public func name(of address: IPv4Address, network id: String, client: IPv4Address) -> String? {
        table.withLock { table in
            for (network, entries) in Self.networks(of: client, asking: id, in: table) {
                if let entry = entries.first(where: { $0.address == address }) { return "\(entry.name).\(network)" }
            }
            return nil
        }
    }

    /// The asking network first, then the client container's other networks.
    private static func networks(of client: IPv4Address, asking id: String,
                                 in table: [String: (network: String, entries: [Entry])]) -> [(String, [Entry])] {
        guard let asked = table[id] else { return [] }
        var result = [(asked.network, asked.entries)]
        guard let container = asked.entries.first(where: { $0.address == client })?.container else { return result }
        for (other, value) in table where other != id && value.entries.contains(where: { $0.container == container }) {
            result.append((value.network, value.entries))
        }
        return result
    }
}

/// /proc/sys, read and written.
enum Sysctl {
    static func set(_ key: String, _ value: String) {
        let fd = open("/proc/sys/" + key, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = value.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    static func get(_ key: String) -> String? {
        let fd = open("/proc/sys/" + key, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }
}
