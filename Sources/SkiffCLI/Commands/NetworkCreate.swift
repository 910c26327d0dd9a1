import Glibc

/// `skiff network create`: the flags become the body of POST /networks/create as docker's
/// `runCreate` builds it (subnets, ranges, gateways and aux addresses grouped per subnet).
enum NetworkCreateCommand {
    static let spec = CommandSpec(
        name: "create", usage: "[OPTIONS] NETWORK", summary: "Create a network",
        flags: [
            .bool("attachable", "Enable manual container attachment"),
            .map("aux-address", "Auxiliary IPv4 or IPv6 addresses used by Network driver"),
            .value("config-from", .string, "The network from which to copy the configuration"),
            .bool("config-only", "Create a configuration only network"),
            .value("driver", "d", .string, "Driver to manage the Network", default: "\"bridge\""),
            .list("gateway", .stringSlice, "IPv4 or IPv6 Gateway for the master subnet"),
            .bool("ingress", "Create swarm routing-mesh network"),
            .bool("internal", "Restrict external access to the network"),
            .list("ip-range", .stringSlice, "Allocate container ip from a sub-range"),
            .value("ipam-driver", .string, "IP Address Management Driver", default: "\"default\""),
            .map("ipam-opt", "Set IPAM driver specific options"),
            .bool("ipv4", "Enable or disable IPv4 address assignment", default: true),
            .bool("ipv6", "Enable or disable IPv6 address assignment"),
            .list("label", .label, "Set metadata on a network"),
            .map("opt", "o", "Set driver specific options"),
            .value("scope", .string, "Control the network's scope"),
            .list("subnet", .stringSlice, "Subnet in CIDR format that represents a network segment"),
        ],
        arguments: .exactly(1)
    ) { inv in
        let body = try request(inv.flags, name: inv.args[0], apiVersion: try inv.client.version())
        let created = try inv.client.json("POST", "/networks/create", body: body)
        Output.line(created["Id"]?.string ?? "")
    }

    /// The create request (network.CreateRequest) for `flags`; `CheckDuplicate` goes to
    /// daemons older than API 1.44, which otherwise accept a second network of a name.
    static func request(_ f: ParsedFlags, name: String, apiVersion: APIVersion) throws(CLIError) -> JSON {
        var body: JSONObject = [
            "Driver": .string(f.string("driver") ?? "bridge"),
            "Scope": .string(f.string("scope") ?? ""),
        ]
        if f.isSet("ipv4") { body["EnableIPv4"] = .bool(f.bool("ipv4")) }
        if f.isSet("ipv6") { body["EnableIPv6"] = .bool(f.bool("ipv6")) }
        body["IPAM"] = [
            "Driver": .string(f.string("ipam-driver") ?? "default"),
            "Options": f.map("ipam-opt"),
            "Config": .array(try ipamConfig(
                subnets: f.slice("subnet"), ranges: f.slice("ip-range"), gateways: f.slice("gateway"),
                auxAddresses: f.map("aux-address").object ?? JSONObject())),
        ]
        body["Internal"] = .bool(f.bool("internal"))
        body["Attachable"] = .bool(f.bool("attachable"))
        body["Ingress"] = .bool(f.bool("ingress"))
        body["ConfigOnly"] = .bool(f.bool("config-only"))
        body["ConfigFrom"] = f.string("config-from").flatMap { $0.isEmpty ? nil : ["Network": .string($0)] } ?? .null
        body["Options"] = f.map("opt")
        body["Labels"] = f.map("label")
        body["Name"] = .string(name)
        if apiVersion < APIVersion(1, 44) { body["CheckDuplicate"] = true }
        return .object(body)
    }

    /// docker's createIPAMConfig: one IPAMConfig per subnet (in the order given), each
    /// range, gateway and aux address placed in the subnet that holds it.
    static func ipamConfig(
        subnets: [String], ranges: [String], gateways: [String], auxAddresses: JSONObject
    ) throws(CLIError) -> [JSON] {
        if subnets.count < ranges.count || subnets.count < gateways.count {
            throw CLIError("every ip-range or gateway must have a corresponding subnet")
        }
        var configs: [(subnet: String, range: String, gateway: String, aux: JSONObject)] = []
        for s in subnets {
            for k in configs.map(\.subnet) {
                let inside = try subnetMatches(s, k)
                let holds = try subnetMatches(k, s)
                if inside || holds {
                    throw CLIError("multiple overlapping subnet configuration is not supported")
                }
            }
            configs.append((s, "", "", JSONObject()))
        }
        for r in ranges {
            var matched = false
            for i in configs.indices {
                guard IPNetwork(cidr: r) != nil else { throw CLIError("invalid CIDR address: \(r)") }
                guard try subnetMatches(configs[i].subnet, r) else { continue }
                if !configs[i].range.isEmpty {
                    throw CLIError("cannot configure multiple ranges (\(r), \(configs[i].range)) on the same subnet (\(configs[i].subnet))")
                }
                configs[i].range = r
                matched = true
            }
            if !matched { throw CLIError("no matching subnet for range \(r)") }
        }
        for g in gateways {
            var matched = false
            for i in configs.indices {
                guard try subnetMatches(configs[i].subnet, g) else { continue }
                if !configs[i].gateway.isEmpty {
                    throw CLIError("cannot configure multiple gateways (\(g), \(configs[i].gateway)) for the same subnet (\(configs[i].subnet))")
                }
                configs[i].gateway = g
                matched = true
            }
            if !matched { throw CLIError("no matching subnet for gateway \(g)") }
        }
        for (key, value) in auxAddresses.members {
            let address = value.string ?? ""
            var matched = false
            for i in configs.indices {
                guard try subnetMatches(configs[i].subnet, address) else { continue }
                configs[i].aux[key] = .string(address)
                matched = true
            }
            if !matched { throw CLIError("no matching subnet for aux-address \(address)") }
        }
        return configs.map { c in
            var o = JSONObject()
            if !c.subnet.isEmpty { o["Subnet"] = .string(c.subnet) }
            if !c.range.isEmpty { o["IPRange"] = .string(c.range) }
            if !c.gateway.isEmpty { o["Gateway"] = .string(c.gateway) }
            if !c.aux.isEmpty { o["AuxiliaryAddresses"] = .object(c.aux) }
            return .object(o)
        }
    }

    /// Whether `subnet` holds `data` (an address, or a CIDR's address).
    private static func subnetMatches(_ subnet: String, _ data: String) throws(CLIError) -> Bool {
        guard let network = IPNetwork(cidr: subnet) else { throw CLIError("invalid subnet: invalid CIDR address: \(subnet)") }
        if data.contains("/") {
            guard let other = IPNetwork(cidr: data) else { throw CLIError("invalid CIDR address: \(data)") }
            return network.contains(other.address)
        }
        return IPNetwork.parseIP(data).map(network.contains) ?? false
    }
}

/// An IP network as Go's net.ParseCIDR reads one ("10.1.0.0/16", "fd00::/64"): the address
/// as written and the prefix length.
struct IPNetwork {
    /// 4 bytes for IPv4, 16 for IPv6.
    let address: [UInt8]
    let prefix: Int

    init?(cidr: String) {
        let (addr, mask) = cut(cidr, "/")
        guard let mask, let ip = IPNetwork.parseIP(addr), !mask.isEmpty, mask.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let bits = Int(mask), bits <= ip.count * 8
        else { return nil }
        address = ip
        prefix = bits
    }

    /// net.ParseIP: IPv4 as 4 bytes, IPv6 as 16 (nil for anything else, zones included).
    static func parseIP(_ text: String) -> [UInt8]? {
        var v4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, text, &v4) == 1 { return v4 }
        var v6 = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET6, text, &v6) == 1 { return v6 }
        return nil
    }

    /// IPNet.Contains: IPv4-mapped IPv6 addresses count as IPv4; other families never match.
    func contains(_ ip: [UInt8]) -> Bool {
        let (net, bits) = IPNetwork.unmapped(address, prefix)
        let (addr, _) = IPNetwork.unmapped(ip, 128)
        guard addr.count == net.count else { return false }
        for i in 0..<net.count {
            let maskBits = min(8, max(0, bits - i * 8))
            let mask = UInt8(truncatingIfNeeded: 0xFF00 >> maskBits)
            if addr[i] & mask != net[i] & mask { return false }
        }
        return true
    }

    private static func unmapped(_ ip: [UInt8], _ bits: Int) -> ([UInt8], Int) {
        guard ip.count == 16, ip[0..<10].allSatisfy({ $0 == 0 }), ip[10] == 0xFF, ip[11] == 0xFF else { return (ip, bits) }
        return (Array(ip[12...]), max(0, bits - 96))
    }
}
