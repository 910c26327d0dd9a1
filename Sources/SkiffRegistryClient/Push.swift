import NIOCore
import SkiffImage
import SkiffOCI

/// `docker push`: an image's layers, config and manifest (exactly as stored, so its
/// digest stays) to its registry; blobs the repository has are skipped (HEAD), blobs
/// another repository of the registry has are mounted, the rest uploaded (POST + PUT).
public enum ImagePush {
    /// Pushes `reference` (with a tag; all the repository's tags when it has none).
    public static func run(
        _ reference: ImageReference, store: ImageStore, credentials: RegistryCredentials?, insecure: [String] = [],
        certsDir: String? = nil, report: @escaping @Sendable (RegistryEvent) -> Void
    ) async throws {
        report(.status(id: nil, "The push refers to repository [\(reference.name)]"))
        var targets: [(ImageReference, ImageRecord)] = []
        if reference.tag == nil {
            let prefix = reference.name + ":"
            for image in try await store.list() {
                for tag in image.tags where tag.hasPrefix(prefix) {
                    if let ref = try? ImageReference(tag) { targets.append((ref, image)) }
                }
            }
            guard !targets.isEmpty else {
                throw RegistryError(.notFound, "An image does not exist locally with the tag: \(reference.familiarName)")
            }
            targets.sort { $0.0.fullName < $1.0.fullName }
        } else {
            guard let image = try? await store.resolve(reference.fullName) else {
                throw RegistryError(.notFound, "An image does not exist locally with the tag: \(reference.familiarName)")
            }
            targets.append((reference, image))
        }
        // Repositories of the same registry this store pulled blobs from: mount sources.
        var sources: [Digest: String] = [:]
        for image in try await store.list() {
            for name in image.repoDigests {
                guard let ref = try? ImageReference(name), ref.registry == reference.registry,
                      ref.repository != reference.repository else { continue }
                for layer in image.layers where sources[layer.blob.digest] == nil { sources[layer.blob.digest] = ref.repository }
            }
        }
        let mountScopes = Set(sources.values).sorted().map { "repository:\($0):pull" }
        let client = RegistryClient(
            endpoint: RegistryEndpoint.resolve(reference.registry, insecure: insecure, certsDir: certsDir), repository: reference.repository,
            credentials: credentials, actions: ["pull", "push"], extraScopes: mountScopes)
        try await client.authenticate()
        for (ref, image) in targets {
            try await push(image, as: ref, client: client, store: store, sources: sources, report: report)
            try? await store.addRepoDigest(image, "\(ref.name)@\(image.manifest.digest)")
        }
    }

    static func push(
        _ image: ImageRecord, as ref: ImageReference, client: RegistryClient, store: ImageStore, sources: [Digest: String],
        report: @escaping @Sendable (RegistryEvent) -> Void
    ) async throws {
        var seen: Set<Digest> = []
        let layers = image.layers.reversed().filter { seen.insert($0.blob.digest).inserted }
        for layer in layers { report(.status(id: layer.diffID.shortID, "Preparing")) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = layers.makeIterator()
            func start() {
                guard let layer = next.next() else { return }
                group.addTask {
                    try await pushLayer(layer, client: client, store: store, source: sources[layer.blob.digest], report: report)
                }
            }
            for _ in 0..<3 { start() }
            while try await group.next() != nil { start() }
        }
        // The config, then the manifest as stored.
        let configSize = store.content.size(image.id) ?? 0
        if try await !client.hasBlob(image.id) {
            try await client.upload(image.id, size: configSize, path: store.content.path(image.id))
        }
        let manifestBytes: [UInt8]
        do {
            manifestBytes = try store.content.read(image.manifest.digest)
        } catch {
            throw RegistryError(.failed, "\(error)")
        }
        let tag = ref.tag ?? ImageReference.defaultTag
        _ = try await client.putManifest(manifestBytes, mediaType: image.manifest.mediaType, reference: tag)
        report(.status(id: nil, "\(tag): digest: \(image.manifest.digest) size: \(manifestBytes.count)"))
        report(.pushed(tag: tag, digest: image.manifest.digest.description, size: manifestBytes.count))
    }

    static func pushLayer(
        _ layer: LayerRecord, client: RegistryClient, store: ImageStore, source: String?,
        report: @escaping @Sendable (RegistryEvent) -> Void
    ) async throws {
        let id = layer.diffID.shortID
        let digest = layer.blob.digest
        if try await client.hasBlob(digest) {
            report(.status(id: id, "Layer already exists"))
            return
        }
        var location: String?
        if let source {
            let result = try await client.mount(digest, from: source)
            if result.mounted {
                report(.status(id: id, "Mounted from \(source)"))
                return
            }
            location = result.location
        }
        guard let size = store.content.size(digest) else {
            throw RegistryError(.failed, "layer \(digest) is missing from the content store")
        }
        try await client.upload(digest, size: size, path: store.content.path(digest), location: location) { sent in
            report(.progress(id: id, "Pushing", current: sent, total: size))
        }
        report(.status(id: id, "Pushed"))
    }
}
