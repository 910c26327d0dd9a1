/// `Volume`: `GET /volumes/{name}`, an entry of `GET /volumes`, the answer to create.
struct VolumeResponse: Codable, Sendable, Equatable {
    var name: String
    var driver: String
    var mountpoint: String
    /// RFC 3339.
    var createdAt: String
    var labels: [String: String]
    var scope = "local"
    var options: [String: String]
    /// Only in `GET /system/df`.
    var usageData: UsageData?

    enum CodingKeys: String, CodingKey {
        case name = "Name", driver = "Driver", mountpoint = "Mountpoint", createdAt = "CreatedAt", labels = "Labels"
        case scope = "Scope", options = "Options", usageData = "UsageData"
    }

    /// `UsageData`: the bytes a volume holds and how many containers use it.
    struct UsageData: Codable, Sendable, Equatable {
        var size: Int64
        var refCount: Int

        enum CodingKeys: String, CodingKey { case size = "Size", refCount = "RefCount" }
    }
}

/// `VolumeListResponse`.
struct VolumeListResponse: Codable, Sendable, Equatable {
    var volumes: [VolumeResponse]
    /// dockerd writes null when there are none.
    var warnings: [String]?

    enum CodingKeys: String, CodingKey { case volumes = "Volumes", warnings = "Warnings" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(volumes, forKey: .volumes)
        try c.encodeGo(warnings, forKey: .warnings)
    }
}

/// `VolumeCreateOptions`: the body of `POST /volumes/create`.
struct VolumeCreateRequest: Codable, Sendable, Equatable {
    var name: String?
    var driver: String?
    var driverOpts: [String: String]?
    var labels: [String: String]?

    enum CodingKeys: String, CodingKey { case name = "Name", driver = "Driver", driverOpts = "DriverOpts", labels = "Labels" }
}

/// `VolumePruneResponse`.
struct VolumePruneResponse: Codable, Sendable, Equatable {
    var volumesDeleted: [String]
    var spaceReclaimed: Int64

    enum CodingKeys: String, CodingKey { case volumesDeleted = "VolumesDeleted", spaceReclaimed = "SpaceReclaimed" }
}
