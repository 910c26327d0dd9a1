// The metadata files of a `docker save` archive (moby image/tarexport): manifest.json
// and the legacy `repositories` file. Since Docker 25 the archive is also an OCI
// image layout (oci-layout, index.json, blobs/), which the other types read.

/// `docker save` / `docker load` archive metadata.
public enum DockerArchive {
    /// The archive's `manifest.json`: a JSON array of `ManifestEntry`.
    public static let manifestFileName = "manifest.json"
    /// The legacy `repositories` file.
    public static let repositoriesFileName = "repositories"

    /// One image in manifest.json (moby tarexport `manifestItem`). Paths are
    /// relative to the archive root (`blobs/sha256/<hex>` since Docker 25,
    /// `<hex>.json` and `<id>/layer.tar` before).
    public struct ManifestEntry: Codable, Sendable, Equatable {
        /// `Config`: path of the image config.
        public var config: String
        /// `RepoTags`: familiar references (`busybox:latest`); absent or null for an untagged image.
        public var repoTags: [String]?
        /// `Layers`: paths of the layer tars, base first, matching `rootfs.diff_ids`.
        public var layers: [String]
        /// `Parent`: the parent image's id (legacy, omitted when empty).
        public var parent: Digest?
        /// `LayerSources`: descriptors of foreign layers, keyed by DiffID (omitted when empty).
        public var layerSources: [Digest: Descriptor]?

        public init(
            config: String, repoTags: [String]? = nil, layers: [String], parent: Digest? = nil,
            layerSources: [Digest: Descriptor]? = nil
        ) {
            self.config = config
            self.repoTags = repoTags
            self.layers = layers
            self.parent = parent
            self.layerSources = layerSources
        }

        enum CodingKeys: String, CodingKey {
            case config = "Config"
            case repoTags = "RepoTags"
            case layers = "Layers"
            case parent = "Parent"
            case layerSources = "LayerSources"
        }
    }

    /// The legacy `repositories` file: repository → tag → image id, e.g.
    /// `{"busybox":{"latest":"<hex>"}}`. Written by `docker save` for tagged images
    /// (the id is the hex of the top layer's legacy v1 id); read for old archives.
    public struct Repositories: Codable, Sendable, Equatable {
        public var repositories: [String: [String: String]]

        public init(_ repositories: [String: [String: String]] = [:]) {
            self.repositories = repositories
        }

        public init(from decoder: any Decoder) throws {
            repositories = try decoder.singleValueContainer().decode([String: [String: String]].self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(repositories)
        }
    }
}
