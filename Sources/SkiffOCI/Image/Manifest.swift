// OCI image-spec v1.1, manifest.md and image-index.md; Docker image manifest v2,
// schema 2 (manifest and manifest list), which decode into the same types.
// https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md
// https://github.com/opencontainers/image-spec/blob/v1.1.1/image-index.md
// Schemas: shared/reference/oci-image-schema/image-manifest-schema.json, image-index-schema.json
import FoundationEssentials

/// An image manifest (manifest.md#image-manifest-property-descriptions): one
/// platform's config and layers. A Docker schema 2 manifest
/// (`application/vnd.docker.distribution.manifest.v2+json`) has the same fields;
/// `mediaType` keeps which one was read.
public struct Manifest: Codable, Sendable, Equatable {
    /// `schemaVersion`, REQUIRED: 2.
    public var schemaVersion: Int
    /// `mediaType`, SHOULD be present: `MediaType.ociManifest` or `MediaType.dockerManifest`.
    public var mediaType: String?
    /// `artifactType`, OPTIONAL; MUST be set when `config` is the empty descriptor.
    public var artifactType: String?
    /// `config`, REQUIRED: the image config (or an artifact's).
    public var config: Descriptor
    /// `layers`, REQUIRED: base layer first.
    public var layers: [Descriptor]
    /// `subject`, OPTIONAL: the manifest this one refers to (referrers API).
    public var subject: Descriptor?
    /// `annotations`, OPTIONAL.
    public var annotations: [String: String]?

    public init(
        schemaVersion: Int = 2, mediaType: String? = MediaType.ociManifest, artifactType: String? = nil,
        config: Descriptor, layers: [Descriptor], subject: Descriptor? = nil, annotations: [String: String]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.config = config
        self.layers = layers
        self.subject = subject
        self.annotations = annotations
    }
}

/// An image index (image-index.md#image-index-property-descriptions): manifests for
/// several platforms, or nested indexes. A Docker manifest list
/// (`application/vnd.docker.distribution.manifest.list.v2+json`) has the same fields.
public struct Index: Codable, Sendable, Equatable {
    /// `schemaVersion`, REQUIRED: 2.
    public var schemaVersion: Int
    /// `mediaType`, SHOULD be present: `MediaType.ociIndex` or `MediaType.dockerManifestList`.
    public var mediaType: String?
    /// `artifactType`, OPTIONAL.
    public var artifactType: String?
    /// `manifests`, REQUIRED (may be empty); entries may carry a `platform`.
    public var manifests: [Descriptor]
    /// `subject`, OPTIONAL.
    public var subject: Descriptor?
    /// `annotations`, OPTIONAL.
    public var annotations: [String: String]?

    public init(
        schemaVersion: Int = 2, mediaType: String? = MediaType.ociIndex, artifactType: String? = nil,
        manifests: [Descriptor], subject: Descriptor? = nil, annotations: [String: String]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.manifests = manifests
        self.subject = subject
        self.annotations = annotations
    }
}

/// What a registry or a layout hands back for a reference: a manifest or an index.
public enum ManifestOrIndex: Sendable, Equatable {
    case manifest(Manifest)
    case index(Index)

    /// Decodes manifest or index bytes. `mediaType` is what the bytes were served
    /// as (a registry's Content-Type, a descriptor's `mediaType`), when known.
    /// Without it, the body's own `mediaType` decides, and failing that its fields,
    /// as image-spec's considerations ask (`manifests` → index, `config`/`layers` →
    /// manifest; both at once is refused). Schema 1 manifests are refused by name.
    public static func decode(_ data: Data, mediaType: String? = nil) throws(ImageSpecError) -> ManifestOrIndex {
        let probe = try decodeImageJSON(Probe.self, from: data, document: "manifest")
        if probe.schemaVersion == 1 || [mediaType, probe.mediaType].contains(where: isSchema1) {
            throw ImageSpecError(
                document: "manifest", field: "schemaVersion",
                problem: "Docker image manifest v2, schema 1 is not supported (push the image again with a current client)")
        }
        func kind(_ type: String, field: String) throws(ImageSpecError) -> Bool {  // true: index
            if MediaType.isIndex(type) { return true }
            if MediaType.isManifest(type) { return false }
            throw ImageSpecError(
                document: "manifest", field: field, problem: "\"\(type)\" is not an image manifest or index media type")
        }
        var isIndex: Bool
        if let mediaType {
            isIndex = try kind(mediaType, field: "")
            if let own = probe.mediaType, try kind(own, field: "mediaType") != isIndex {
                throw ImageSpecError(
                    document: "manifest", field: "mediaType",
                    problem: "the body says \"\(own)\" but it was served as \"\(mediaType)\"")
            }
        } else if let own = probe.mediaType {
            isIndex = try kind(own, field: "mediaType")
        } else {
            let looksLikeManifest = probe.config != nil || probe.layers != nil
            if looksLikeManifest && probe.manifests != nil {
                throw ImageSpecError(
                    document: "manifest", field: "",
                    problem: "ambiguous: has both manifests (index) and config/layers (manifest), and no mediaType")
            }
            isIndex = probe.manifests != nil
        }
        return isIndex ? .index(try Index.decode(data)) : .manifest(try Manifest.decode(data))
    }

    private static func isSchema1(_ type: String?) -> Bool {
        type == MediaType.dockerManifestSchema1 || type == MediaType.dockerManifestSchema1Signed
    }

    private struct Probe: Decodable {
        var schemaVersion: Int?
        var mediaType: String?
        var manifests: Present?
        var config: Present?
        var layers: Present?
    }

    /// Decodes from any JSON value without looking at it: marks a key as present.
    private struct Present: Decodable {
        init(from decoder: any Decoder) throws {}
    }
}
