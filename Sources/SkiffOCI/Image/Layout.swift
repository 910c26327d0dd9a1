// OCI image-spec v1.1, image-layout.md and annotations.md.
// https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md
// https://github.com/opencontainers/image-spec/blob/v1.1.1/annotations.md
// Schema: shared/reference/oci-image-schema/image-layout-schema.json

/// The `oci-layout` file at the root of an image layout (image-layout.md#oci-layout-file).
public struct ImageLayout: Codable, Sendable, Equatable {
    /// `imageLayoutVersion`, REQUIRED: `1.0.0`.
    public var imageLayoutVersion: String

    public init(imageLayoutVersion: String = ImageLayout.version) {
        self.imageLayoutVersion = imageLayoutVersion
    }

    /// The layout version this code writes and reads.
    public static let version = "1.0.0"
    /// image-layout.md#oci-layout-file
    public static let layoutFileName = "oci-layout"
    /// image-layout.md#indexjson-file: the layout's entry point, an `Index`.
    public static let indexFileName = "index.json"
    /// image-layout.md#blobs
    public static let blobsDirectory = "blobs"

    /// Where a blob lives in a layout, relative to its root: `blobs/<alg>/<encoded>`.
    public static func blobPath(for digest: Digest) -> String {
        "\(blobsDirectory)/\(digest.algorithm.rawValue)/\(digest.encoded)"
    }
}

/// Pre-defined annotation keys (annotations.md#pre-defined-annotation-keys), and the
/// one containerd and Docker use to name an image in a layout's index.
public enum Annotation {
    public static let created = "org.opencontainers.image.created"
    public static let authors = "org.opencontainers.image.authors"
    public static let url = "org.opencontainers.image.url"
    public static let documentation = "org.opencontainers.image.documentation"
    public static let source = "org.opencontainers.image.source"
    public static let version = "org.opencontainers.image.version"
    public static let revision = "org.opencontainers.image.revision"
    public static let vendor = "org.opencontainers.image.vendor"
    public static let licenses = "org.opencontainers.image.licenses"
    /// In a layout's index.json: the tag (or full reference) of a manifest.
    public static let refName = "org.opencontainers.image.ref.name"
    public static let title = "org.opencontainers.image.title"
    public static let description = "org.opencontainers.image.description"
    public static let baseImageDigest = "org.opencontainers.image.base.digest"
    public static let baseImageName = "org.opencontainers.image.base.name"
    /// containerd's (and Docker's `docker save`) full image name in index.json.
    public static let containerdImageName = "io.containerd.image.name"
}
