import SkiffDNS
import Glibc

/// Packet filtering and NAT for skiff's bridges, in an nftables table of its
/// own (`ip skiff`), replaced as a whole and atomically on every change: it
/// never touches another table. Where another engine has set iptables'
/// FORWARD policy to DROP (dockerd does), a chain of ours (SKIFF-FORWARD),
/// jumped to from FORWARD, lets our bridges' traffic through.
struct Firewall {
    static let table = "skiff"
    var nft = "/usr/sbin/nft"
    var iptables = "/usr/sbin/iptables"

    /// The bridges to route for and the ports to publish.
    struct Ruleset: Equatable {
        var networks: [Network]
        var ports: [(mapping: PortMapping, address: IPv4Address)]

        static func == (a: Ruleset, b: Ruleset) -> Bool {
            a.networks == b.networks && a.ports.map(\.mapping) == b.ports.map(\.mapping) && a.ports.map(\.address) == b.ports.map(\.address)
        }
    }

    /// The nft script that replaces our table with `ruleset`.
    static func script(_ ruleset: Ruleset) -> String {
        let bridges = ruleset.networks.filter { $0.driver == .bridge && $0.bridge != nil && $0.subnet != nil }
        let names = bridges.map { "\"\($0.bridge!)\"" }
        var s = "table ip \(table) {}\ndelete table ip \(table)\ntable ip \(table) {\n"
        for proto in ["tcp", "udp"] {
            s += "  map \(proto)_addr { type ipv4_addr . inet_service : ipv4_addr . inet_service;"
            let specific = ruleset.ports.filter { $0.mapping.proto == proto && !$0.mapping.hostIP.isUnspecified }
            if !specific.isEmpty {
                s += " elements = { " + specific.map { "\($0.mapping.hostIP) . \($0.mapping.hostPort) : \($0.address) . \($0.mapping.containerPort)" }.joined(separator: ", ") + " };"
            }
            s += " }\n"
            s += "  map \(proto)_any { type inet_service : ipv4_addr . inet_service;"
            let any = ruleset.ports.filter { $0.mapping.proto == proto && $0.mapping.hostIP.isUnspecified }
            if !any.isEmpty {
                s += " elements = { " + any.map { "\($0.mapping.hostPort) : \($0.address) . \($0.mapping.containerPort)" }.joined(separator: ", ") + " };"
            }
            s += " }\n"
        }
        s += """
              chain published {
                dnat ip to ip daddr . tcp dport map @tcp_addr
                dnat ip to tcp dport map @tcp_any
                dnat ip to ip daddr . udp dport map @udp_addr
                dnat ip to udp dport map @udp_any
              }
              chain prerouting {
                type nat hook prerouting priority -100; policy accept;
                fib daddr type local jump published
              }
              chain output {
                type nat hook output priority -100; policy accept;
                fib daddr type local jump published
              }
              chain postrouting {
                type nat hook postrouting priority 100; policy accept;

            """
        for network in bridges {
            let br = network.bridge!, subnet = network.subnet!
            if !network.isInternal {
                s += "    ip saddr \(subnet) oifname != \"\(br)\" masquerade\n"
            }
            // Published ports reached from the host's loopback, and from the bridge itself (hairpin).
            s += "    oifname \"\(br)\" ip saddr 127.0.0.0/8 masquerade\n"
            s += "    oifname \"\(br)\" ip saddr \(subnet) ct status dnat masquerade\n"
        }
        s += "  }\n"
        s += "  chain forward {\n    type filter hook forward priority filter; policy accept;\n"
        s += "    ct state established,related accept\n"
        for network in bridges where network.isInternal {
            let br = network.bridge!
            s += "    iifname \"\(br)\" oifname != \"\(br)\" drop\n"
            s += "    oifname \"\(br)\" iifname != \"\(br)\" drop\n"
        }
        if !names.isEmpty {
            s += "    ct status dnat accept\n"
        }
        for network in bridges {
            let br = network.bridge!
            let others = names.filter { $0 != "\"\(br)\"" }
            if !others.isEmpty {
                s += "    iifname \"\(br)\" oifname { \(others.joined(separator: ", ")) } drop\n"
            }
            // Nothing reaches a container from outside unless published.
            s += "    oifname \"\(br)\" iifname != \"\(br)\" ct state new drop\n"
        }
        s += "  }\n}\n"
        return s
    }

    /// Replaces our table with `ruleset`, atomically.
    func apply(_ ruleset: Ruleset) throws(NetworkError) {
        guard access(nft, X_OK) == 0 else {
            throw NetworkError(.system, "nftables: \(nft) not found (scripts/deps.sh installs nftables)")
        }
        let (status, output) = Self.run([nft, "-f", "-"], input: Self.script(ruleset))
        guard status == 0 else { throw NetworkError(.system, "nft: \(output.trimmed)") }
        try allowForwarding(ruleset.networks.compactMap { $0.driver == .bridge ? $0.bridge : nil })
    }

    /// Removes our table (and our iptables chain's rules).
    func remove() {
        _ = Self.run([nft, "delete", "table", "ip", Self.table], input: nil)
        if access(iptables, X_OK) == 0, Self.run([iptables, "-w", "-S", "SKIFF-FORWARD"], input: nil).status == 0 {
            _ = Self.run([iptables, "-w", "-D", "FORWARD", "-j", "SKIFF-FORWARD"], input: nil)
            _ = Self.run([iptables, "-w", "-F", "SKIFF-FORWARD"], input: nil)
            _ = Self.run([iptables, "-w", "-X", "SKIFF-FORWARD"], input: nil)
        }
    }

    /// If iptables' FORWARD chain drops by default, accept our bridges' traffic
    /// there (our own table still applies isolation and `--internal`).
    private func allowForwarding(_ bridges: [String]) throws(NetworkError) {
        guard access(iptables, X_OK) == 0 else { return }
        let (status, rules) = Self.run([iptables, "-w", "-S", "FORWARD"], input: nil)
        guard status == 0 else { return }
        let hasOurs = rules.contains("-j SKIFF-FORWARD")
        guard rules.contains("-P FORWARD DROP") || hasOurs else { return }
        _ = Self.run([iptables, "-w", "-N", "SKIFF-FORWARD"], input: nil)
        _ = Self.run([iptables, "-w", "-F", "SKIFF-FORWARD"], input: nil)
        for bridge in bridges {
            for direction in ["-i", "-o"] {
                let (rc, out) = Self.run([iptables, "-w", "-A", "SKIFF-FORWARD", direction, bridge, "-j", "ACCEPT"], input: nil)
                guard rc == 0 else { throw NetworkError(.system, "iptables: \(out.trimmed)") }
            }
        }
        if !hasOurs {
            let (rc, out) = Self.run([iptables, "-w", "-I", "FORWARD", "-j", "SKIFF-FORWARD"], input: nil)
            guard rc == 0 else { throw NetworkError(.system, "iptables: \(out.trimmed)") }
        }
    }

    /// Runs a command with `input` on stdin; returns its status and output (stdout and stderr).
    static func run(_ argv: [String], input: String?) -> (status: Int32, output: String) {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1]
        guard pipe(&inPipe) == 0 else { return (-1, "pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&outPipe) == 0 else {
            close(inPipe[0]); close(inPipe[1])
            return (-1, "pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 2)
        for fd in inPipe + outPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        close(inPipe[0])
        close(outPipe[1])
        if rc == 0, let input {
            let bytes = Array(input.utf8)
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { write(inPipe[1], $0.baseAddress, $0.count) }
                if n <= 0 { if errno == EINTR { continue } else { break } }
                offset += n
            }
        }
        close(inPipe[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(outPipe[0], &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        close(outPipe[0])
        guard rc == 0 else { return (-1, "\(argv[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, String(decoding: output, as: UTF8.self))
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
