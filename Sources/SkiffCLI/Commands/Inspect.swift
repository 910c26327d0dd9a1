/// `skiff inspect` (any object), `skiff container inspect` and `skiff image inspect`.
enum InspectCommand {
    static let types = ["config", "container", "image", "network", "node", "plugin", "secret", "service", "task", "volume"]

    static let formatHelp = "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates"

    static let spec = CommandSpec(
        name: "inspect", usage: "[OPTIONS] NAME|ID [NAME|ID...]", summary: "Return low-level information on Docker objects",
        flags: [
            .value("format", "f", .string, formatHelp),
            .bool("size", "s", "Display total file sizes if the type is container"),
            .value("type", .string, "Only inspect objects of the given type"),
        ],
        arguments: .atLeast(1), run: run)

    static let container = CommandSpec(
        name: "inspect", usage: "[OPTIONS] CONTAINER [CONTAINER...]", summary: "Display detailed information on one or more containers",
        flags: [.value("format", "f", .string, formatHelp), .bool("size", "s", "Display total file sizes")],
        arguments: .atLeast(1)
    ) { inv in
        let client = try inv.client
        try Inspector.run(references: inv.args, format: inv.flags.string("format"), type: { _ in DockerTypes.container }) { ref in
            try containerJSON(client, ref, size: inv.flags.bool("size"))
        }
    }

    static let image = CommandSpec(
        name: "inspect", usage: "[OPTIONS] IMAGE [IMAGE...]", summary: "Display detailed information on one or more images",
        flags: [
            .value("format", "f", .string, formatHelp),
            .value("platform", .string, "Inspect a specific platform of the multi-platform image."),
        ],
        arguments: .atLeast(1)
    ) { inv in
        let client = try inv.client
        try Inspector.run(references: inv.args, format: inv.flags.string("format"), type: { _ in DockerTypes.image }, view: imageView) { ref in
            try client.raw("/images/\(Query.escapePath(ref))/json")
        }
    }

    /// An image as docker's templates see it: `Config` is an OCI image config (only its
    /// fields, empty ones left out), whatever the daemon sent.
    static func imageView(_ image: JSON) -> JSON {
        guard case .object(var o) = image, let config = o["Config"]?.object else { return image }
        let fields = ["User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "StopSignal",
            "ArgsEscaped", "Healthcheck", "OnBuild", "Shell"]
        var projected = JSONObject()
        for key in fields {
            guard let v = config[key] else { continue }
            switch v {
            case .null, .bool(false), .string(""): continue
            case .array(let a) where a.isEmpty: continue
            case .object(let m) where m.isEmpty: continue
            default: projected[key] = v
            }
        }
        o["Config"] = .object(projected)
        return .object(o)
    }

    static func containerJSON(_ client: APIClient, _ ref: String, size: Bool) throws -> [UInt8] {
        var q = Query()
        q.flag("size", size)
        return try client.raw("/containers/\(Query.escapePath(ref))/json", query: q)
    }

    static func run(_ inv: Invocation) throws {
        let type = inv.flags.string("type") ?? ""
        if inv.flags.isSet("type") && type.isEmpty {
            throw CLIError("type is empty: must be one of \"\(types.joined(separator: "\", \""))\"")
        }
        guard type.isEmpty || types.contains(type) else {
            throw CLIError("unknown type: \(goQuote(type)): must be one of \"\(types.joined(separator: "\", \""))\"")
        }
        let client = try inv.client
        let size = inv.flags.bool("size")
        let lookups: [(String, (String) throws -> [UInt8])] = [
            ("container", { try containerJSON(client, $0, size: size) }),
            ("image", { try client.raw("/images/\(Query.escapePath($0))/json") }),
            ("network", { try client.raw("/networks/\(Query.escapePath($0))") }),
            ("volume", { try client.raw("/volumes/\(Query.escapePath($0))") }),
        ]
        // Objects by id (volumes, which have none, by name) → their kind.
        var kinds: [String: String] = [:]
        let key = { (value: JSON) -> String in value["Id"]?.string ?? value["Name"]?.string ?? "" }
        let view = { (value: JSON) -> JSON in
            kinds[key(value)] == "image" ? imageView(value) : value
        }
        let goType = { (value: JSON) -> GoType? in
            switch kinds[key(value)] {
            case "container": return DockerTypes.container
            case "image": return DockerTypes.image
            case "network": return DockerTypes.network
            case "volume": return DockerTypes.volume
            default: return nil
            }
        }
        try Inspector.run(references: inv.args, format: inv.flags.string("format"), type: goType, view: view) { ref in
            for (kind, lookup) in lookups where type.isEmpty || type == kind {
                do {
                    let raw = try lookup(ref)
                    if size && kind != "container" { Output.error("WARNING: --size ignored for \(kind)") }
                    if let object = try? JSON.parse(raw) { kinds[key(object)] = kind }
                    return raw
                } catch let error as DaemonError where type.isEmpty && (error.isNotFound || error.statusCode == 501) {
                    continue
                }
            }
            throw CLIError("Error: No such object: \(ref)")
        }
    }
}
