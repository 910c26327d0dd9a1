/// Where a registry named in an image reference is reached: Docker Hub's `docker.io`
/// is `registry-1.docker.io`; HTTPS, except for loopback registries (as Docker allows
/// them) and those listed as insecure (`--insecure-registry`).
public struct RegistryEndpoint: Sendable, Equatable {
    /// The name in references (`docker.io`, `localhost:5000`).
    public var name: String
    /// host[:port] spoken to.
    public var host: String
    /// `https` or `http`.
    public var scheme: String
    /// Docker's certs.d root: `CERTSDIR/HOST[:PORT]/` holds this registry's CAs and client
    /// certificate (`RegistryTLS`); nil: the system roots only.
    public var certsDir: String?

    public init(name: String, host: String, scheme: String, certsDir: String? = nil) {
        self.name = name
        self.host = host
        self.scheme = scheme
        self.certsDir = certsDir
    }

    public static let dockerHubHost = "registry-1.docker.io"

    public var baseURL: String { "\(scheme)://\(host)" }

    /// The endpoint for a reference's registry. `insecure`: `host[:port]` names or IPv4 CIDRs;
    /// `certsDir`: where per-registry CAs and client certificates are looked up.
    public static func resolve(_ registry: String, insecure: [String] = [], certsDir: String? = nil) -> RegistryEndpoint {
        let name = registry.isEmpty || registry == "index.docker.io" ? "docker.io" : registry
        let host = name == "docker.io" ? dockerHubHost : name
        let plain = isLoopback(host) || isListed(host, in: insecure)
        return RegistryEndpoint(name: name, host: host, scheme: plain ? "http" : "https", certsDir: certsDir)
    }

    /// The host without its port (`[::1]:5000` → `::1`).
    public static func hostname(_ host: String) -> String {
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            return String(host[host.index(after: host.startIndex)..<end])
        }
        if host.filter({ $0 == ":" }).count == 1, let colon = host.lastIndex(of: ":") {
            return String(host[..<colon])
        }
        return host
    }

    /// `localhost`, 127.0.0.0/8 and ::1.
    public static func isLoopback(_ host: String) -> Bool {
        let name = hostname(host).lowercased()
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" { return true }
        if let ip = ipv4(name) { return ip >> 24 == 127 }
        return false
    }

    static func isListed(_ host: String, in insecure: [String]) -> Bool {
        let name = hostname(host)
        for entry in insecure {
            var e = entry
            for prefix in ["http://", "https://"] where e.hasPrefix(prefix) { e.removeFirst(prefix.count) }
            while e.hasSuffix("/") { e.removeLast() }
            if e == host || e == name { return true }
            if let slash = e.firstIndex(of: "/"), let base = ipv4(String(e[..<slash])), let bits = UInt32(e[e.index(after: slash)...]),
               bits <= 32, let ip = ipv4(name) {
                let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
                if ip & mask == base & mask { return true }
            }
        }
        return false
    }

    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }
}
