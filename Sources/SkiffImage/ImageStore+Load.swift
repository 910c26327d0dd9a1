import FoundationEssentials
import Glibc
import SkiffArchive
import SkiffIgzip
import SkiffOCI
import SkiffSnapshot
import SkiffSystem

extension ImageStore {
    /// What `load` added.
    public struct LoadResult: Sendable, Equatable {
        /// Names given, familiar form (`busybox:latest`).
        public var tags: [String]
        /// Images loaded without a name.
        public var untaggedIDs: [Digest]
    }

    /// `docker load`: a `docker save` archive (manifest.json) or an OCI
    /// image layout archive (index.json), gzip/zstd or plain, in one pass.
    /// Layers are unpacked while they stream in. On any error nothing new
    /// stays in the store.
    ///
    /// The archive is read on a thread of its own, so the store serves other
    /// requests meanwhile (a `docker save | docker load` pipe needs it to);
    /// only recording the images takes the store.
    public nonisolated func load<S: ByteSource & Sendable>(_ source: S) async throws(ImageError) -> LoadResult {
        let content = self.content, snapshots = self.snapshots
        let read = await onThread { () -> LoadSession.Handoff in
            var session = LoadSession(content: content, snapshots: snapshots)
            do {
                let reader = TarReader(try DecompressingSource(source, inflater: IgzipInflater.self))
                while let entry = try reader.next() {
                    try session.take(entry, from: reader)
                }
                return LoadSession.Handoff(session, failure: nil)
            } catch {
                return LoadSession.Handoff(session, failure: Self.loadError(error))
            }
        }
        return try await record(read)
    }

    /// The images of a read archive, recorded; on failure what it added goes
    /// again, but for blobs an image now uses (a concurrent load or pull of the
    /// same content may have recorded one meanwhile).
    private func record(_ read: LoadSession.Handoff) throws(ImageError) -> LoadResult {
        var session = read.session
        do {
            if let failure = read.failure { throw failure }
            return try session.finish { config, bytes, layers, tags, mediaType throws(ImageError) in
                try add(config: config, configBytes: bytes, layers: layers, tags: tags, manifestMediaType: mediaType)
            }
        } catch {
            session.rollback { (try? isReferenced($0)) ?? true }
            throw Self.loadError(error)
        }
    }

    private nonisolated static func loadError(_ error: any Error) -> ImageError {
        error as? ImageError ?? ImageError(.invalid, "invalid archive: \(error)")
    }
}

/// The state of one `load`: every file of the archive, blobs stored as they
/// stream past, layer-looking blobs unpacked on the way.
struct LoadSession {
    let content: ContentStore
    let snapshots: SnapshotStoreRef

    /// Small JSON files kept in memory, by archive path.
    var files: [String: [UInt8]] = [:]
    /// Every regular file, stored as a blob: archive path → descriptor.
    var blobs: [String: Descriptor] = [:]
    /// Layers unpacked while streaming: blob digest → (diffID, size, temp dir).
    var layers: [Digest: IngestedLayer] = [:]
    /// Archive symlinks (docker save links repeated layers): path → target path.
    var links: [String: String] = [:]
    /// Blobs this load added (removed again on failure).
    var newBlobs: Set<Digest> = []
    /// Layers already moved into place by this load, by blob digest
    /// (unpacked layers are keyed by diff id: the same tar unpacks the same).
    var adopted: [Digest: LayerRecord] = [:]

    static let smallFileLimit: Int64 = 8 << 20

    init(content: ContentStore, snapshots: SnapshotStore) {
        self.content = content
        self.snapshots = SnapshotStoreRef(snapshots)
    }

    mutating func take<S: ByteSource>(_ entry: TarEntry, from reader: TarReader<S>) throws {
        let path = Self.normalize(entry.path)
        switch entry.kind {
        case .symbolicLink, .hardLink:
            let target = entry.kind == .symbolicLink ? Self.resolve(entry.linkTarget, relativeTo: path) : Self.normalize(entry.linkTarget)
            links[path] = target
            return
        case .regular:
            break
        default:
            return
        }
        let source = EntrySource(reader: reader)
        let expected = Self.digestFromBlobPath(path)
        var prefixed = PrefixedSource(base: source)
        if !Self.isMetadata(path) { try prefixed.fill(upTo: 512) }
        if prefixed.looksLikeLayer {
            // A layer: stored, hashed and unpacked in one pass.
            let existed = expected.map(content.has) ?? false
            let layer = try LayerIngest.ingest(prefixed, content: content, snapshots: snapshots.store, expected: expected, name: "archive entry \(path)")
            if !existed { newBlobs.insert(layer.blob.digest) }
            if let old = layers[layer.blob.digest] { snapshots.store.discard(old.unpacked) }
            layers[layer.blob.digest] = layer
            blobs[path] = layer.blob
            return
        }
        // Anything else: kept in memory when small (configs, manifests), stored when it is a blob.
        let existed = expected.map(content.has) ?? false
        var writer = try content.writer()
        var kept: [UInt8] = []
        var src = prefixed
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        do {
            while true {
                let n = try buf.withUnsafeMutableBytes { try src.read(into: $0) }
                if n == 0 { break }
                if entry.size <= Self.smallFileLimit { kept += buf[0..<n] }
                if expected != nil { try buf.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } }
            }
            if entry.size <= Self.smallFileLimit { files[path] = kept }
            if let expected {
                let desc = try writer.commit(mediaType: "application/octet-stream", expected: expected)
                if !existed { newBlobs.insert(desc.digest) }
                blobs[path] = desc
            } else {
                writer.abort()
            }
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Records an image: the store's `add`.
    typealias Add = (ImageConfig, [UInt8], [LayerRecord], [String], String) throws(ImageError) -> ImageRecord

    /// Resolves images from manifest.json (docker) or index.json (OCI) and records them.
    mutating func finish(add: Add) throws -> ImageStore.LoadResult {
        var result = ImageStore.LoadResult(tags: [], untaggedIDs: [])
        if let manifestJSON = files[DockerArchive.manifestFileName] {
            let entries = try decode([DockerArchive.ManifestEntry].self, manifestJSON, what: "manifest.json")
            for (i, entry) in entries.enumerated() {
                let configBytes = try fileBytes(Self.normalize(entry.config), what: "manifest.json[\(i)].Config")
                let config = try decode(ImageConfig.self, configBytes, what: "image config \(entry.config)")
                let records = try layerRecords(entry.layers.map(Self.normalize), config: config, what: "manifest.json[\(i)]")
                let tags = entry.repoTags ?? []
                let image = try add(config, configBytes, records, tags, MediaType.dockerManifest)
                if tags.isEmpty { result.untaggedIDs.append(image.id) } else { result.tags += tags.map(ImageStore.familiar) }
            }
        } else if let indexJSON = files[ImageLayout.indexFileName] {
            let index = try decode(Index.self, indexJSON, what: "index.json")
            for (i, desc) in index.manifests.enumerated() {
                try loadOCI(desc, add: add, what: "index.json manifests[\(i)]", result: &result)
            }
        } else {
            throw ImageError(.invalid, "invalid archive: neither manifest.json (docker save) nor index.json (OCI layout) found")
        }
        // Layers unpacked but not used by any image: drop them.
        for layer in layers.values { snapshots.store.discard(layer.unpacked) }
        layers = [:]
        return result
    }

    mutating func loadOCI(_ desc: Descriptor, add: Add, what: String, result: inout ImageStore.LoadResult) throws {
        let bytes = try fileBytes(ImageLayout.blobPath(for: desc.digest), what: what)
        if MediaType.isIndex(desc.mediaType) {
            let index = try decode(Index.self, bytes, what: "\(what) (index)")
            // Only this platform's image of a multi-platform index.
            let here = Platform.current
            let pick = index.manifests.first { $0.platform?.architecture == here.architecture && $0.platform?.os == here.os } ?? index.manifests.first
            if let pick { try loadOCI(pick.withAnnotations(desc.annotations), add: add, what: what, result: &result) }
            return
        }
        let manifest = try decode(Manifest.self, bytes, what: "\(what) (manifest)")
        let configBytes = try fileBytes(ImageLayout.blobPath(for: manifest.config.digest), what: "\(what) config")
        let config = try decode(ImageConfig.self, configBytes, what: "\(what) config")
        let records = try layerRecords(manifest.layers.map { ImageLayout.blobPath(for: $0.digest) }, config: config, what: what)
        var tags: [String] = []
        if let name = desc.annotations?["io.containerd.image.name"] {
            tags.append(name)
        } else if let ref = desc.annotations?[Annotation.refName], let parsed = try? ImageReference(ref), parsed.tag != nil || ref.contains("/") {
            tags.append(ref)
        }
        let image = try add(config, configBytes, records, tags, manifest.mediaType ?? MediaType.ociManifest)
        if tags.isEmpty { result.untaggedIDs.append(image.id) } else { result.tags += tags.map(ImageStore.familiar) }
    }

    /// Layer records for archive paths, checked against the config's diff_ids,
    /// their unpacked directories moved into place by chain id.
    mutating func layerRecords(_ paths: [String], config: ImageConfig, what: String) throws -> [LayerRecord] {
        let diffIDs = config.rootfs.diffIDs
        guard diffIDs.count == paths.count else {
            throw ImageError(.invalid, "\(what): \(paths.count) layers but the config lists \(diffIDs.count) diff_ids")
        }
        let chains = LayerIngest.chainIDs(diffIDs)
        var records: [LayerRecord] = []
        for (i, path) in paths.enumerated() {
            let resolved = resolveLink(path)
            guard let blob = blobs[resolved] else { throw ImageError(.invalid, "\(what): layer \(path) is not in the archive") }
            let chain = chains[i]
            if let layer = layers[blob.digest] {
                guard layer.diffID == diffIDs[i] else {
                    throw ImageError(.digestMismatch, "\(what): layer \(path) has diff id \(layer.diffID), the config says \(diffIDs[i])")
                }
                try snapshots.store.adopt(layer.unpacked, as: layer.diffID.encoded)
                layers[blob.digest] = nil
                let record = LayerRecord(chainID: chain, diffID: layer.diffID, blob: layer.blob, size: layer.size)
                adopted[blob.digest] = record
                records.append(record)
            } else if var known = adopted[blob.digest] {
                // The same blob again (an image listing a layer twice, or two images sharing it).
                known.chainID = chain
                records.append(known)
            } else {
                throw ImageError(.invalid, "\(what): layer \(path) is not a tar archive")
            }
        }
        return records
    }

    func fileBytes(_ path: String, what: String) throws -> [UInt8] {
        let resolved = resolveLink(path)
        if let bytes = files[resolved] { return bytes }
        if let blob = blobs[resolved] { return try content.read(blob.digest) }
        throw ImageError(.invalid, "\(what): \(path) is not in the archive")
    }

    func resolveLink(_ path: String) -> String {
        var p = path
        var hops = 0
        while let target = links[p], hops < 16 {
            p = target
            hops += 1
        }
        return p
    }

    /// Drops what this load added: its unpacked layers not yet in place, and
    /// its new blobs but those `inUse`.
    mutating func rollback(inUse: (Digest) -> Bool) {
        for layer in layers.values { snapshots.store.discard(layer.unpacked) }
        for digest in newBlobs where !inUse(digest) { content.delete(digest) }
    }

    /// Files of the archive format itself (never layers).
    static func isMetadata(_ path: String) -> Bool {
        path.hasSuffix(".json") || path == "repositories" || path == ImageLayout.layoutFileName || path.hasSuffix("/json")
            || path.hasSuffix("/VERSION")
    }

    static func digestFromBlobPath(_ path: String) -> Digest? {
        let parts = path.split(separator: "/")
        guard parts.count == 3, parts[0] == "blobs" else { return nil }
        return try? Digest("\(parts[1]):\(parts[2])")
    }

    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }

    static func resolve(_ target: String, relativeTo path: String) -> String {
        if target.hasPrefix("/") { return normalize(target) }
        let dir = path.split(separator: "/").dropLast().joined(separator: "/")
        return normalize(dir.isEmpty ? target : dir + "/" + target)
    }
}

extension LoadSession {
    /// A session read on its own thread, handed whole to the store to record:
    /// it is never used by two at once.
    struct Handoff: @unchecked Sendable {
        let session: LoadSession
        /// Why reading the archive stopped, if it did.
        let failure: ImageError?
        init(_ session: LoadSession, failure: ImageError?) {
            self.session = session
            self.failure = failure
        }
    }
}

/// The snapshot store held by a non-Sendable session (a plain wrapper).
struct SnapshotStoreRef {
    let store: SnapshotStore
    init(_ store: SnapshotStore) { self.store = store }
}

extension Descriptor {
    func withAnnotations(_ extra: [String: String]?) -> Descriptor {
        guard let extra else { return self }
        var copy = self
        copy.annotations = (annotations ?? [:]).merging(extra) { a, _ in a }
        return copy
    }
}

/// The contents of the current archive entry, as a byte source.
struct EntrySource<S: ByteSource>: ByteSource {
    let reader: TarReader<S>
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try reader.readContents(into: buffer)
    }
}

/// A source whose first bytes were read ahead (to sniff them) and are
/// replayed before the rest.
struct PrefixedSource<Base: ByteSource>: ByteSource {
    var base: Base
    var prefix: [UInt8] = []
    var offset = 0

    mutating func fill(upTo count: Int) throws {
        var buf = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try buf.withUnsafeMutableBytes { try base.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if n == 0 { break }
            filled += n
        }
        prefix = Array(buf[0..<filled])
    }

    /// gzip or zstd magic, a tar header ("ustar" at 257), or a tar's
    /// end-of-archive block (an empty layer, which Docker saves too).
    var looksLikeLayer: Bool {
        if prefix.count >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b { return true }
        if prefix.count >= 4 && prefix[0] == 0x28 && prefix[1] == 0xb5 && prefix[2] == 0x2f && prefix[3] == 0xfd { return true }
        if prefix.count >= 262 && Array(prefix[257..<262]) == Array("ustar".utf8) { return true }
        if prefix.count == 512 && prefix.allSatisfy({ $0 == 0 }) { return true }
        return false
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset < prefix.count {
            let n = min(buffer.count, prefix.count - offset)
            prefix.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
            }
            offset += n
            return n
        }
        return try base.read(into: buffer)
    }
}
