/// `skiff volume create`, `ls`, `inspect` and `rm` (prune is with the other prunes).
enum VolumeCommand {
    /// The swarm cluster-volume options of `volume create` (API 1.42; hidden, as docker
    /// hides them from a daemon that is no swarm manager).
    static let clusterFlags: [Flag] = [
        .value("availability", .string, "Cluster Volume availability (\"active\", \"pause\", \"drain\")", default: "\"active\"", hidden: true),
        .value("group", .string, "Cluster Volume group (cluster volumes)", hidden: true),
        .value("limit-bytes", .bytes, "Minimum size of the Cluster Volume in bytes", hidden: true),
        .value("required-bytes", .bytes, "Maximum size of the Cluster Volume in bytes", hidden: true),
        .value("scope", .string, "Cluster Volume access scope (\"single\", \"multi\")", default: "\"single\"", hidden: true),
        .list("secret", .map, "Cluster Volume secrets", hidden: true),
        .value("sharing", .string, "Cluster Volume access sharing (\"none\", \"readonly\", \"onewriter\", \"all\")", default: "\"none\"", hidden: true),
        .list("topology-preferred", .list, "A topology that the Cluster Volume would be preferred in", hidden: true),
        .list("topology-required", .list, "A topology that the Cluster Volume must be accessible from", hidden: true),
        .value("type", .string, "Cluster Volume access type (\"mount\", \"block\")", default: "\"block\"", hidden: true),
    ]

    static let create = CommandSpec(
        name: "create", usage: "[OPTIONS] [VOLUME]", summary: "Create a volume",
        flags: [
            .value("driver", "d", .string, "Specify volume driver name", default: "\"local\""),
            .list("label", .label, "Set metadata for a volume"),
            .value("name", .string, "Specify volume name", hidden: true),
            .map("opt", "o", "Set driver specific options"),
        ] + clusterFlags,
        arguments: .atMost(1)
    ) { inv in
        try inv.requireAPIVersion(APIVersion(1, 42), for: clusterFlags.map(\.name))
        var name = inv.flags.string("name") ?? ""
        if let positional = inv.args.first {
            if !name.isEmpty {
                throw CLIError("conflicting options: cannot specify a volume-name through both --name and as a positional arg")
            }
            name = positional
        }
        let volume = try inv.client.json("POST", "/volumes/create", body: try createRequest(inv.flags, name: name))
        Output.line(volume["Name"]?.string ?? "")
    }

    /// The body of POST /volumes/create (volume.CreateOptions): empty fields left out, a
    /// ClusterVolumeSpec when a cluster option is given.
    static func createRequest(_ f: ParsedFlags, name: String) throws(CLIError) -> JSON {
        var body = JSONObject()
        let cluster = ["group", "scope", "sharing", "availability", "type", "limit-bytes", "required-bytes"].contains { f.isSet($0) }
        if cluster { body["ClusterVolumeSpec"] = clusterSpec(f) }
        let driver = f.string("driver") ?? "local"
        if !driver.isEmpty { body["Driver"] = .string(driver) }
        if let opts = f.map("opt").object, !opts.isEmpty { body["DriverOpts"] = .object(opts) }
        if let labels = f.map("label").object, !labels.isEmpty { body["Labels"] = .object(labels) }
        if !name.isEmpty { body["Name"] = .string(name) }
        return .object(body)
    }

    private static func clusterSpec(_ f: ParsedFlags) -> JSON {
        var spec = JSONObject()
        if let group = f.string("group"), !group.isEmpty { spec["Group"] = .string(group) }
        var access = JSONObject()
        let scope = f.string("scope") ?? "single", sharing = f.string("sharing") ?? "none"
        if !scope.isEmpty { access["Scope"] = .string(scope) }
        if !sharing.isEmpty { access["Sharing"] = .string(sharing) }
        switch f.string("type") ?? "block" {
        case "mount": access["MountVolume"] = .object(JSONObject())
        case "block": access["BlockVolume"] = .object(JSONObject())
        default: break
        }
        spec["AccessMode"] = .object(access)
        func topologies(_ flag: String) -> [JSON] {
            f.strings(flag).map { topology in
                var segments = JSONObject()
                for segment in topology.split(separator: ",", omittingEmptySubsequences: false) {
                    let (k, v) = cut(String(segment), "=")
                    segments[k] = .string(v ?? "")
                }
                return ["Segments": .object(JSONObject(segments.members.sorted { $0.key < $1.key }))]
            }
        }
        var requirements = JSONObject()
        let requisite = topologies("topology-required"), preferred = topologies("topology-preferred")
        if !requisite.isEmpty { requirements["Requisite"] = .array(requisite) }
        if !preferred.isEmpty { requirements["Preferred"] = .array(preferred) }
        spec["AccessibilityRequirements"] = .object(requirements)
        func bytes(_ flag: String) -> JSON { .number(f.string(flag).flatMap { try? Units.ramInBytes($0) } ?? 0) }
        spec["CapacityRange"] = ["RequiredBytes": bytes("required-bytes"), "LimitBytes": bytes("limit-bytes")]
        let secrets = f.map("secret").object?.members ?? []
        if !secrets.isEmpty {
            spec["Secrets"] = .array(secrets.map { ["Key": .string($0.key), "Secret": $0.value] })
        }
        let availability = f.string("availability") ?? "active"
        if !availability.isEmpty { spec["Availability"] = .string(availability) }
        return .object(spec)
    }

    static let list = CommandSpec(
        name: "ls", aliases: ["list"], usage: "[OPTIONS]", summary: "List volumes",
        aliasPaths: ["skiff volume ls", "skiff volume list"],
        flags: [
            .bool("cluster", "Display only cluster volumes, and use cluster volume list formatting", hidden: true),
            .list("filter", "f", .filter, "Provide filter values (e.g. \"dangling=true\")"),
            .value("format", .string, ListCommand.formatHelp),
            .bool("quiet", "q", "Only display volume names"),
        ],
        arguments: .none
    ) { inv in
        let f = inv.flags
        try inv.requireAPIVersion(APIVersion(1, 42), for: ["cluster"])
        let filters = try Filters(parsing: f.strings("filter"))
        var q = Query()
        if !filters.isEmpty { q.add("filters", filters.json) }
        var volumes = try inv.client.json("GET", "/volumes", query: q)["Volumes"]?.array ?? []
        let quiet = f.bool("quiet")
        var format = f.string("format") ?? ""
        if f.bool("cluster") {
            volumes = volumes.filter { !($0["ClusterVolume"]?.isNull ?? true) }
            format = quiet ? "table" : "table {{.Name}}\t{{.Group}}\t{{.Driver}}\t{{.Availability}}\t{{.Status}}"
        } else if format.isEmpty {
            format = "table"
        }
        switch format {
        case "table": format = quiet ? "{{.Name}}" : "table {{.Driver}}\t{{.Name}}"
        case "raw": format = quiet ? "name: {{.Name}}" : "name: {{.Name}}\\ndriver: {{.Driver}}\\n"
        default: break
        }
        let rows = volumes.sorted { naturalLess($0["Name"]?.string ?? "", $1["Name"]?.string ?? "") }.map(VolumeRecord.init)
        Output.write(1, try Formatter(format: format).render(rows, header: VolumeRecord.header))
    }

    static let inspect = CommandSpec(
        name: "inspect", usage: "[OPTIONS] VOLUME [VOLUME...]", summary: "Display detailed information on one or more volumes",
        flags: [.value("format", "f", .string, InspectCommand.formatHelp)],
        arguments: .atLeast(1)
    ) { inv in
        let client = try inv.client
        try Inspector.run(references: inv.args, format: inv.flags.string("format"), type: { _ in DockerTypes.volume }, rawFallback: false) { ref in
            // docker keeps no raw bytes for volumes: it prints its own struct, marshalled.
            let raw = try client.raw("/volumes/\(Query.escapePath(try objectID("volume", ref)))")
            return Array(DockerTypes.volume.marshal(try JSON.parse(raw)).compactEscapingHTML.utf8)
        }
    }

    static let remove = CommandSpec(
        name: "rm", aliases: ["remove"], usage: "[OPTIONS] VOLUME [VOLUME...]", summary: "Remove one or more volumes",
        description: "Remove one or more volumes. You cannot remove a volume that is in use by a container.",
        aliasPaths: ["skiff volume rm", "skiff volume remove"],
        flags: [.bool("force", "f", "Force the removal of one or more volumes")],
        arguments: .atLeast(1)
    ) { inv in
        let client = try inv.client
        var q = Query()
        q.flag("force", inv.flags.bool("force"))
        try StopCommand.forEach(inv.args) { name in
            try client.call("DELETE", "/volumes/\(Query.escapePath(try objectID("volume", name)))", query: q)
        }
    }
}

extension Invocation {
    /// docker's check of flags newer than the daemon: each one given, in name order, is an
    /// error when the negotiated API version is older than `minimum`.
    func requireAPIVersion(_ minimum: APIVersion, for names: [String]) throws {
        let given = names.filter { flags.isSet($0) }.sorted()
        guard !given.isEmpty else { return }
        let version = try client.version()
        guard version < minimum else { return }
        throw CLIError(given.map {
            "\"--\($0)\" requires API version \(minimum), but the skiff daemon API version is \(version)"
        }.joined(separator: "\n"))
    }
}
