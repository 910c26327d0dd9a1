// Decoding image-spec JSON with errors that name the field.
import FoundationEssentials

/// An image-spec document that could not be used, with the field that is wrong.
public struct ImageSpecError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was being read (`image manifest`, `image index`, `image config`, ...).
    public var document: String
    /// Path of the offending field (`layers[2].digest`), or empty for the whole document.
    public var field: String
    public var problem: String

    public init(document: String, field: String, problem: String) {
        self.document = document
        self.field = field
        self.problem = problem
    }

    public var description: String {
        field.isEmpty ? "\(document): \(problem)" : "\(document): \(field): \(problem)"
    }
}

/// An image-spec JSON document: `decode` reports failures by field.
public protocol ImageSpecDocument: Codable, Sendable {
    /// How errors name the document (`image manifest`).
    static var documentName: String { get }
}

extension ImageSpecDocument {
    /// Decodes JSON bytes; a failure names the field (`layers[2].digest: invalid
    /// digest "sha256:12": sha256 digests have 64 hex characters, this has 2`).
    public static func decode(_ data: Data) throws(ImageSpecError) -> Self {
        try decodeImageJSON(Self.self, from: data, document: documentName)
    }

    /// JSON with sorted keys and unescaped '/' (media types stay readable). Bytes
    /// that were read must be kept as read to keep their digest; this is for
    /// documents skiff writes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

extension Manifest: ImageSpecDocument {
    public static var documentName: String { "image manifest" }
}

extension Index: ImageSpecDocument {
    public static var documentName: String { "image index" }
}

extension ImageConfig: ImageSpecDocument {
    public static var documentName: String { "image config" }
}

extension ImageLayout: ImageSpecDocument {
    public static var documentName: String { ImageLayout.layoutFileName }
}

extension Descriptor: ImageSpecDocument {
    public static var documentName: String { "descriptor" }
}

extension DockerArchive.Repositories: ImageSpecDocument {
    public static var documentName: String { DockerArchive.repositoriesFileName }
}

extension DockerArchive {
    /// Decodes an archive's manifest.json; a failure names the entry and field (`[0].Layers`).
    public static func decodeManifest(_ data: Data) throws(ImageSpecError) -> [ManifestEntry] {
        try decodeImageJSON([ManifestEntry].self, from: data, document: manifestFileName)
    }
}

/// JSON decoding whose errors name the field, in the same words as `SpecError`.
func decodeImageJSON<T: Decodable>(_ type: T.Type, from data: Data, document: String) throws(ImageSpecError) -> T {
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as DecodingError {
        let named = SpecError(decoding: error)
        throw ImageSpecError(document: document, field: named.field, problem: named.problem)
    } catch {
        throw ImageSpecError(document: document, field: "", problem: "\(error)")
    }
}
