import SkiffDNS
import Glibc
import SkiffSystem

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
        let (status, output) = Subprocess.run([nft, "-f", "-"], input: Self.script(ruleset))
        guard status == 0 else { throw NetworkError(.system, "nft: \(output.trimmed)") }
        try allowForwarding(ruleset.networks.compactMap { $0.driver == .bridge ? $0.bridge : nil })
    }

    /// Removes our table (and our iptables chain's rules).
    func remove() {
        _ = Subprocess.run([nft, "delete", "table", "ip", Self.table], input: nil)
        if access(iptables, X_OK) == 0, Subprocess.run([iptables, "-w", "-S", "SKIFF-FORWARD"], input: nil).status == 0 {
            _ = Subprocess.run([iptables, "-w", "-D", "FORWARD", "-j", "SKIFF-FORWARD"], input: nil)
            _ = Subprocess.run([iptables, "-w", "-F", "SKIFF-FORWARD"], input: nil)
            _ = Subprocess.run([iptables, "-w", "-X", "SKIFF-FORWARD"], input: nil)
        }
    }

    /// If iptables' FORWARD chain drops by default, accept our bridges' traffic
    /// there (our own table still applies isolation and `--internal`).
    private func allowForwarding(_ bridges: [String]) throws(NetworkError) {
        guard access(iptables, X_OK) == 0 else { return }
        let (status, rules) = Subprocess.run([iptables, "-w", "-S", "FORWARD"], input: nil)
        guard status == 0 else { return }
        let hasOurs = rules.contains("-j SKIFF-FORWARD")
        guard rules.contains("-P FORWARD DROP") || hasOurs else { return }
        _ = Subprocess.run([iptables, "-w", "-N", "SKIFF-FORWARD"], input: nil)
        _ = Subprocess.run([iptables, "-w", "-F", "SKIFF-FORWARD"], input: nil)
        for bridge in bridges {
            for direction in ["-i", "-o"] {
                let (rc, out) = Subprocess.run([iptables, "-w", "-A", "SKIFF-FORWARD", direction, bridge, "-j", "ACCEPT"], input: nil)
                guard rc == 0 else { throw NetworkError(.system, "iptables: \(out.trimmed)") }
            }
        }
        if !hasOurs {
            let (rc, out) = Subprocess.run([iptables, "-w", "-I", "FORWARD", "-j", "SKIFF-FORWARD"], input: nil)
            guard rc == 0 else { throw NetworkError(.system, "iptables: \(out.trimmed)") }
        }
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
