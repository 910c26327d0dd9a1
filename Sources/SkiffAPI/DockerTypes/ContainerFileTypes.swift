// Docker's JSON for a container's files: `docker cp`'s path stat, `docker diff`'s changes.

/// `ContainerPathStat`: sent base64-encoded in `X-Docker-Container-Path-Stat`.
struct ContainerPathStat: Codable, Sendable, Equatable {
    var name: String
    var size: Int64
    /// Go's `os.FileMode` bits.
    var mode: UInt32
    /// RFC 3339 with nanoseconds.
    var mtime: String
    var linkTarget: String
}

/// `FilesystemChange`: one entry of `GET /containers/{id}/changes`.
struct FilesystemChange: Codable, Sendable, Equatable {
    var path: String
    /// 0 modified, 1 added, 2 deleted.
    var kind: Int

    enum CodingKeys: String, CodingKey {
        case path = "Path", kind = "Kind"
    }
}
