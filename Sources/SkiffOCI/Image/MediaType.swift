// Media types: OCI image-spec v1.1 media-types.md, and Docker's image manifest v2,
// schema 2 (distribution's docs/spec/manifest-v2-2.md), whose types OCI's
// compatibility matrix maps onto its own.
// https://github.com/opencontainers/image-spec/blob/v1.1.1/media-types.md
// Schema: defs-descriptor.json#/definitions/mediaType (RFC 6838 form).

/// Media type strings, and what kind of content each names.
public enum MediaType {
    // MARK: OCI (media-types.md)

    /// descriptor.md: a content descriptor on its own.
    public static let ociDescriptor = "application/vnd.oci.descriptor.v1+json"
    /// image-layout.md#oci-layout-file
    public static let ociLayoutHeader = "application/vnd.oci.layout.header.v1+json"
    /// image-index.md
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    /// manifest.md
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    /// config.md
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    /// manifest.md#guidance-for-an-empty-descriptor: the two bytes `{}`.
    public static let ociEmpty = "application/vnd.oci.empty.v1+json"

    /// layer.md: an uncompressed tar changeset.
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    /// layer.md#gzip-media-types
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    /// layer.md#zstd-media-types
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    /// layer.md#non-distributable-layers (deprecated in v1.1: do not push, still read).
    public static let ociLayerNondistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar"
    public static let ociLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    public static let ociLayerNondistributableZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"

    // MARK: Docker (image manifest v2, schema 2)

    /// A single-platform image manifest; field-compatible with `ociManifest`.
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    /// A multi-platform manifest list; field-compatible with `ociIndex`.
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// The image config; field-compatible with `ociConfig` (plus Docker's extensions).
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    /// A gzip-compressed tar layer.
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    /// A "foreign" layer: pulled from its descriptor's `urls`, never pushed.
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    /// An uncompressed foreign layer (containerd's name; the schema 2 document has only the gzip one).
    public static let dockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar"
    /// Uncompressed tar layer, as written by containerd and BuildKit (not in the schema 2 document).
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    /// zstd tar layer, as written by containerd and BuildKit (not in the schema 2 document).
    public static let dockerLayerZstd = "application/vnd.docker.image.rootfs.diff.tar.zstd"
    /// A Docker plugin's config.
    public static let dockerPluginConfig = "application/vnd.docker.plugin.v1+json"
    /// Image manifest v2, schema 1 (signed and unsigned): obsolete, recognised only to be refused.
    public static let dockerManifestSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    public static let dockerManifestSchema1 = "application/vnd.docker.distribution.manifest.v1+json"

    // MARK: kinds

    /// An image manifest (OCI or Docker schema 2): decodes as `Manifest`.
    public static func isManifest(_ type: String) -> Bool {
        type == ociManifest || type == dockerManifest
    }

    /// An index or manifest list: decodes as `Index`.
    public static func isIndex(_ type: String) -> Bool {
        type == ociIndex || type == dockerManifestList
    }

    /// An image config (OCI or Docker): decodes as `ImageConfig`.
    public static func isImageConfig(_ type: String) -> Bool {
        type == ociConfig || type == dockerConfig
    }

    /// A filesystem layer type skiff knows how to unpack.
    public static func isLayer(_ type: String) -> Bool {
        layerCompression(type) != nil
    }

    /// A layer that registries must not receive (OCI non-distributable, Docker foreign).
    public static func isNondistributable(_ type: String) -> Bool {
        type.hasPrefix("application/vnd.oci.image.layer.nondistributable.")
            || type == dockerForeignLayerGzip || type == dockerForeignLayer
    }

    /// How a known layer type is compressed; nil for a type that is not a known layer.
    public static func layerCompression(_ type: String) -> LayerCompression? {
        switch type {
        case ociLayer, ociLayerNondistributable, dockerLayer, dockerForeignLayer: .uncompressed
        case ociLayerGzip, ociLayerNondistributableGzip, dockerLayerGzip, dockerForeignLayerGzip: .gzip
        case ociLayerZstd, ociLayerNondistributableZstd, dockerLayerZstd: .zstd
        default: nil
        }
    }

    /// The Docker schema 2 media type for a layer of type `type` (same compression);
    /// other types are returned as they are.
    public static func dockerLayerType(for type: String) -> String {
        switch layerCompression(type) {
        case .uncompressed: dockerLayer
        case .gzip: dockerLayerGzip
        case .zstd: dockerLayerZstd
        case nil: type
        }
    }

    /// Layer compression, from a layer's media type.
    public enum LayerCompression: String, Sendable, Equatable {
        case uncompressed, gzip, zstd
    }

    /// Whether `type` has the RFC 6838 form the schemas require:
    /// `^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$`
    /// (defs-descriptor.json#/definitions/mediaType). Says nothing of whether it is known.
    public static func isWellFormed(_ type: String) -> Bool {
        let parts = type.utf8.split(separator: UInt8(ascii: "/"), maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return parts.allSatisfy { part in
            guard let first = part.first, part.count <= 127, isASCIIAlnum(first) else { return false }
            return part.dropFirst().allSatisfy(isRestrictedNameChar)
        }
    }

    private static func isRestrictedNameChar(_ byte: UInt8) -> Bool {
        if isASCIIAlnum(byte) { return true }
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "^"),
            UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}

@inline(__always) func isASCIIAlnum(_ byte: UInt8) -> Bool {
    isLowerAlnum(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
}
