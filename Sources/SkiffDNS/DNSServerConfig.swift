import Glibc

/// Where the servers forward to.
public enum DNSServerConfig {
    /// The IPv4 `nameserver` lines of a resolv.conf, in order (IPv6 ones are skipped: the servers
    /// forward over IPv4). Loopback resolvers (systemd-resolved's 127.0.0.53) are kept: the
    /// servers run in the daemon's network namespace, where they are reachable. A missing file
    /// gives none.
    public static func upstreams(resolvConf: String = "/etc/resolv.conf") -> [DNSUpstream] {
        guard let text = readFile(resolvConf) else { return [] }
        return upstreams(parsing: text)
    }

    /// The IPv4 `nameserver` lines of resolv.conf text.
    public static func upstreams(parsing text: String) -> [DNSUpstream] {
        var found: [DNSUpstream] = []
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver", let address = IPv4Address(fields[1]) else { continue }
            let upstream = DNSUpstream(address: address)
            if !found.contains(upstream) { found.append(upstream) }
        }
        return found
    }

    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
