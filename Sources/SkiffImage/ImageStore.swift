import FoundationEssentials
import GRDB
import Glibc
import SkiffOCI
import SkiffSystem
import SkiffSnapshot

/// A layer an image stands on.
public struct LayerRecord: Sendable, Equatable {
    /// Identifies the layer together with every layer below it (image-spec config.md#layer-chainid).
    public var chainID: Digest
    /// Digest of the uncompressed tar.
    public var diffID: Digest
    /// A stored blob holding this layer (compressed or not).
    public var blob: Descriptor
    /// Uncompressed tar size.
    public var size: Int64
}

/// An image in the store.
public struct ImageRecord: Sendable, Equatable {
    /// The config digest (Docker's image id).
    public var id: Digest
    public var manifest: Descriptor
    public var created: String?
    /// Sum of the uncompressed layer sizes.
    public var size: Int64
    public var parent: Digest?
    /// Full names: `docker.io/library/busybox:latest`.
    public var tags: [String]
    /// `docker.io/library/busybox@sha256:...`.
    public var repoDigests: [String]
    /// Bottom layer first.
    public var layers: [LayerRecord]
}

/// Images: blobs in a ContentStore, unpacked layers in a SnapshotStore,
/// names and layer chains in SQLite. Every change to the metadata is one
/// transaction; blobs and layers are written before the rows that name them.
public actor ImageStore {
    public nonisolated let root: String
    public nonisolated let content: ContentStore
    public nonisolated let snapshots: SnapshotStore
    let db: ImageDatabase

    /// The store's methods block on files and SQLite: they run on a thread
    /// of their own, never on the cooperative pool.
    private static let executor = ThreadExecutor()
    public nonisolated var unownedExecutor: UnownedSerialExecutor { Self.executor.asUnownedSerialExecutor() }

    /// Opens (creating) the store under `root` (e.g. /var/lib/skiff).
    public init(root: String) throws(ImageError) {
        self.root = root
        try makeDirectory(root)
        content = try ContentStore(root: root + "/content")
        do {
            snapshots = try SnapshotStore(root: root + "/snapshots")
        } catch {
            throw ImageError(.io, "\(error)")
        }
        db = try ImageDatabase(path: root + "/images.db")
    }

    // MARK: Reading

    /// All images, newest first.
    public func list() throws(ImageError) -> [ImageRecord] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM image ORDER BY added DESC, id").map { try Self.record(db, $0) }
        }
    }

    /// Finds an image by name (`busybox`, `busybox:1`, `reg/x@sha256:...`),
    /// by id (`sha256:<hex>`, the hex, or a unique prefix of it).
    public func resolve(_ name: String) throws(ImageError) -> ImageRecord {
        try db.read { db in
            guard let id = try Self.resolveID(db, name) else {
                throw ImageError(.notFound, "No such image: \(name)")
            }
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM image WHERE id = ?", arguments: [id]) else {
                throw ImageError(.notFound, "No such image: \(name)")
            }
            return try Self.record(db, row)
        }
    }

    /// The image's config.
    public func config(of image: ImageRecord) throws(ImageError) -> ImageConfig {
        try decode(ImageConfig.self, content.read(image.id), what: "config of \(image.id)")
    }

    /// The image's manifest.
    public func manifest(of image: ImageRecord) throws(ImageError) -> Manifest {
        try decode(Manifest.self, content.read(image.manifest.digest), what: "manifest \(image.manifest.digest)")
    }

    /// The unpacked layers of an image, bottom first, as SnapshotStore keys
    /// (diff id hexes: a layer unpacks the same whatever lies below it).
    public nonisolated func layerKeys(of image: ImageRecord) -> [String] {
        image.layers.map(\.diffID.encoded)
    }

    // MARK: Names

    /// Gives `image` the name `target` (moving it from another image if needed).
    public func tag(_ image: ImageRecord, as target: String) throws(ImageError) {
        let ref = try Self.parseTag(target)
        guard ref.digest == nil else {
            throw ImageError(.invalid, "refusing to create a tag with a digest reference: \(target)")
        }
        try db.write { db in
            try db.execute(
                sql: "INSERT INTO tag (name, image) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET image = excluded.image",
                arguments: [ref.withDefaultTag().fullName, image.id.description])
        }
    }

    /// A name to give an image. As dockerd, never a repository called like the digest
    /// algorithm: `sha256:abc` would read as an image id.
    public static func parseTag(_ name: String) throws(ImageError) -> ImageReference {
        let ref = try parse(name)
        guard ref.familiarName != "sha256" else {
            throw ImageError(.invalid, "refusing to create an ambiguous tag using digest algorithm as name")
        }
        return ref
    }

    /// What `remove` did, as docker reports it.
    public struct Removal: Sendable, Equatable {
        public var untagged: [String]
        public var deleted: [Digest]
    }

    /// `docker rmi`: a name untags (and deletes the image when that was its
    /// last name); an id deletes the image (with several names only with
    /// `force`). Images in `inUse` (by containers) are kept unless `force`;
    /// then only their names go. With `prune`, unnamed parents go too.
    public func remove(_ name: String, force: Bool, prune: Bool = true, inUse: Set<Digest> = []) throws(ImageError) -> Removal {
        let image = try resolve(name)
        var removal = Removal(untagged: [], deleted: [])
        let byName = try? Self.parse(name)
        let hex = name.hasPrefix("sha256:") ? String(name.dropFirst(7)) : name
        let isID = image.id.encoded.hasPrefix(hex) && !image.tags.contains(byName?.withDefaultTag().fullName ?? "")
        if !isID, let ref = byName {
            let full = ref.digest == nil ? ref.withDefaultTag().fullName : ref.fullName
            // dockerd: when a repository's last tag of the image goes, its digest references
            // in that repository go with it.
            var names = [full]
            if ref.digest == nil {
                let repository = ref.name
                let sameRepository = { (other: String) in (try? ImageReference(other))?.name == repository }
                if !image.tags.contains(where: { $0 != full && sameRepository($0) }) {
                    names += image.repoDigests.filter(sameRepository)
                }
            }
            let remaining = image.tags.count + image.repoDigests.count - names.filter { image.tags.contains($0) || image.repoDigests.contains($0) }.count
            // Untag only: the image stays while other names or containers need it.
            if remaining > 0 || (inUse.contains(image.id) && !force) {
                try db.write { db in
                    for name in names {
                        try db.execute(sql: "DELETE FROM tag WHERE name = ?", arguments: [name])
                        try db.execute(sql: "DELETE FROM repoDigest WHERE name = ? AND image = ?", arguments: [name, image.id.description])
                    }
                }
                removal.untagged += names.map(Self.familiar)
                return removal
            }
        } else if image.tags.count > 1 && !force {
            throw ImageError(.conflict, "conflict: unable to delete \(image.id.shortID) (must be forced) - image is referenced in multiple repositories")
        }
        if inUse.contains(image.id) {
            guard force else {
                throw ImageError(.conflict, "conflict: unable to delete \(image.id.shortID) (cannot be forced) - image is being used by a container")
            }
            // Forced while in use: the names go, the image stays for its containers.
            try db.write { db in
                try db.execute(sql: "DELETE FROM tag WHERE image = ?", arguments: [image.id.description])
                try db.execute(sql: "DELETE FROM repoDigest WHERE image = ?", arguments: [image.id.description])
            }
            removal.untagged += (image.tags + image.repoDigests).map(Self.familiar)
            return removal
        }
        let children = try db.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM image WHERE parent = ?", arguments: [image.id.description]) ?? 0
        }
        if children > 0 && !force {
            throw ImageError(.conflict, "conflict: unable to delete \(image.id.shortID) (cannot be forced) - image has dependent child images")
        }
        removal.untagged += (image.tags + image.repoDigests).map(Self.familiar)
        try delete(image)
        removal.deleted.append(image.id)
        if prune { removal.deleted += try pruneParents(of: image, inUse: inUse) }
        return removal
    }

    /// After `image` is deleted: its parent, and that one's, as long as each is unnamed, has no
    /// other child and no container uses it (the intermediate images of a build), as dockerd
    /// does unless `noprune`.
    private func pruneParents(of image: ImageRecord, inUse: Set<Digest>) throws(ImageError) -> [Digest] {
        var deleted: [Digest] = []
        var next = image.parent
        while let id = next, let parent = try? resolve(id.description), !inUse.contains(parent.id),
              parent.tags.isEmpty, parent.repoDigests.isEmpty, try !hasChildren(parent) {
            try delete(parent)
            deleted.append(parent.id)
            next = parent.parent
        }
        return deleted
    }

    /// Deletes an image's rows, then what nothing else uses: layers and blobs.
    func delete(_ image: ImageRecord) throws(ImageError) {
        try db.write { db in
            try db.execute(sql: "UPDATE image SET parent = NULL WHERE parent = ?", arguments: [image.id.description])
            try db.execute(sql: "DELETE FROM image WHERE id = ?", arguments: [image.id.description])
        }
        try collectGarbage()
    }

    /// Removes layers no image uses (their unpacked directories too) and
    /// blobs nothing refers to. Returns the bytes freed.
    @discardableResult
    public func collectGarbage() throws(ImageError) -> Int64 {
        let (liveBlobs, liveDiffs) = try db.write { db -> (Set<String>, Set<String>) in
            try db.execute(sql: "DELETE FROM layer WHERE chainID NOT IN (SELECT chainID FROM imageLayer)")
            var live = Set(try String.fetchAll(db, sql: "SELECT id FROM image"))
            live.formUnion(try String.fetchAll(db, sql: "SELECT manifest FROM image"))
            live.formUnion(try String.fetchAll(db, sql: "SELECT blob FROM layer"))
            let diffs = Set(try String.fetchAll(db, sql: "SELECT diffID FROM layer").compactMap { try? Digest($0).encoded })
            return (live, diffs)
        }
        var freed: Int64 = 0
        for key in snapshots.layers() where !liveDiffs.contains(key) {
            snapshots.removeLayer(key)
        }
        for digest in content.digests() where !liveBlobs.contains(digest.description) {
            freed += content.size(digest) ?? 0
            content.delete(digest)
        }
        return freed
    }

    /// `docker image prune`: dangling images (no names), or every image no
    /// container uses with `all`.
    public func prune(all: Bool, inUse: Set<Digest>) throws(ImageError) -> (deleted: [Digest], untagged: [String], reclaimed: Int64) {
        var deleted: [Digest] = []
        var untagged: [String] = []
        var reclaimed: Int64 = 0
        for image in try list() where !inUse.contains(image.id) {
            guard all || (image.tags.isEmpty && image.repoDigests.isEmpty) else { continue }
            let children = try db.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM image WHERE parent = ?", arguments: [image.id.description]) ?? 0
            }
            if children > 0 && !all { continue }
            untagged += (image.tags + image.repoDigests).map(Self.familiar)
            try db.write { db in
                try db.execute(sql: "UPDATE image SET parent = NULL WHERE parent = ?", arguments: [image.id.description])
                try db.execute(sql: "DELETE FROM image WHERE id = ?", arguments: [image.id.description])
            }
            deleted.append(image.id)
            reclaimed += image.size
        }
        try collectGarbage()
        return (deleted, untagged, reclaimed)
    }

    // MARK: History

    public struct HistoryEntry: Sendable, Equatable {
        /// The image id for the top entry, nil ("<missing>") below, as docker shows.
        public var id: Digest?
        public var created: String?
        public var createdBy: String
        public var size: Int64
        public var comment: String
        public var emptyLayer: Bool
    }

    /// `docker history`: newest first.
    public func history(_ image: ImageRecord) throws(ImageError) -> [HistoryEntry] {
        let config = try config(of: image)
        var layers = image.layers.makeIterator()
        var entries: [HistoryEntry] = []
        for h in config.history ?? [] {
            let empty = h.emptyLayer ?? false
            let size = empty ? 0 : (layers.next()?.size ?? 0)
            entries.append(HistoryEntry(id: nil, created: h.created, createdBy: h.createdBy ?? "", size: size, comment: h.comment ?? "", emptyLayer: empty))
        }
        if entries.isEmpty {
            for layer in image.layers {
                entries.append(HistoryEntry(id: nil, created: config.created, createdBy: "", size: layer.size, comment: "", emptyLayer: false))
            }
        }
        // Each image of the local parent chain (commit, build) names the newest entry it
        // has: its history is that long.
        var current: ImageRecord? = image
        var seen: Set<Digest> = []
        while let known = current, seen.insert(known.id).inserted {
            let count = known.id == image.id ? entries.count : ((try? self.config(of: known))?.history?.count ?? 0)
            if count > 0 && count <= entries.count && entries[count - 1].id == nil { entries[count - 1].id = known.id }
            current = known.parent.flatMap { try? resolve($0.description) }
        }
        entries.reverse()
        return entries
    }

    /// Whether other images name `image` as their parent (a build's intermediate images).
    public func hasChildren(_ image: ImageRecord) throws(ImageError) -> Bool {
        try db.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM image WHERE parent = ?", arguments: [image.id.description]) ?? 0
        } > 0
    }

    // MARK: Adding images

    /// Whether a recorded image uses `blob` (as a layer, its config or its manifest).
    func isReferenced(_ blob: Digest) throws(ImageError) -> Bool {
        let d = blob.description
        return try db.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS(SELECT 1 FROM layer WHERE blob = ?) OR EXISTS(SELECT 1 FROM image WHERE id = ? OR manifest = ?)",
                arguments: [d, d, d]) ?? true
        }
    }

    /// Records a new image from a config and its layers (blobs stored,
    /// layers unpacked): writes the config and manifest blobs, then the rows,
    /// in one transaction. Names in `tags` move to it. `configBytes` are the
    /// config as read (an image's id is their digest), else it is encoded; likewise
    /// `manifestBytes` (a pulled image's manifest), else one is made.
    @discardableResult
    public func add(
        config: ImageConfig, configBytes given: [UInt8]? = nil, layers: [LayerRecord], tags: [String] = [],
        repoDigests: [String] = [], parent: Digest? = nil, manifestMediaType: String = MediaType.ociManifest,
        manifestBytes: [UInt8]? = nil
    ) throws(ImageError) -> ImageRecord {
        guard config.rootfs.diffIDs.count == layers.count,
              zip(config.rootfs.diffIDs, layers).allSatisfy({ $0.0 == $0.1.diffID }) else {
            throw ImageError(.invalid, "image config rootfs.diff_ids do not match the layers")
        }
        let configBytes: [UInt8]
        if let given {
            configBytes = given
        } else {
            configBytes = try encode(config)
        }
        for layer in layers where !content.has(layer.blob.digest) {
            throw ImageError(.corrupt, "layer blob \(layer.blob.digest) is not in the store (removed meanwhile?)")
        }
        let docker = manifestMediaType == MediaType.dockerManifest
        let configDesc = try content.put(configBytes, mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig)
        // A Docker manifest names its layers with Docker's media types.
        let layerDescriptors = layers.map { layer in
            var blob = layer.blob
            if docker { blob.mediaType = MediaType.dockerLayerType(for: blob.mediaType) }
            return blob
        }
        let manifest = Manifest(
            schemaVersion: 2, mediaType: manifestMediaType, config: configDesc, layers: layerDescriptors)
        // A pulled image keeps its manifest as served (its digest is the registry's).
        let manifestData: [UInt8]
        if let manifestBytes { manifestData = manifestBytes } else { manifestData = try encode(manifest) }
        let manifestDesc = try content.put(manifestData, mediaType: manifestMediaType)
        let names = try tags.map { (t) throws(ImageError) in try Self.parseTag(t).withDefaultTag().fullName }
        let size = layers.reduce(Int64(0)) { $0 + $1.size }
        try db.write { db in
            try db.execute(
                sql: """
                    INSERT INTO image (id, manifest, manifestMediaType, manifestSize, created, size, parent, added)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET manifest = excluded.manifest, manifestMediaType = excluded.manifestMediaType,
                        manifestSize = excluded.manifestSize
                    """,
                arguments: [configDesc.digest.description, manifestDesc.digest.description, manifestMediaType,
                            manifestDesc.size, config.created, size, parent?.description, Self.now()])
            try db.execute(sql: "DELETE FROM imageLayer WHERE image = ?", arguments: [configDesc.digest.description])
            var parentChain: String?
            for (i, layer) in layers.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO layer (chainID, diffID, parent, blob, mediaType, blobSize, size) VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(chainID) DO NOTHING
                        """,
                    arguments: [layer.chainID.description, layer.diffID.description, parentChain, layer.blob.digest.description,
                                layer.blob.mediaType, layer.blob.size, layer.size])
                try db.execute(
                    sql: "INSERT INTO imageLayer (image, position, chainID) VALUES (?, ?, ?)",
                    arguments: [configDesc.digest.description, i, layer.chainID.description])
                parentChain = layer.chainID.description
            }
            for name in names {
                try db.execute(
                    sql: "INSERT INTO tag (name, image) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET image = excluded.image",
                    arguments: [name, configDesc.digest.description])
            }
            for name in repoDigests {
                try db.execute(sql: "INSERT OR IGNORE INTO repoDigest (name, image) VALUES (?, ?)", arguments: [name, configDesc.digest.description])
            }
        }
        // Names moved away may leave an image with none and no use: that is
        // docker's dangling image, kept until pruned.
        return try resolve(configDesc.digest.description)
    }

    // MARK: Helpers

    static func parse(_ name: String) throws(ImageError) -> ImageReference {
        do {
            return try ImageReference(name)
        } catch {
            throw ImageError(.invalid, "\(error)")
        }
    }

    static func familiar(_ fullName: String) -> String {
        (try? ImageReference(fullName))?.familiar ?? fullName
    }

    static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp.format(seconds: Int64(ts.tv_sec), nanoseconds: Int(ts.tv_nsec))
    }

    static func resolveID(_ db: Database, _ name: String) throws -> String? {
        // A full or short id.
        let hex = name.hasPrefix("sha256:") ? String(name.dropFirst(7)) : name
        if !hex.isEmpty, hex.count <= 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) {
            let ids = try String.fetchAll(db, sql: "SELECT id FROM image WHERE id LIKE ? LIMIT 2", arguments: ["sha256:\(hex)%"])
            // An ambiguous prefix matches nothing here; it may still be a name.
            if ids.count == 1 { return ids[0] }
        }
        guard let ref = try? ImageReference(name) else { return nil }
        if let digest = ref.digest {
            if let id = try String.fetchOne(db, sql: "SELECT image FROM repoDigest WHERE name = ?", arguments: [ref.name + "@" + digest.description]) {
                return id
            }
            return try String.fetchOne(db, sql: "SELECT id FROM image WHERE manifest = ?", arguments: [digest.description])
        }
        return try String.fetchOne(db, sql: "SELECT image FROM tag WHERE name = ?", arguments: [ref.withDefaultTag().fullName])
    }

    static func record(_ db: Database, _ row: Row) throws -> ImageRecord {
        let id: String = row["id"]
        let layerRows = try Row.fetchAll(
            db,
            sql: """
                SELECT l.* FROM imageLayer il JOIN layer l ON l.chainID = il.chainID
                WHERE il.image = ? ORDER BY il.position
                """,
            arguments: [id])
        let layers = try layerRows.map { r in
            LayerRecord(
                chainID: try Digest(r["chainID"] as String), diffID: try Digest(r["diffID"] as String),
                blob: Descriptor(mediaType: r["mediaType"], digest: try Digest(r["blob"] as String), size: r["blobSize"]),
                size: r["size"])
        }
        let manifestDigest: String = row["manifest"]
        let parent: String? = row["parent"]
        let manifestSize: Int64 = row["manifestSize"]
        return ImageRecord(
            id: try Digest(id),
            manifest: Descriptor(mediaType: row["manifestMediaType"], digest: try Digest(manifestDigest), size: manifestSize),
            created: row["created"], size: row["size"], parent: try parent.map { try Digest($0) },
            tags: try String.fetchAll(db, sql: "SELECT name FROM tag WHERE image = ? ORDER BY name", arguments: [id]),
            repoDigests: try String.fetchAll(db, sql: "SELECT name FROM repoDigest WHERE image = ? ORDER BY name", arguments: [id]),
            layers: layers)
    }
}

// MARK: - JSON

func encode<T: Encodable>(_ value: T) throws(ImageError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
        return Array(try encoder.encode(value))
    } catch {
        throw ImageError(.invalid, "encode \(T.self): \(error)")
    }
}

func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], what: String) throws(ImageError) -> T {
    do {
        return try JSONDecoder().decode(type, from: Data(bytes))
    } catch {
        throw ImageError(.invalid, "\(what): \(error)")
    }
}
