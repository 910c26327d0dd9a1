import FoundationEssentials
import SkiffHTTP
import SkiffOCI
import SkiffSystem

extension Registry {
    /// `GET /v2/<name>/referrers/<digest>[?artifactType=T]`: an image index of
    /// the repository's manifests whose `subject` is `digest` (distribution
    /// spec v1.1, "Listing Referrers"); an empty one when there are none.
    func referrers(_ name: String, _ text: String, _ request: RegistryRequest) throws -> HTTPResponse {
        let digest = try parseDigest(text)
        let filter = request.query("artifactType").flatMap { $0.isEmpty ? nil : $0 }
        struct Entry: Encodable {
            var mediaType: String
            var digest: Digest
            var size: Int
            var artifactType: String?
            var annotations: [String: String]?
        }
        struct ReferrerIndex: Encodable {
            var schemaVersion = 2
            var mediaType = MediaType.ociIndex
            var manifests: [Entry]
        }
        var entries: [Entry] = []
        for revision in storage.revisions(name) {
            guard let (bytes, mediaType, _) = storage.manifest(name, reference: revision.description),
                  let parsed = try? ManifestOrIndex.decode(Data(bytes)) else { continue }
            let entry: Entry
            switch parsed {
            case .manifest(let manifest):
                guard manifest.subject?.digest == digest else { continue }
                entry = Entry(
                    mediaType: mediaType, digest: revision, size: bytes.count,
                    artifactType: manifest.artifactType ?? manifest.config.mediaType, annotations: manifest.annotations)
            case .index(let index):
                guard index.subject?.digest == digest else { continue }
                entry = Entry(mediaType: mediaType, digest: revision, size: bytes.count, artifactType: index.artifactType,
                              annotations: index.annotations)
            }
            if let filter, entry.artifactType != filter { continue }
            entries.append(entry)
        }
        var headers: [(name: String, value: String)] = [("Content-Type", MediaType.ociIndex)]
        if filter != nil { headers.append(("OCI-Filters-Applied", "artifactType")) }
        return HTTPResponse(headers: headers, body: .bytes(try encode(ReferrerIndex(manifests: entries))))
    }
}

extension RegistryStorage {
    /// Every manifest digest repository `name` has.
    func revisions(_ name: String) -> [Digest] {
        Directories.list(repositoryPath(name) + "/_manifests/revisions/sha256").compactMap { try? Digest.sha256($0) }.sorted()
    }
}
