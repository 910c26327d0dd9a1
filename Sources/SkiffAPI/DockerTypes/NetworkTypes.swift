/// Docker's network shapes (API v1.47 `Network`, `NetworkCreateRequest`, ...).

/// `Network` in `GET /networks` and `GET /networks/{id}`.
struct NetworkResource: Encodable, Sendable, Equatable {
    var name: String
    var id: String
    var created: String
    var scope = "local"
    var driver: String
    var enableIPv4 = true
    var enableIPv6 = false
    var ipam: IPAM
    var isInternal = false
    var attachable = false
    var ingress = false
    var configFrom = ConfigReference()
    var configOnly = false
    var containers: [String: NetworkContainer] = [:]
    var options: [String: String] = [:]
    var labels: [String: String] = [:]

    enum CodingKeys: String, CodingKey {
        case name = "Name", id = "Id", created = "Created", scope = "Scope", driver = "Driver"
        case enableIPv4 = "EnableIPv4", enableIPv6 = "EnableIPv6", ipam = "IPAM", isInternal = "Internal"
        case attachable = "Attachable", ingress = "Ingress", configFrom = "ConfigFrom", configOnly = "ConfigOnly"
        case containers = "Containers", options = "Options", labels = "Labels"
    }

    struct ConfigReference: Encodable, Sendable, Equatable {
        var network = ""
        enum CodingKeys: String, CodingKey { case network = "Network" }
    }
}

/// `IPAM`: address management of a network.
struct IPAM: Codable, Sendable, Equatable {
    var driver: String?
    var options: [String: String]?
    var config: [IPAMConfig]?

    enum CodingKeys: String, CodingKey { case driver = "Driver", options = "Options", config = "Config" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(driver ?? "default", forKey: .driver)
        try c.encodeGo(options, forKey: .options)
        try c.encode(config ?? [], forKey: .config)
    }
}

/// `IPAMConfig`: one address pool.
struct IPAMConfig: Codable, Sendable, Equatable {
    var subnet: String?
    var ipRange: String?
    var gateway: String?
    var auxiliaryAddresses: [String: String]?

    enum CodingKeys: String, CodingKey {
        case subnet = "Subnet", ipRange = "IPRange", gateway = "Gateway", auxiliaryAddresses = "AuxiliaryAddresses"
    }
}

/// `NetworkContainer`: a container's endpoint as the network lists it.
struct NetworkContainer: Encodable, Sendable, Equatable {
    var name: String
    var endpointID: String
    var macAddress: String
    var ipv4Address: String
    var ipv6Address = ""

    enum CodingKeys: String, CodingKey {
        case name = "Name", endpointID = "EndpointID", macAddress = "MacAddress", ipv4Address = "IPv4Address", ipv6Address = "IPv6Address"
    }
}

/// `POST /networks/create` body.
struct NetworkCreateRequest: Decodable, Sendable {
    var name: String?
    var driver: String?
    var scope: String?
    var isInternal: Bool?
    var attachable: Bool?
    var ingress: Bool?
    var configOnly: Bool?
    var ipam: IPAM?
    var enableIPv6: Bool?
    var options: [String: String]?
    var labels: [String: String]?

    enum CodingKeys: String, CodingKey {
        case name = "Name", driver = "Driver", scope = "Scope", isInternal = "Internal", attachable = "Attachable"
        case ingress = "Ingress", configOnly = "ConfigOnly", ipam = "IPAM", enableIPv6 = "EnableIPv6"
        case options = "Options", labels = "Labels"
    }
}

struct NetworkCreateResponse: Encodable, Sendable {
    var id: String
    var warning = ""
    enum CodingKeys: String, CodingKey { case id = "Id", warning = "Warning" }
}

/// `POST /networks/{id}/connect` body.
struct NetworkConnectRequest: Decodable, Sendable {
    var container: String?
    var endpointConfig: EndpointSettings?
    enum CodingKeys: String, CodingKey { case container = "Container", endpointConfig = "EndpointConfig" }
}

/// `POST /networks/{id}/disconnect` body.
struct NetworkDisconnectRequest: Decodable, Sendable {
    var container: String?
    var force: Bool?
    enum CodingKeys: String, CodingKey { case container = "Container", force = "Force" }
}

struct NetworkPruneResponse: Encodable, Sendable {
    var networksDeleted: [String]
    enum CodingKeys: String, CodingKey { case networksDeleted = "NetworksDeleted" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeGo(networksDeleted.isEmpty ? nil : networksDeleted, forKey: .networksDeleted)
    }
}
