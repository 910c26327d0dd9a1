import SkiffDNS
import FoundationEssentials

/// A network: the default bridge, `host`, `none`, or a user-defined bridge.
public struct Network: Codable, Sendable, Equatable {
    public enum Driver: String, Codable, Sendable { case bridge, host, null }

    public var id: String
    public var name: String
    public var driver: Driver
    /// RFC 3339.
    public var created: String
    public var subnet: IPv4Subnet?
    public var gateway: IPv4Address?
    /// Where container addresses come from (the subnet when nil).
    public var ipRange: IPv4Subnet?
    /// No route out of it: only its own containers.
    public var isInternal = false
    public var attachable = false
    public var labels: [String: String] = [:]
    public var options: [String: String] = [:]
    /// The bridge device (bridge networks).
    public var bridge: String?

    /// The default `bridge`, `host` and `none` networks, which cannot be removed.
    public var isPredefined: Bool { ["bridge", "host", "none"].contains(name) }
    /// User-defined bridges resolve container names; the default bridge does not (as Docker's).
    public var hasDNS: Bool { driver == .bridge && name != "bridge" }
}

/// A published port: traffic to `hostIP:hostPort` (any local address when
/// `hostIP` is 0.0.0.0) goes to the container's `containerPort`.
public struct PortMapping: Codable, Sendable, Hashable {
    public var proto: String
    public var containerPort: UInt16
    public var hostIP: IPv4Address
    public var hostPort: UInt16

    public init(proto: String, containerPort: UInt16, hostIP: IPv4Address, hostPort: UInt16) {
        self.proto = proto
        self.containerPort = containerPort
        self.hostIP = hostIP
        self.hostPort = hostPort
    }
}

/// What a container asks of a network.
public struct EndpointRequest: Codable, Sendable, Equatable {
    /// Network name, id or id prefix.
    public var network: String
    public var aliases: [String]
    public var address: IPv4Address?

    public init(network: String, aliases: [String] = [], address: IPv4Address? = nil) {
        self.network = network
        self.aliases = aliases
        self.address = address
    }
}

/// A port the container asks to publish; a nil or 0 host port is chosen
/// from the ephemeral range, a range takes its first free port.
public struct PortRequest: Codable, Sendable, Equatable {
    public var proto: String
    public var containerPort: UInt16
    public var hostIP: IPv4Address?
    public var hostPorts: ClosedRange<UInt16>?

    public init(proto: String, containerPort: UInt16, hostIP: IPv4Address? = nil, hostPorts: ClosedRange<UInt16>? = nil) {
        self.proto = proto
        self.containerPort = containerPort
        self.hostIP = hostIP
        self.hostPorts = hostPorts
    }
}

/// A container's place on a network while it runs.
public struct Endpoint: Codable, Sendable, Equatable {
    public var id: String
    public var networkID: String
    public var containerID: String
    public var containerName: String
    public var address: IPv4Address
    public var prefix: Int
    public var gateway: IPv4Address?
    public var mac: String
    /// The host side of the veth pair, and the container side's name.
    public var hostInterface: String
    public var interface: String
    /// Names this endpoint answers to in the network's DNS.
    public var dnsNames: [String]
    public var aliases: [String]
    /// Ports published through this endpoint.
    public var ports: [PortMapping]
}

/// A running container's network: its namespace and endpoints.
public struct Sandbox: Codable, Sendable, Equatable {
    /// The bind-mounted network namespace (the runtime joins it by path).
    public var path: String
    public var endpoints: [Endpoint]
    public var ports: [PortMapping] { endpoints.flatMap(\.ports) }
}
