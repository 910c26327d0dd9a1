import SkiffEngine
import SkiffVolume

/// `/volumes/...`: list, create, inspect, remove, prune (the local driver).
func registerVolumeRoutes(_ router: inout Router, engine: Engine) {
    router.get("/volumes") { request in
        let filters = try request.query.filters()
        try checkFilters(filters, allowed: ["dangling", "driver", "label", "name"])
        let dangling = try filters["dangling"].map { (values) throws(APIError) in try goBool("dangling", values) }
        let volumes = try await engine.listVolumes().filter { volume, users in
            if let dangling, users.isEmpty != dangling { return false }
            if let drivers = filters["driver"], !drivers.contains(volume.driver) { return false }
            if let names = filters["name"], !names.contains(where: { nameMatches($0, volume.name) }) { return false }
            return ContainerFilter.labelsMatch(volume.labels, filters["label"] ?? [], negated: [])
        }
        return try .json(VolumeListResponse(volumes: volumes.map { VolumeFilter.response($0.volume) }, warnings: nil))
    }

    router.post("/volumes/create") { request in
        let body = try await request.body.decode(VolumeCreateRequest.self)
        let volume = try await engine.createVolume(name: body.name, driver: body.driver, labels: body.labels ?? [:],
                                                   options: body.driverOpts ?? [:])
        return try .json(VolumeFilter.response(volume), status: 201)
    }

    router.post("/volumes/prune") { request in
        let filters = try request.query.filters()
        try checkFilters(filters, allowed: ["label", "label!", "all"])
        // Before API 1.42, prune took named volumes too.
        var all = !request.apiVersionAtLeast("1.42")
        if let values = filters["all"] {
            guard values.count == 1 else { throw APIError.badRequest("invalid filter 'all=\(values.joined(separator: ","))': only one value is expected") }
            guard let value = VolumeFilter.parseBool(values[0]) else {
                throw APIError.badRequest("invalid filter 'all': strconv.ParseBool: parsing \"\(values[0])\": invalid syntax")
            }
            all = all || value
        }
        let wanted = filters["label"] ?? [], unwanted = filters["label!"] ?? []
        let pruneAll = all
        let result = try await engine.pruneVolumes { volume in
            (pruneAll || volume.anonymous) && ContainerFilter.labelsMatch(volume.labels, wanted, negated: unwanted)
        }
        return try .json(VolumePruneResponse(volumesDeleted: result.deleted, spaceReclaimed: result.reclaimed))
    }

    router.get("/volumes/{name}") { request in
        try .json(VolumeFilter.response(try await engine.volume(request.param("name"))))
    }

    router.delete("/volumes/{name}") { request in
        try await engine.removeVolume(request.param("name"), force: request.query.bool("force") ?? false)
        return .noContent
    }
}

/// Volumes as Docker shows and filters them.
enum VolumeFilter {
    static func response(_ v: Volume) -> VolumeResponse {
        VolumeResponse(name: v.name, driver: v.driver, mountpoint: v.mountpoint, createdAt: v.createdAt, labels: v.labels, options: v.options)
    }

    /// Go's strconv.ParseBool.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }
}

/// A boolean filter (`dangling=true`): "1"/"true" or "0"/"false", one way only.
private func goBool(_ key: String, _ values: [String]) throws(APIError) -> Bool {
    let isTrue = values.contains("1") || values.contains("true")
    let isFalse = values.contains("0") || values.contains("false")
    guard isTrue != isFalse else { throw .badRequest("invalid filter '\(key)=\(values.joined(separator: ","))'") }
    return isTrue
}
