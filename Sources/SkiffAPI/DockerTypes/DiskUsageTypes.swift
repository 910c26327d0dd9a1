// Docker's `GET /system/df` and `POST /build/prune` JSON.

/// `SystemDataUsageResponse`: a list not asked for (`type=`) is null.
struct DiskUsageResponse: Encodable, Sendable, Equatable {
    var layersSize: Int64
    var images: [ImageSummary]?
    var containers: [ContainerSummary]?
    var volumes: [VolumeResponse]?
    /// skiffd has no build cache: always empty when asked for.
    var buildCache: [EmptyRecord]?

    /// A Go struct with nothing in it (a build cache record that never occurs).
    struct EmptyRecord: Encodable, Sendable, Equatable {}

    enum CodingKeys: String, CodingKey {
        case layersSize = "LayersSize", images = "Images", containers = "Containers", volumes = "Volumes", buildCache = "BuildCache"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layersSize, forKey: .layersSize)
        try c.encodeGo(images, forKey: .images)
        try c.encodeGo(containers, forKey: .containers)
        try c.encodeGo(volumes, forKey: .volumes)
        try c.encodeGo(buildCache, forKey: .buildCache)
    }
}

/// `BuildCachePruneResponse`.
struct BuildCachePruneResponse: Encodable, Sendable, Equatable {
    var cachesDeleted: [String] = []
    var spaceReclaimed: Int64 = 0

    enum CodingKeys: String, CodingKey { case cachesDeleted = "CachesDeleted", spaceReclaimed = "SpaceReclaimed" }
}
