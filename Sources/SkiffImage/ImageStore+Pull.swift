import GRDB
import SkiffArchive
import SkiffOCI

extension ImageStore {
    /// A layer the store already holds as `blob` (stored and unpacked), ready to be named
    /// by a pulled image: what lets a pull skip its download.
    public func knownLayer(blob: Digest, diffID: Digest) throws(ImageError) -> (blob: Descriptor, size: Int64)? {
        guard content.has(blob), snapshots.hasLayer(diffID.encoded) else { return nil }
        let row = try db.read { db in
            try Row.fetchOne(
                db, sql: "SELECT mediaType, blobSize, size FROM layer WHERE blob = ? AND diffID = ? LIMIT 1",
                arguments: [blob.description, diffID.description])
        }
        guard let row else { return nil }
        let mediaType: String = row["mediaType"]
        let blobSize: Int64 = row["blobSize"]
        let size: Int64 = row["size"]
        return (Descriptor(mediaType: mediaType, digest: blob, size: blobSize), size)
    }

    /// A layer blob read from `source` (a registry's response): stored under its digest,
    /// which must be `expected.digest` (and its size `expected.size`), its tar hashed and
    /// unpacked in the same pass; its diff id must be `diffID`. On any error nothing of it
    /// stays. Blocks: call it off the cooperative pool.
    public nonisolated func ingestLayer<S: ByteSource>(
        _ source: S, expected: Descriptor, diffID: Digest, name: String
    ) throws(ImageError) -> (blob: Descriptor, size: Int64) {
        let layer = try LayerIngest.ingest(source, content: content, snapshots: snapshots, expected: expected.digest, name: name)
        guard layer.blob.size == expected.size else {
            snapshots.discard(layer.unpacked)
            throw ImageError(.sizeMismatch, "\(name): expected \(expected.size) bytes, got \(layer.blob.size)")
        }
        guard layer.diffID == diffID else {
            snapshots.discard(layer.unpacked)
            throw ImageError(.digestMismatch, "\(name): its content has diff id \(layer.diffID), the image config says \(diffID)")
        }
        do {
            try snapshots.adopt(layer.unpacked, as: diffID.encoded)
        } catch {
            snapshots.discard(layer.unpacked)
            throw ImageError(.io, "\(error)")
        }
        var blob = layer.blob
        blob.mediaType = expected.mediaType
        return (blob, layer.size)
    }

    /// Records a pulled image: its config and manifest exactly as the registry served them
    /// (so the manifest digest is the registry's), its layers (stored and unpacked), `tags`
    /// and `repoDigests` (`registry/repo@sha256:...`).
    @discardableResult
    public func addPulled(
        configBytes: [UInt8], manifestBytes: [UInt8], manifestMediaType: String,
        layers: [(blob: Descriptor, diffID: Digest, size: Int64)], tags: [String], repoDigests: [String]
    ) throws(ImageError) -> ImageRecord {
        let config = try decode(ImageConfig.self, configBytes, what: "image config")
        let chains = LayerIngest.chainIDs(layers.map(\.diffID))
        let records = layers.enumerated().map { i, layer in
            LayerRecord(chainID: chains[i], diffID: layer.diffID, blob: layer.blob, size: layer.size)
        }
        return try add(
            config: config, configBytes: configBytes, layers: records, tags: tags, repoDigests: repoDigests,
            manifestMediaType: manifestMediaType, manifestBytes: manifestBytes)
    }
}

extension ImageStore {
    /// Records that `image`'s manifest is known to a registry as `name`
    /// (`registry/repo@sha256:...`), as a push or pull leaves it.
    public func addRepoDigest(_ image: ImageRecord, _ name: String) throws(ImageError) {
        try db.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO repoDigest (name, image) VALUES (?, ?)", arguments: [name, image.id.description])
        }
    }
}
