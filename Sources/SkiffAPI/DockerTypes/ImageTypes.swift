// Docker's image JSON (ImageSummary, ImageInspect, history, delete, prune)
// and the JSON stream messages of load and import.

/// `ImageSummary`: one row of `GET /images/json`.
struct ImageSummary: Codable, Sendable, Equatable {
    /// "sha256:...".
    var id: String
    var parentID: String
    var repoTags: [String]
    var repoDigests: [String]
    /// Unix seconds.
    var created: Int64
    var size: Int64
    var sharedSize: Int64 = -1
    /// Only for API versions before 1.44.
    var virtualSize: Int64?
    var labels: [String: String]?
    var containers: Int = -1

    enum CodingKeys: String, CodingKey {
        case id = "Id", parentID = "ParentId", repoTags = "RepoTags", repoDigests = "RepoDigests"
        case created = "Created", size = "Size", sharedSize = "SharedSize", virtualSize = "VirtualSize"
        case labels = "Labels", containers = "Containers"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(containers, forKey: .containers)
        try c.encode(created, forKey: .created)
        try c.encode(id, forKey: .id)
        try c.encodeGo(labels, forKey: .labels)
        try c.encode(parentID, forKey: .parentID)
        try c.encode(repoDigests, forKey: .repoDigests)
        try c.encode(repoTags, forKey: .repoTags)
        try c.encode(sharedSize, forKey: .sharedSize)
        try c.encode(size, forKey: .size)
        try c.encodeIfPresent(virtualSize, forKey: .virtualSize)
    }
}

/// `ImageInspect`: `GET /images/{name}/json`.
struct ImageInspect: Codable, Sendable, Equatable {
    var id: String
    var repoTags: [String]
    var repoDigests: [String]
    var parent: String
    var comment: String
    /// RFC 3339 with nanoseconds.
    var created: String
    var dockerVersion = ""
    var author: String
    var config: ContainerConfig
    /// Only for API versions before 1.45 (dockerd drops them from 1.45 on; docker-compose 1.29
    /// reads `ContainerConfig.Volumes` when it recreates a container).
    var container: String?
    var containerConfig: ContainerConfig?
    var architecture: String
    var variant: String?
    var os: String
    var osVersion: String?
    var size: Int64
    /// Only for API versions before 1.44.
    var virtualSize: Int64?
    var graphDriver: DriverData
    var rootFS: RootFS
    var metadata = Metadata()

    enum CodingKeys: String, CodingKey {
        case id = "Id", repoTags = "RepoTags", repoDigests = "RepoDigests", parent = "Parent", comment = "Comment"
        case created = "Created", dockerVersion = "DockerVersion", author = "Author", config = "Config"
        case container = "Container", containerConfig = "ContainerConfig"
        case architecture = "Architecture", variant = "Variant", os = "Os", osVersion = "OsVersion", size = "Size"
        case virtualSize = "VirtualSize", graphDriver = "GraphDriver", rootFS = "RootFS", metadata = "Metadata"
    }

    /// `RootFS`: `{"Type": "layers", "Layers": [diff ids]}`.
    struct RootFS: Codable, Sendable, Equatable {
        var type = "layers"
        var layers: [String]

        enum CodingKeys: String, CodingKey { case type = "Type", layers = "Layers" }
    }

    /// `Metadata`: when the image was last tagged (Go's zero time: never recorded).
    struct Metadata: Codable, Sendable, Equatable {
        var lastTagTime = ContainerState.zeroTime

        enum CodingKeys: String, CodingKey { case lastTagTime = "LastTagTime" }
    }
}

/// `ImageHistoryResponseItem`.
struct ImageHistoryItem: Codable, Sendable, Equatable {
    /// The image id for the top entry, "<missing>" below.
    var id: String
    /// Unix seconds.
    var created: Int64
    var createdBy: String
    var tags: [String]?
    var size: Int64
    var comment: String

    enum CodingKeys: String, CodingKey {
        case id = "Id", created = "Created", createdBy = "CreatedBy", tags = "Tags", size = "Size", comment = "Comment"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(created, forKey: .created)
        try c.encode(createdBy, forKey: .createdBy)
        try c.encodeGo(tags, forKey: .tags)
        try c.encode(size, forKey: .size)
        try c.encode(comment, forKey: .comment)
    }
}

/// `ImageDeleteResponseItem`: one of `Untagged` or `Deleted`.
struct ImageDeleteItem: Codable, Sendable, Equatable {
    var untagged: String?
    var deleted: String?

    enum CodingKeys: String, CodingKey { case untagged = "Untagged", deleted = "Deleted" }
}

/// `POST /images/prune`.
struct ImagePruneResponse: Codable, Sendable, Equatable {
    var imagesDeleted: [ImageDeleteItem]?
    var spaceReclaimed: Int64

    enum CodingKeys: String, CodingKey { case imagesDeleted = "ImagesDeleted", spaceReclaimed = "SpaceReclaimed" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeGo(imagesDeleted, forKey: .imagesDeleted)
        try c.encode(spaceReclaimed, forKey: .spaceReclaimed)
    }
}

/// One line of a JSON progress stream (load, import, pull): `stream` text,
/// a `status`, or an error (`errorDetail` plus the legacy `error`).
struct JSONMessage: Codable, Sendable, Equatable {
    var stream: String?
    var status: String?
    var id: String?
    var errorDetail: ErrorDetail?
    var error: String?
    var aux: Aux?

    struct ErrorDetail: Codable, Sendable, Equatable {
        var code: Int?
        var message: String
    }

    /// The build's result (`{"aux":{"ID":"sha256:..."}}`).
    struct Aux: Codable, Sendable, Equatable {
        var ID: String
    }

    static func stream(_ text: String) -> JSONMessage { JSONMessage(stream: text) }
    static func status(_ text: String) -> JSONMessage { JSONMessage(status: text) }
    static func failure(_ message: String) -> JSONMessage {
        JSONMessage(errorDetail: ErrorDetail(message: message), error: message)
    }
}
