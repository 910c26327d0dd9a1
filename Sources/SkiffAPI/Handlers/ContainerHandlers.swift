import Glibc
import SkiffEngine
import SkiffMonitor
import SkiffNetwork

/// Container routes (`/containers/...`); exec routes are in ExecHandlers.
func registerContainerRoutes(_ router: inout Router, engine: Engine) {
    router.post("/containers/create") { request in
        let body = try await request.body.decode(ContainerCreateRequest.self)
        let config = try ContainerTranslation.configuration(body)
        let name = request.query.string("name").flatMap { $0.isEmpty ? nil : $0 }
        let container = try await engine.create(name: name.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 }, config: config)
        return try .json(ContainerCreateResponse(id: container.id), status: 201)
    }

    router.get("/containers/json") { request in
        let all = request.query.bool("all") ?? false
        let limit = try request.query.int("limit") ?? -1
        let filters = try request.query.filters()
        var containers = await engine.list()
        let now = Int64(time(nil))
        if !all && limit <= 0 && filters["status"] == nil && filters["exited"] == nil {
            containers = containers.filter { $0.state.isRunning }
        }
        let networks = await engine.networks.list()
        containers = try ContainerFilter(filters).apply(containers, networks: networks)
        if limit > 0 { containers = Array(containers.prefix(limit)) }
        var summaries = containers.map { ContainerTranslation.summary($0, now: now, networks: networks) }
        // As dockerd: the image as given while that name still means the container's
        // image, else the image's id.
        var current: [String: String] = [:]
        for (i, c) in containers.enumerated() where c.config.image != c.imageID {
            if current[c.config.image] == nil {
                current[c.config.image] = (try? await engine.images.resolve(c.config.image))?.id.description ?? ""
            }
            if current[c.config.image] != c.imageID { summaries[i].image = c.imageID }
        }
        if request.query.bool("size") ?? false {
            for (i, c) in containers.enumerated() {
                (summaries[i].sizeRw, summaries[i].sizeRootFs) = await engine.sizes(of: c)
            }
        }
        return try .json(summaries)
    }

    router.post("/containers/prune") { request in
        let filters = try request.query.filters()
        for key in filters.keys where key != "until" && key != "label" && key != "label!" {
            throw APIError.badRequest("invalid filter '\(key)'")
        }
        let until = try filters["until"]?.first.map { text throws(APIError) -> Int64 in
            guard let t = dockerTimestamp(text) else { throw .badRequest("invalid filter 'until=\(text)'") }
            return t
        }
        var deleted: [String] = []
        var reclaimed: Int64 = 0
        for c in await engine.list() where !c.state.isRunning {
            if let until, (RFC3339.parse(c.created) ?? 0) >= until { continue }
            if !ContainerFilter.labelsMatch(c.config.labels, filters["label"] ?? [], negated: filters["label!"] ?? []) { continue }
            let size = await engine.writableLayerSize(c.id)
            if (try? await engine.remove(c.id, force: false, volumes: false)) != nil {
                deleted.append(c.id)
                reclaimed += size
            }
        }
        engine.events.publish(.container, "prune", id: "", attributes: ["reclaimed": String(reclaimed)])
        return try .json(ContainerPruneResponse(containersDeleted: deleted, spaceReclaimed: reclaimed))
    }

    router.get("/containers/{id}/json") { request in
        let container = try await engine.container(request.param("id"))
        var inspect = ContainerTranslation.inspect(container, engine: engine, networks: await engine.networks.list())
        if request.query.bool("size") ?? false { (inspect.sizeRw, inspect.sizeRootFs) = await engine.sizes(of: container) }
        return try .json(inspect)
    }

    router.post("/containers/{id}/start") { request in
        try await engine.start(request.param("id"))
        return .noContent
    }

    router.post("/containers/{id}/stop") { request in
        try await engine.stop(request.param("id"), signal: request.query.string("signal").flatMap { $0.isEmpty ? nil : $0 },
                              timeout: try request.query.int("t"))
        return .noContent
    }

    router.post("/containers/{id}/restart") { request in
        try await engine.restart(request.param("id"), signal: request.query.string("signal").flatMap { $0.isEmpty ? nil : $0 },
                                 timeout: try request.query.int("t"))
        return .noContent
    }

    router.post("/containers/{id}/kill") { request in
        try await engine.kill(request.param("id"), signal: request.query.string("signal").flatMap { $0.isEmpty ? nil : $0 })
        return .noContent
    }

    router.delete("/containers/{id}") { request in
        try await engine.remove(request.param("id"), force: request.query.bool("force") ?? false, volumes: request.query.bool("v") ?? false)
        return .noContent
    }

    router.post("/containers/{id}/wait") { request in
        let id = try await engine.container(request.param("id")).id
        let raw = request.query.string("condition") ?? ""
        guard let condition = raw.isEmpty ? .notRunning : WaitCondition(rawValue: raw) else {
            throw APIError.badRequest("invalid condition: \"\(raw)\"")
        }
        // Registered now, its head out at once: docker run waits on it before start.
        let waiting = try await engine.waiting(id, condition: condition)
        return .stream(contentType: "application/json") { writer in
            let state = await waiting.value()
            // dockerd leaves Error empty here too (a failed start was already reported by start).
            try await writer.writeJSON(ContainerWaitResponse(statusCode: Int(state.exitCode)))
        }
    }

    router.post("/containers/{id}/resize") { request in
        guard let h = try request.query.int("h"), let w = try request.query.int("w"), h >= 0, w >= 0 else {
            throw APIError.badRequest("resize: h and w are required")
        }
        try await engine.resize(request.param("id"), rows: h, cols: w)
        return APIResponse(status: 200)
    }

    router.get("/containers/{id}/logs") { request in
        let container = try await engine.container(request.param("id"))
        var options = LogOptions()
        options.stdout = request.query.bool("stdout") ?? false
        options.stderr = request.query.bool("stderr") ?? false
        guard options.stdout || options.stderr else {
            throw APIError.badRequest("Bad parameters: you must choose at least one stream")
        }
        options.follow = request.query.bool("follow") ?? false
        if let tail = request.query.string("tail"), tail != "all", !tail.isEmpty {
            guard let n = Int(tail) else { throw APIError.badRequest("invalid tail: \(tail)") }
            options.tail = n < 0 ? nil : n
        }
        options.since = Double(request.query.string("since") ?? "") ?? 0
        options.until = Double(request.query.string("until") ?? "") ?? 0
        let timestamps = request.query.bool("timestamps") ?? false
        let tty = container.config.tty
        let entries = try await engine.logs(container.id, options: options)
        let contentType = tty || !request.apiVersionAtLeast("1.42") ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"
        return .stream(contentType: contentType) { writer in
            for await entry in entries {
                var payload = entry.line
                if timestamps { payload = Array((entry.time + " ").utf8) + payload }
                try await writer.write(tty ? payload : Frame.encode(stream: entry.stream, payload))
            }
        }
    }

    router.post("/containers/{id}/attach") { request in
        let container = try await engine.container(request.param("id"))
        let stdin = request.query.bool("stdin") ?? false
        let stdout = request.query.bool("stdout") ?? false
        let stderr = request.query.bool("stderr") ?? false
        guard request.query.bool("stream") ?? false || request.query.bool("logs") ?? false else {
            throw APIError.badRequest("Bad parameters: you must choose at least one stream")
        }
        let keys = try DetachKeys(request.query.string("detachKeys"))
        let tty = container.config.tty
        let contentType = tty || !request.apiVersionAtLeast("1.42") ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"
        // Registered before the response goes out: the client starts the container right after it.
        let attachment = try await engine.attach(container.id, stdin: stdin && container.config.openStdin, stdout: stdout, stderr: stderr)
        return .hijack(contentType: contentType) { client in
            guard let monitor = await attachment.value() else { return }
            defer { monitor.close() }
            try await Pump.attach(client: client, monitor: monitor, stdin: stdin && container.config.openStdin, tty: tty, keys: keys.forTerminal(tty))
        }
    }
    registerExecRoutes(&router, engine: engine)
}

/// Docker's `filters` for `GET /containers/json`.
struct ContainerFilter {
    let filters: [String: [String]]

    init(_ filters: [String: [String]]) {
        self.filters = filters
    }

    /// The containers that pass; `networks` names the ones they are on.
    func apply(_ containers: [Container], networks: [Network] = []) throws(APIError) -> [Container] {
        for key in filters.keys {
            let known = ["id", "name", "label", "status", "exited", "ancestor", "health", "before", "since", "network", "volume", "is-task", "publish", "expose"]
            guard known.contains(key) else { throw .badRequest("invalid filter '\(key)'") }
        }
        for status in filters["status"] ?? [] {
            let valid = ["created", "restarting", "running", "removing", "paused", "exited", "dead"]
            guard valid.contains(status) else {
                throw .badRequest("invalid filter 'status=\(status)'")
            }
        }
        let published = try Self.ports(filters["publish"], key: "publish")
        let exposed = try Self.ports(filters["expose"], key: "expose")
        let byID = Dictionary(networks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let before = try filters["before"]?.first.map { ref throws(APIError) in try find(ref, in: containers) }
        let since = try filters["since"]?.first.map { ref throws(APIError) in try find(ref, in: containers) }
        return containers.filter { c in
            if let ids = filters["id"], !ids.contains(where: { c.id.hasPrefix($0) }) { return false }
            if let names = filters["name"], !names.contains(where: { nameMatches($0, "/" + c.name) || nameMatches($0, c.name) }) { return false }
            if let statuses = filters["status"], !statuses.contains(c.state.status.rawValue) { return false }
            if let codes = filters["exited"], !(c.state.status == .exited && codes.contains(String(c.state.exitCode))) { return false }
            if let health = filters["health"] {
                let status = c.state.health?.status ?? "none"
                if !health.contains(status) { return false }
            }
            if let images = filters["ancestor"], !images.contains(where: { image in
                c.config.image == image || c.imageID == image || c.imageID.hasPrefix("sha256:" + image)
                    || c.config.image == image + ":latest" || image == c.config.image + ":latest"
            }) { return false }
            if let volumes = filters["volume"], !c.mounts.contains(where: { m in
                volumes.contains { $0 == m.destination || $0 == (m.name ?? m.source) }
            }) { return false }
            if !Self.labelsMatch(c.config.labels, filters["label"] ?? [], negated: []) { return false }
            if let published {
                let ports = Set(c.config.portBindings.map(\.port) + (c.config.publishAllPorts ? c.config.exposedPorts : []))
                if ports.isDisjoint(with: published) { return false }
            }
            if let exposed, Set(c.config.exposedPorts + c.config.portBindings.map(\.port)).isDisjoint(with: exposed) { return false }
            if let wanted = filters["network"] {
                let mode = c.config.networkMode
                let joined = c.config.networks.compactMap { byID[$0.network] }
                    + ((mode == "host" || mode == "none") ? networks.filter { $0.name == mode } : [])
                if !wanted.contains(where: { w in joined.contains { $0.name == w || $0.id.hasPrefix(w) } }) { return false }
            }
            if let before, c.created >= before.created { return false }
            if let since, c.created <= since.created { return false }
            return true
        }
    }

    /// The ports of `publish`/`expose` filters: `80`, `80/udp`, `8000-8002/tcp`
    /// (tcp unless said), as "80/tcp".
    static func ports(_ values: [String]?, key: String) throws(APIError) -> Set<String>? {
        guard let values else { return nil }
        var ports: Set<String> = []
        for value in values {
            let parts = value.split(separator: "/", maxSplits: 1).map(String.init)
            let proto = parts.count == 2 ? parts[1].lowercased() : "tcp"
            let bounds = parts.first?.split(separator: "-", maxSplits: 1).map { UInt16($0) } ?? []
            guard ["tcp", "udp", "sctp"].contains(proto), let low = bounds.first ?? nil, let high = bounds.last ?? nil, low <= high else {
                throw .badRequest("invalid filter '\(key)=\(value)': not a port or port range")
            }
            for port in low...high { ports.insert("\(port)/\(proto)") }
        }
        return ports
    }

    /// `label=k`, `label=k=v` all hold; no `label!=...` holds.
    static func labelsMatch(_ labels: [String: String], _ wanted: [String], negated: [String]) -> Bool {
        func holds(_ label: String) -> Bool {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            guard let value = labels[parts[0]] else { return false }
            return parts.count == 1 || value == parts[1]
        }
        return wanted.allSatisfy(holds) && !negated.contains(where: holds)
    }

    private func find(_ ref: String, in containers: [Container]) throws(APIError) -> Container {
        guard let c = containers.first(where: { $0.id == ref || $0.name == ref || $0.id.hasPrefix(ref) }) else {
            throw .notFound("No such container: \(ref)")
        }
        return c
    }
}

/// Docker's detach keys: `ctrl-p,ctrl-q` (the default), `a`, `ctrl-@`.
struct DetachKeys {
    let sequence: [UInt8]

    /// None: input goes through as it is.
    static let disabled = DetachKeys(sequence: [])

    private init(sequence: [UInt8]) {
        self.sequence = sequence
    }

    /// The keys in force for a session: only with a terminal, as with dockerd;
    /// without one, stdin is data (binary input holds ctrl-p,ctrl-q often enough).
    func forTerminal(_ tty: Bool) -> DetachKeys {
        tty ? self : .disabled
    }

    init(_ spec: String?) throws(APIError) {
        let text = spec.flatMap { $0.isEmpty ? nil : $0 } ?? "ctrl-p,ctrl-q"
        var bytes: [UInt8] = []
        for key in text.split(separator: ",") {
            let k = key.lowercased()
            if k.hasPrefix("ctrl-"), k.count == 6, let c = k.last?.asciiValue {
                switch c {
                case UInt8(ascii: "a")...UInt8(ascii: "z"): bytes.append(c - UInt8(ascii: "a") + 1)
                case UInt8(ascii: "@"): bytes.append(0)
                case UInt8(ascii: "["): bytes.append(27)
                case UInt8(ascii: "\\"): bytes.append(28)
                case UInt8(ascii: "]"): bytes.append(29)
                case UInt8(ascii: "^"): bytes.append(30)
                case UInt8(ascii: "_"): bytes.append(31)
                default: throw .badRequest("Invalid escape keys (\(text)) provided")
                }
            } else if k.count == 1, let c = k.first?.asciiValue {
                bytes.append(c)
            } else {
                throw .badRequest("Invalid escape keys (\(text)) provided")
            }
        }
        sequence = bytes
    }
}

/// Moving bytes between a hijacked client and a monitor connection.
enum Pump {
    /// Output frames to the client (raw with a tty), the client's input to
    /// the container until EOF or the detach keys.
    static func attach(client: HijackedConnection, monitor: MonitorConnection, stdin: Bool, tty: Bool, keys: DetachKeys) async throws {
        let input = Task { try await forwardInput(from: client, to: monitor, stdin: stdin, keys: keys) }
        for await frame in monitor.frames() where frame.stream == Frame.stdout || frame.stream == Frame.stderr {
            try await client.write(tty ? frame.payload : Frame.encode(stream: frame.stream, frame.payload))
        }
        input.cancel()
        try? await client.closeWrite()
    }

    /// The client's bytes to the monitor; the detach keys end the session
    /// (the monitor connection closes, the process keeps running); EOF ends
    /// the process's stdin.
    /// Returns whether the client detached.
    @discardableResult
    static func forwardInput(from client: HijackedConnection, to monitor: MonitorConnection, stdin: Bool, keys: DetachKeys) async throws -> Bool {
        var matched = 0
        while let bytes = try await client.read() {
            guard stdin else { continue }
            var out: [UInt8] = []
            for b in bytes {
                if !keys.sequence.isEmpty && b == keys.sequence[matched] {
                    matched += 1
                    if matched == keys.sequence.count {
                        if !out.isEmpty { monitor.write(out) }
                        monitor.close()
                        return true
                    }
                    continue
                }
                if matched > 0 {
                    out += keys.sequence[0..<matched]
                    matched = 0
                }
                out.append(b)
            }
            if !out.isEmpty { monitor.write(out) }
        }
        if stdin { monitor.closeWrite() }
        return false
    }
}

/// `ContainerPruneResponse`.
struct ContainerPruneResponse: Encodable {
    var containersDeleted: [String]
    var spaceReclaimed: Int64

    enum CodingKeys: String, CodingKey {
        case containersDeleted = "ContainersDeleted"
        case spaceReclaimed = "SpaceReclaimed"
    }
}
