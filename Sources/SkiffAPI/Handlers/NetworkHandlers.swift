import SkiffEngine
import SkiffNetwork

/// Network routes (`/networks/...`).
func registerNetworkRoutes(_ router: inout Router, engine: Engine) {
    let networks = engine.networks

    router.get("/networks") { request in
        let filters = try request.query.filters()
        var result: [NetworkResource] = []
        for network in await networks.list() {
            let endpoints = await networks.endpoints(of: network.id)
            guard try NetworkTranslation.matches(network, filters, inUse: !endpoints.isEmpty) else {
                continue
            }
            result.append(NetworkTranslation.resource(network, endpoints: []))
        }
        return try .json(result)
    }

    router.get("/networks/{id}") { request in
        let network = try await networks.network(request.param("id"))
        return try .json(NetworkTranslation.resource(network, endpoints: await networks.endpoints(of: network.id)))
    }

    router.post("/networks/create") { request in
        let body = try await request.body.decode(NetworkCreateRequest.self)
        let options = try NetworkTranslation.options(body)
        let network = try await networks.create(options)
        engine.recordNetwork("create", network)
        return try .json(NetworkCreateResponse(id: network.id), status: 201)
    }

    router.delete("/networks/{id}") { request in
        let network = try await networks.network(request.param("id"))
        try await networks.remove(network.id)
        engine.recordNetwork("destroy", network)
        return .noContent
    }

    router.post("/networks/prune") { request in
        let filters = try request.query.filters()
        for key in filters.keys where !["until", "label", "label!"].contains(key) {
            throw APIError.badRequest("invalid filter '\(key)'")
        }
        let until = try filters["until"]?.first.map { text throws(APIError) -> Int64 in
            guard let t = dockerTimestamp(text) else { throw .badRequest("invalid filter 'until=\(text)'") }
            return t
        }
        var deleted: [String] = []
        for network in await networks.list() where !network.isPredefined {
            if let until, (RFC3339.parse(network.created) ?? 0) >= until { continue }
            if !ContainerFilter.labelsMatch(network.labels, filters["label"] ?? [], negated: filters["label!"] ?? []) { continue }
            if !(await networks.endpoints(of: network.id)).isEmpty { continue }
            if (try? await networks.remove(network.id)) != nil {
                engine.recordNetwork("destroy", network)
                deleted.append(network.name)
            }
        }
        engine.events.publish(.network, "prune", id: "", attributes: ["reclaimed": "0"])
        return try .json(NetworkPruneResponse(networksDeleted: deleted))
    }

    router.post("/networks/{id}/connect") { request in
        let body = try await request.body.decode(NetworkConnectRequest.self)
        guard let container = body.container, !container.isEmpty else { throw APIError.badRequest("container is required") }
        let endpoint = body.endpointConfig
        try await engine.connect(container, network: request.param("id"), aliases: endpoint?.aliases ?? [],
                                 address: endpoint?.ipamConfig?.ipv4Address)
        return APIResponse(status: 200)
    }

    router.post("/networks/{id}/disconnect") { request in
        let body = try await request.body.decode(NetworkDisconnectRequest.self)
        guard let container = body.container, !container.isEmpty else { throw APIError.badRequest("container is required") }
        try await engine.disconnect(container, network: request.param("id"), force: body.force ?? false)
        return APIResponse(status: 200)
    }
}

/// Docker's network JSON to engine calls and back.
enum NetworkTranslation {
    static func options(_ body: NetworkCreateRequest) throws(APIError) -> Networks.Options {
        guard let name = body.name, !name.isEmpty else { throw .badRequest("network name is required") }
        var o = Networks.Options(name: name)
        o.driver = body.driver.flatMap { $0.isEmpty ? nil : $0 } ?? "bridge"
        if body.enableIPv6 == true { throw .badRequest("IPv6 networks are not supported by skiffd") }
        if body.ingress == true || body.configOnly == true { throw .badRequest("swarm networks are not supported by skiffd") }
        if let scope = body.scope, !scope.isEmpty, scope != "local" { throw .badRequest("scope \(scope) is not supported: only local") }
        let pools = body.ipam?.config ?? []
        if pools.count > 1 { throw .badRequest("only one IPv4 address pool per network is supported") }
        if let driver = body.ipam?.driver, !driver.isEmpty, driver != "default" { throw .notFound("plugin \"\(driver)\" not found") }
        if let pool = pools.first {
            o.subnet = pool.subnet.flatMap { $0.isEmpty ? nil : $0 }
            o.gateway = pool.gateway.flatMap { $0.isEmpty ? nil : $0 }
            o.ipRange = pool.ipRange.flatMap { $0.isEmpty ? nil : $0 }
        }
        o.isInternal = body.isInternal ?? false
        o.attachable = body.attachable ?? false
        o.labels = body.labels ?? [:]
        o.options = body.options ?? [:]
        return o
    }

    static func resource(_ n: Network, endpoints: [SkiffNetwork.Endpoint]) -> NetworkResource {
        var ipam = IPAM(driver: "default", options: n.isPredefined ? nil : [:], config: [])
        if let subnet = n.subnet {
            ipam.config = [IPAMConfig(subnet: subnet.description, ipRange: n.ipRange?.description, gateway: n.gateway?.description)]
        }
        var resource = NetworkResource(name: n.name, id: n.id, created: n.created, driver: n.driver.rawValue, ipam: ipam)
        resource.isInternal = n.isInternal
        resource.attachable = n.attachable
        resource.options = n.options
        resource.labels = n.labels
        for e in endpoints {
            resource.containers[e.containerID] = NetworkContainer(
                name: e.containerName, endpointID: e.id, macAddress: e.mac, ipv4Address: "\(e.address)/\(e.prefix)")
        }
        return resource
    }

    /// `GET /networks` filters: dangling, driver, id, label, name, scope, type.
    static func matches(_ n: Network, _ filters: [String: [String]], inUse: Bool) throws(APIError) -> Bool {
        for (key, values) in filters {
            switch key {
            case "driver": if !values.contains(n.driver.rawValue) { return false }
            case "id": if !values.contains(where: { n.id.hasPrefix($0) }) { return false }
            case "name": if !values.contains(where: { nameMatches($0, n.name) }) { return false }
            case "scope": if !values.contains("local") { return false }
            case "type":
                for v in values where v != "custom" && v != "builtin" { throw .badRequest("invalid filter: 'type'='\(v)'") }
                if !values.contains(n.isPredefined ? "builtin" : "custom") { return false }
            case "label", "label!":
                if !ContainerFilter.labelsMatch(n.labels, filters["label"] ?? [], negated: filters["label!"] ?? []) { return false }
            case "dangling":
                guard let v = values.first, let dangling = ["true": true, "1": true, "false": false, "0": false][v] else {
                    throw .badRequest("invalid filter 'dangling=\(values.first ?? "")'")
                }
                if n.isPredefined || inUse == dangling { return false }
            default:
                throw .badRequest("invalid filter '\(key)'")
            }
        }
        return true
    }
}
