/// `skiff port` / `skiff container port`: a container's published ports from its inspect
/// (`NetworkSettings.Ports`), all of them or those of one private port.
enum PortCommand {
    static let spec = CommandSpec(
        name: "port", usage: "CONTAINER [PRIVATE_PORT[/PROTO]]", summary: "List port mappings or a specific mapping for the container",
        aliasPaths: ["skiff container port", "skiff port"], arguments: .between(1, 2), run: run)

    static func run(_ inv: Invocation) throws {
        let name = inv.args[0]
        let container = try inv.client.json("GET", "/containers/\(Query.escapePath(try objectID("container", name)))/json")
        let ports = container["NetworkSettings"]?["Ports"]?.object ?? JSONObject()
        let lines = try mappings(ports, privatePort: inv.args.count > 1 ? inv.args[1] : nil, container: name)
        if !lines.isEmpty { Output.line(lines.joined(separator: "\n")) }
    }

    /// docker's lines: "80/tcp -> 0.0.0.0:8080" for every binding, or "0.0.0.0:8080" for
    /// those of `privatePort` ("80" is 80/tcp), in natural order.
    static func mappings(_ ports: JSONObject, privatePort: String?, container: String) throws(CLIError) -> [String] {
        func hostPort(_ binding: JSON) -> String {
            let ip = binding["HostIp"]?.string ?? "", port = binding["HostPort"]?.string ?? ""
            return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        }
        var out: [String] = []
        if let privatePort {
            let (port, proto) = cut(privatePort, "/")
            if port.isEmpty || !port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                throw CLIError("Error: invalid port (\(port)): strconv.ParseUint: parsing \(goQuote(port)): invalid syntax")
            }
            if UInt16(port) == nil {
                throw CLIError("Error: invalid port (\(port)): strconv.ParseUint: parsing \(goQuote(port)): value out of range")
            }
            let bindings = ports[port + "/" + ((proto ?? "").isEmpty ? "tcp" : proto!)]?.array ?? []
            if bindings.isEmpty { throw CLIError("Error: No public port '\(privatePort)' published for \(container)") }
            out = bindings.map(hostPort)
        } else {
            for (from, bindings) in ports.members {
                for binding in bindings.array ?? [] { out.append("\(from) -> \(hostPort(binding))") }
            }
        }
        return out.sorted(by: naturalLess)
    }
}
