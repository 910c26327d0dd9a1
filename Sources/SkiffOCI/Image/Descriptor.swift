// OCI image-spec v1.1, descriptor.md and image-index.md#platform.
// https://github.com/opencontainers/image-spec/blob/v1.1.1/descriptor.md
// Schema: shared/reference/oci-image-schema/content-descriptor.json
import FoundationEssentials

/// A reference to content: what it is, its digest and its size (descriptor.md#properties).
/// Docker schema 2 manifests use the same object.
public struct Descriptor: Codable, Sendable, Equatable, Hashable {
    /// descriptor.md#properties `mediaType`, REQUIRED: RFC 6838 form.
    public var mediaType: String
    /// `digest`, REQUIRED.
    public var digest: Digest
    /// `size`, REQUIRED: the content's size in bytes.
    public var size: Int64
    /// `urls`, OPTIONAL: where else the content may be fetched from (foreign layers).
    public var urls: [String]?
    /// `annotations`, OPTIONAL (annotations.md).
    public var annotations: [String: String]?
    /// `data`, OPTIONAL: the content itself, base64 in JSON (descriptor.md#embedded-content).
    public var data: Data?
    /// image-index.md `platform`, OPTIONAL: on entries of an index's `manifests`.
    public var platform: Platform?
    /// `artifactType`, OPTIONAL: the artifact's type when the target is an artifact manifest.
    public var artifactType: String?

    public init(
        mediaType: String, digest: Digest, size: Int64, urls: [String]? = nil,
        annotations: [String: String]? = nil, data: Data? = nil, platform: Platform? = nil,
        artifactType: String? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.urls = urls
        self.annotations = annotations
        self.data = data
        self.platform = platform
        self.artifactType = artifactType
    }

    /// manifest.md#guidance-for-an-empty-descriptor: the blob `{}`, used as the
    /// config (and sometimes the only layer) of an artifact with nothing to say.
    public static let empty = Descriptor(
        mediaType: MediaType.ociEmpty, digest: .emptyJSON, size: 2, data: Data("{}".utf8))
}

extension Digest {
    /// The sha256 of the two bytes `{}` (manifest.md#guidance-for-an-empty-descriptor).
    public static let emptyJSON = Digest(
        trusted: .sha256, encoded: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
}

/// The platform a manifest is for (image-index.md `platform`; config.md has the same
/// fields at its top level).
public struct Platform: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// `architecture`, REQUIRED: a GOARCH value (`amd64`, `arm64`).
    public var architecture: String
    /// `os`, REQUIRED: a GOOS value (`linux`).
    public var os: String
    /// `os.version`, OPTIONAL (`10.0.14393.1066` on windows).
    public var osVersion: String?
    /// `os.features`, OPTIONAL (`win32k`).
    public var osFeatures: [String]?
    /// `variant`, OPTIONAL: the CPU variant (`v7`, `v8`), image-index.md#platform-variants.
    public var variant: String?
    /// `features`, reserved by OCI; Docker's manifest list defines it (CPU features).
    public var features: [String]?

    public init(
        architecture: String, os: String, osVersion: String? = nil, osFeatures: [String]? = nil,
        variant: String? = nil, features: [String]? = nil
    ) {
        self.architecture = architecture
        self.os = os
        self.osVersion = osVersion
        self.osFeatures = osFeatures
        self.variant = variant
        self.features = features
    }

    enum CodingKeys: String, CodingKey {
        case architecture, os
        case osVersion = "os.version"
        case osFeatures = "os.features"
        case variant, features
    }

    /// `os/architecture[/variant]`, as Docker prints platforms (`linux/arm64/v8`).
    public var description: String {
        variant.map { "\(os)/\(architecture)/\($0)" } ?? "\(os)/\(architecture)"
    }
}
