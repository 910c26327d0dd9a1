import SkiffDNS

/// What networks need of an address beyond the DNS server's: order,
/// Codable as dotted text, loopback and unspecified.
extension IPv4Address: Comparable, Codable {
    public init(_ value: UInt32) { self.init(value: value) }

    public init(bytes: [UInt8]) {
        self.init(value: bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
    }

    public var isLoopback: Bool { value >> 24 == 127 }
    public var isUnspecified: Bool { value == 0 }

    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = IPv4Address(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid IPv4 address \(text)"))
        }
        self = address
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An IPv4 network in CIDR form ("172.17.0.0/16").
public struct IPv4Subnet: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The network address (host bits zero).
    public var address: IPv4Address
    public var prefix: Int

    public init(_ address: IPv4Address, prefix: Int) {
        self.prefix = max(0, min(prefix, 32))
        self.address = IPv4Address(address.value & Self.mask(self.prefix))
    }

    /// Parses "a.b.c.d/n". `strict` refuses host bits set (Docker: "invalid subnet").
    public init?(_ text: some StringProtocol, strict: Bool = false) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(parts[0]), let prefix = Int(parts[1]), (0...32).contains(prefix) else {
            return nil
        }
        if strict && address.value & ~Self.mask(prefix) != 0 { return nil }
        self.init(address, prefix: prefix)
    }

    public var description: String { "\(address)/\(prefix)" }
    public var mask: UInt32 { Self.mask(prefix) }
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefix) }
    public var broadcast: IPv4Address { IPv4Address(address.value | ~mask) }

    public func contains(_ ip: IPv4Address) -> Bool { ip.value & mask == address.value }
    public func overlaps(_ other: IPv4Subnet) -> Bool { contains(other.address) || other.contains(address) }
    /// The `n`th address of the subnet (0 is the network address).
    public func host(_ n: UInt32) -> IPv4Address { IPv4Address(address.value &+ n) }

    static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix) }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let subnet = IPv4Subnet(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid subnet \(text)"))
        }
        self = subnet
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A MAC address as Docker derives it from an IPv4 address: 02:42 then the address.
public struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(for ip: IPv4Address) { bytes = [0x02, 0x42] + ip.bytes }

    /// A random locally administered unicast address.
    public static func random() -> MACAddress {
        var bytes = (0..<6).map { _ in UInt8.random(in: 0...255) }
        bytes[0] = (bytes[0] & 0xfe) | 0x02
        return MACAddress(bytes: bytes)
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.bytes = bytes
    }

    public var description: String {
        bytes.map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined(separator: ":")
    }
}
