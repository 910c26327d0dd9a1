import SkiffEngine
import SkiffSystem

/// `pause`, `unpause`, `top`, `stats` and `update` of a container.
func registerResourceRoutes(_ router: inout Router, engine: Engine) {
    router.post("/containers/{id}/pause") { request in
        try await engine.pause(request.param("id"))
        return .noContent
    }

    router.post("/containers/{id}/unpause") { request in
        try await engine.unpause(request.param("id"))
        return .noContent
    }

    router.get("/containers/{id}/top") { request in
        let arguments = (request.query.string("ps_args") ?? "").split(separator: " ").map(String.init)
        let table = try await engine.top(request.param("id"), arguments: arguments)
        return try .json(TopResponse(titles: table.titles, processes: table.processes))
    }

    router.post("/containers/{id}/update") { request in
        let body = try await request.body.decode(UpdateRequest.self)
        var resources = ContainerConfiguration.Resources()
        if let memory = body.memory, memory > 0, memory < 6 * 1024 * 1024 {
            throw APIError.badRequest("Minimum memory limit allowed is 6MB")
        }
        resources.memory = body.memory
        resources.memoryReservation = body.memoryReservation
        resources.memorySwap = body.memorySwap
        resources.nanoCPUs = body.nanoCpus
        resources.cpuShares = body.cpuShares
        resources.cpuQuota = body.cpuQuota
        resources.cpuPeriod = body.cpuPeriod
        resources.cpusetCpus = body.cpusetCpus
        resources.cpusetMems = body.cpusetMems
        resources.pidsLimit = body.pidsLimit
        let policy = try body.restartPolicy.map { (p) throws(APIError) in try ContainerTranslation.restartPolicy(p) }
        try await engine.update(request.param("id"), .init(resources: resources, restartPolicy: policy))
        return try .json(UpdateResponse())
    }

    router.get("/containers/{id}/stats") { request in
        let container = try await engine.container(request.param("id"))
        let stream = request.query.bool("stream") ?? true
        let oneShot = request.query.bool("one-shot") ?? false
        let name = "/" + container.name
        // A stopped container answers with zeros, as dockerd's.
        var before: ResourceSample?
        if !stream && !oneShot {
            before = try await engine.sample(container.id)
            try await Task.sleep(nanoseconds: 1_000_000_000)
        }
        let first = try await engine.sample(container.id)
        if !stream {
            return try .json(StatsTranslation.response(first, previous: before, name: name, id: container.id))
        }
        return .stream { writer in
            var previous: ResourceSample? = nil
            var current = first
            while true {
                try await writer.writeJSON(StatsTranslation.response(current, previous: previous, name: name, id: container.id))
                guard current != nil else { return }
                try await Task.sleep(nanoseconds: 1_000_000_000)
                previous = current
                current = try await engine.sample(container.id)
            }
        }
    }
}

/// Engine samples to Docker's stats JSON.
enum StatsTranslation {
    /// Go's zero time, which dockerd sends for "no reading".
    static let zeroTime = "0001-01-01T00:00:00Z"

    static func response(_ sample: ResourceSample?, previous: ResourceSample?, name: String, id: String) -> StatsResponse {
        StatsResponse(
            name: name, id: id,
            read: sample?.read ?? zeroTime, preread: previous?.read ?? zeroTime,
            pidsStats: .init(current: sample?.cgroup.pidsCurrent, limit: sample?.cgroup.pidsLimit),
            blkioStats: .init(ioServiceBytesRecursive: sample.map(blkio)),
            cpuStats: cpu(sample), precpuStats: cpu(previous),
            memoryStats: .init(usage: sample?.cgroup.memoryUsage, stats: sample.map { $0.cgroup.memoryStat },
                               limit: sample.map { $0.cgroup.memoryLimit ?? $0.hostMemory }),
            networks: sample.flatMap { s in
                s.networks.isEmpty ? nil : s.networks.mapValues { n in
                    StatsResponse.NetworkStats(rxBytes: n.rxBytes, rxPackets: n.rxPackets, rxErrors: n.rxErrors, rxDropped: n.rxDropped,
                                               txBytes: n.txBytes, txPackets: n.txPackets, txErrors: n.txErrors, txDropped: n.txDropped)
                }
            })
    }

    static func blkio(_ s: ResourceSample) -> [StatsResponse.BlkioEntry] {
        guard s.cgroup.ioReadBytes != nil || s.cgroup.ioWriteBytes != nil else { return [] }
        return [StatsResponse.BlkioEntry(op: "read", value: s.cgroup.ioReadBytes ?? 0),
                StatsResponse.BlkioEntry(op: "write", value: s.cgroup.ioWriteBytes ?? 0)]
    }

    static func cpu(_ sample: ResourceSample?) -> StatsResponse.CPUStats {
        guard let sample else { return StatsResponse.CPUStats() }
        var stats = StatsResponse.CPUStats()
        stats.cpuUsage.totalUsage = sample.cgroup.cpuUsageNanoseconds ?? 0
        stats.cpuUsage.usageInKernelmode = sample.cgroup.cpuSystemNanoseconds ?? 0
        stats.cpuUsage.usageInUsermode = sample.cgroup.cpuUserNanoseconds ?? 0
        stats.systemCPUUsage = sample.systemCPUNanoseconds
        stats.onlineCPUs = sample.onlineCPUs
        return stats
    }
}
