/// An IPv4 address.
public struct IPv4Address: Sendable, Hashable, CustomStringConvertible {
    /// The address as a number: `a.b.c.d` is `a << 24 | b << 16 | c << 8 | d`.
    public let value: UInt32

    public init(value: UInt32) {
        self.value = value
    }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Dotted decimal (`172.18.0.1`): four parts 0-255, no leading zeros.
    public init?(_ dotted: some StringProtocol) {
        let parts = dotted.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let byte = Self.decimalByte(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        self.value = value
    }

    /// The four bytes, most significant first (network order).
    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    public var description: String {
        bytes.map(String.init).joined(separator: ".")
    }

    /// The name a PTR query for this address asks about: `1.0.18.172.in-addr.arpa`.
    public var reverseName: String {
        bytes.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa"
    }

    /// The address a reverse name stands for (`1.0.18.172.in-addr.arpa`, any case, with or without
    /// the final dot); nil for anything else.
    public init?(reverseName: String) {
        var name = Substring(reverseName.lowercased())
        if name.hasSuffix(".") { name = name.dropLast() }
        let suffix = ".in-addr.arpa"
        guard name.hasSuffix(suffix) else { return nil }
        let parts = name.dropLast(suffix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, let forward = IPv4Address(parts.reversed().joined(separator: ".")) else { return nil }
        self = forward
    }

    private static func decimalByte(_ digits: some Collection<UInt8>) -> UInt8? {
        guard (1...3).contains(digits.count), digits.count == 1 || digits.first != UInt8(ascii: "0") else { return nil }
        var value = 0
        for c in digits {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(c - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }
}

/// A resolver queries are forwarded to.
public struct DNSUpstream: Sendable, Hashable, CustomStringConvertible {
    public var address: IPv4Address
    public var port: UInt16

    public init(address: IPv4Address, port: UInt16 = 53) {
        self.address = address
        self.port = port
    }

    /// `ip` or `ip:port` (`8.8.8.8`, `127.0.0.53:53`); nil if malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPv4Address(parts[0]) else { return nil }
        var port: UInt16 = 53
        if parts.count == 2 {
            guard let p = UInt16(parts[1]), p != 0 else { return nil }
            port = p
        }
        self.init(address: address, port: port)
    }

    public var description: String { "\(address):\(port)" }
}
