/// `skiff network ls`, `inspect`, `rm`, `connect` and `disconnect` (create and prune have
/// files of their own).
enum NetworkCommand {
    static let list = CommandSpec(
        name: "ls", aliases: ["list"], usage: "[OPTIONS]", summary: "List networks",
        aliasPaths: ["skiff network ls", "skiff network list"],
        flags: [
            .list("filter", "f", .filter, "Provide filter values (e.g. \"driver=bridge\")"),
            .value("format", .string, ListCommand.formatHelp),
            .bool("no-trunc", "Do not truncate the output"),
            .bool("quiet", "q", "Only display network IDs"),
        ],
        arguments: .none
    ) { inv in
        let f = inv.flags
        let filters = try Filters(parsing: f.strings("filter"))
        var q = Query()
        if !filters.isEmpty { q.add("filters", filters.json) }
        let networks = (try inv.client.json("GET", "/networks", query: q).array ?? [])
            .sorted { naturalLess($0["Name"]?.string ?? "", $1["Name"]?.string ?? "") }
        let format: String
        switch f.string("format") ?? "" {
        case "", "table": format = f.bool("quiet") ? "{{.ID}}" : "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
        case "raw":
            format = f.bool("quiet") ? "network_id: {{.ID}}" : "network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n"
        case let custom: format = custom
        }
        let rows = networks.map { NetworkRecord(summary: $0, truncate: !f.bool("no-trunc")) }
        Output.write(1, try Formatter(format: format).render(rows, header: NetworkRecord.header))
    }

    static let inspect = CommandSpec(
        name: "inspect", usage: "[OPTIONS] NETWORK [NETWORK...]", summary: "Display detailed information on one or more networks",
        flags: [
            .value("format", "f", .string, InspectCommand.formatHelp),
            .bool("verbose", "v", "Verbose output for diagnostics"),
        ],
        arguments: .atLeast(1)
    ) { inv in
        let client = try inv.client
        var q = Query()
        if inv.flags.bool("verbose") { q.add("verbose", "true") }
        try Inspector.run(references: inv.args, format: inv.flags.string("format"), type: { _ in DockerTypes.network }) { ref in
            try client.raw("/networks/\(Query.escapePath(try objectID("network", ref)))", query: q)
        }
    }

    static let remove = CommandSpec(
        name: "rm", aliases: ["remove"], usage: "NETWORK [NETWORK...]", summary: "Remove one or more networks",
        aliasPaths: ["skiff network rm", "skiff network remove"],
        flags: [.bool("force", "f", "Do not error if the network does not exist")],
        arguments: .atLeast(1)
    ) { inv in
        let client = try inv.client
        var failed = false
        for name in inv.args {
            do {
                try client.call("DELETE", "/networks/\(Query.escapePath(try objectID("network", name)))")
                Output.line(name)
            } catch let error as DaemonError where inv.flags.bool("force") && error.isNotFound {
                continue
            } catch {
                Output.error(errorText(error))
                failed = true
            }
        }
        // docker's StatusError carries this text, and its main prints it.
        if failed { throw CLIError("exit status 1") }
    }

    static let connect = CommandSpec(
        name: "connect", usage: "[OPTIONS] NETWORK CONTAINER", summary: "Connect a container to a network",
        flags: [
            .list("alias", .stringSlice, "Add network-scoped alias for the container"),
            .list("driver-opt", .stringSlice, "driver options for the network"),
            .value("gw-priority", .int, "Highest gw-priority provides the default gateway. Accepts positive and negative values."),
            .value("ip", .string, "IPv4 address (e.g., \"172.30.100.104\")"),
            .value("ip6", .string, "IPv6 address (e.g., \"2001:db8::33\")"),
            .list("link", .link, "Add link to another container"),
            .list("link-local-ip", .stringSlice, "Add a link-local address for the container"),
        ],
        arguments: .exactly(2)
    ) { inv in
        // docker's order of checks: driver options, then the network, then the container.
        let body = try connectRequest(inv.flags, container: inv.args[1].trimmingSpaces)
        let network = try objectID("network", inv.args[0])
        _ = try objectID("container", inv.args[1])
        try inv.client.call("POST", "/networks/\(Query.escapePath(network))/connect", body: body)
    }

    static let disconnect = CommandSpec(
        name: "disconnect", usage: "[OPTIONS] NETWORK CONTAINER", summary: "Disconnect a container from a network",
        flags: [.bool("force", "f", "Force the container to disconnect from a network")],
        arguments: .exactly(2)
    ) { inv in
        let network = try objectID("network", inv.args[0])
        let body: JSON = ["Container": .string(try objectID("container", inv.args[1])), "Force": .bool(inv.flags.bool("force"))]
        try inv.client.call("POST", "/networks/\(Query.escapePath(network))/disconnect", body: body)
    }

    /// The body of POST /networks/{id}/connect (network.ConnectOptions) for `connect`'s flags.
    static func connectRequest(_ f: ParsedFlags, container: String) throws(CLIError) -> JSON {
        var driverOpts = JSONObject()
        for opt in f.slice("driver-opt") {
            let (k, v) = cut(opt, "=")
            let key = k.trimmingSpaces
            guard let v, !key.isEmpty else { throw CLIError("invalid key/value pair format in driver options") }
            driverOpts[key] = .string(v.trimmingSpaces)
        }
        var ipam = JSONObject()
        if let ip = f.string("ip"), !ip.isEmpty { ipam["IPv4Address"] = .string(ip) }
        if let ip6 = f.string("ip6"), !ip6.isEmpty { ipam["IPv6Address"] = .string(ip6) }
        let linkLocal = f.slice("link-local-ip")
        if !linkLocal.isEmpty { ipam["LinkLocalIPs"] = .array(linkLocal.map { .string($0) }) }
        let links = f.strings("link")
        let endpoint: JSONObject = [
            "IPAMConfig": .object(ipam),
            "Links": links.isEmpty ? .null : .array(links.map { .string($0) }),
            "Aliases": .array(f.slice("alias").map { .string($0) }),
            "MacAddress": "",
            "DriverOpts": .object(JSONObject(driverOpts.members.sorted { $0.key < $1.key })),
            "GwPriority": .number(f.int("gw-priority") ?? 0),
            "NetworkID": "", "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
            "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": .null,
        ]
        return ["Container": .string(container), "EndpointConfig": .object(endpoint)]
    }
}

/// A network, volume or container reference as docker's client takes it: spaces trimmed,
/// an empty one refused before any request.
func objectID(_ kind: String, _ reference: String) throws(CLIError) -> String {
    let id = reference.trimmingSpaces
    if id.isEmpty { throw CLIError("invalid \(kind) name or ID: value is empty") }
    return id
}
