import FoundationEssentials
import AsyncHTTPClient
import NIOCore
import SkiffImage
import SkiffOCI

/// What a pull or push reports as it goes, in the shape of Docker's JSON messages.
public enum RegistryEvent: Sendable, Equatable {
    /// A status line, for one layer (`id`) or for the whole.
    case status(id: String?, String)
    /// Bytes moved for a layer.
    case progress(id: String, String, current: Int64, total: Int64)
    /// The end of a push: `{"aux":{"Tag","Digest","Size"}}`.
    case pushed(tag: String, digest: String, size: Int)
}

/// A pull, resolved down to this platform's manifest before anything is reported (so a
/// missing image or refused credentials fail the request itself, as dockerd does).
public struct ImagePull: Sendable {
    /// The reference pulled (a tag, `latest` by default, or a digest).
    public let reference: ImageReference
    /// What the reference names: an index (manifest list) or the manifest itself.
    public let topDigest: Digest
    public let manifest: RegistryClient.FetchedManifest
    let client: RegistryClient

    /// Resolves `reference` at its registry: authenticates, fetches the manifest (and,
    /// from an index, the one for `platform`, this machine's by default).
    public static func prepare(
        _ reference: ImageReference, platform: Platform? = nil, credentials: RegistryCredentials?, insecure: [String] = [],
        certsDir: String? = nil
    ) async throws -> ImagePull {
        let ref = reference.isNameOnly ? reference.withDefaultTag() : reference
        let client = RegistryClient(
            endpoint: RegistryEndpoint.resolve(ref.registry, insecure: insecure, certsDir: certsDir), repository: ref.repository,
            credentials: credentials)
        do {
            try await client.authenticate()
            let wanted = ref.digest?.description ?? ref.tag ?? ImageReference.defaultTag
            var fetched = try await client.manifest(wanted, hash: Digest.sha256(of:))
            let top = fetched.digest
            if MediaType.isIndex(fetched.mediaType) {
                let index = try decodeJSON(Index.self, fetched.bytes, what: "image index")
                let here = platform ?? Platform.current
                guard let pick = PlatformMatch.select(index.manifests, for: here) else {
                    let variant = here.variant.map { "/\($0)" } ?? ""
                    throw RegistryError(.notFound, "no matching manifest for \(here.os)/\(here.architecture)\(variant) in the manifest list entries")
                }
                fetched = try await client.manifest(pick.digest.description, hash: Digest.sha256(of:))
                guard MediaType.isManifest(fetched.mediaType) else {
                    throw RegistryError(.invalid, "manifest \(pick.digest) of the index is a \(fetched.mediaType), not an image manifest")
                }
            }
            return ImagePull(reference: ref, topDigest: top, manifest: fetched, client: client)
        } catch let error as RegistryError {
            throw describe(error, ref: ref, credentials: credentials)
        }
    }

    /// dockerd's wording for a failed resolve.
    static func describe(_ error: RegistryError, ref: ImageReference, credentials: RegistryCredentials?) -> RegistryError {
        var error = error
        switch error.kind {
        case .notFound where error.codes.contains("MANIFEST_UNKNOWN") || (error.status == 404 && error.codes.isEmpty):
            error.message = "manifest for \(ref.familiar) not found: \(error.message)"
        case .unauthorized where credentials == nil || error.codes.contains("DENIED"):
            error.message = "pull access denied for \(ref.familiarName), repository does not exist or may require 'docker login': \(error.message)"
        default:
            break
        }
        return error
    }

    /// Layers downloaded (and unpacked) at once. Ingest is CPU-bound, so dockerd's 3 left the
    /// slow layers of an image queued behind the first ones with cores idle; six covers most
    /// images whole.
    static let parallelLayers = 6

    /// Downloads what the store lacks (layers in parallel, each unpacked as it arrives and
    /// checked against its digest) and records the image under its names.
    public func run(store: ImageStore, report: @escaping @Sendable (RegistryEvent) -> Void) async throws -> ImageRecord {
        let shown = reference.digest?.description ?? reference.tag ?? ImageReference.defaultTag
        report(.status(id: shown, "Pulling from \(reference.repository)"))
        let manifest = try decodeJSON(Manifest.self, self.manifest.bytes, what: "manifest")
        let configBytes = try await client.smallBlob(manifest.config.digest, hash: Digest.sha256(of:))
        let config = try decodeJSON(ImageConfig.self, configBytes, what: "image config")
        let diffIDs = config.rootfs.diffIDs
        guard diffIDs.count == manifest.layers.count else {
            throw RegistryError(.invalid, "manifest has \(manifest.layers.count) layers but the image config lists \(diffIDs.count) diff_ids")
        }
        let before = try? await store.resolve(reference.fullName)

        // What is there already, what must come.
        var layers: [(blob: Descriptor, diffID: Digest, size: Int64)?] = Array(repeating: nil, count: diffIDs.count)
        var missing: [Int] = []
        var announced: Set<Digest> = []
        for (i, desc) in manifest.layers.enumerated() {
            if let known = try await store.knownLayer(blob: desc.digest, diffID: diffIDs[i]) {
                layers[i] = (known.blob.withMediaType(desc.mediaType), diffIDs[i], known.size)
                if announced.insert(desc.digest).inserted { report(.status(id: desc.digest.shortID, "Already exists")) }
            } else {
                missing.append(i)
                if announced.insert(desc.digest).inserted { report(.status(id: desc.digest.shortID, "Pulling fs layer")) }
            }
        }
        // A blob listed twice downloads once.
        var firstOf: [Digest: Int] = [:]
        for i in missing where firstOf[manifest.layers[i].digest] == nil { firstOf[manifest.layers[i].digest] = i }
        let downloads = firstOf.values.sorted()
        let client = self.client
        try await withThrowingTaskGroup(of: (Int, Descriptor, Int64).self) { group in
            var next = downloads.makeIterator()
            func start() {
                guard let i = next.next() else { return }
                let desc = manifest.layers[i]
                let diffID = diffIDs[i]
                group.addTask {
                    let result = try await Self.download(desc, diffID: diffID, client: client, store: store, report: report)
                    return (i, result.blob, result.size)
                }
            }
            for _ in 0..<Self.parallelLayers { start() }
            while let (i, blob, size) = try await group.next() {
                let desc = manifest.layers[i]
                for j in missing where manifest.layers[j].digest == desc.digest {
                    layers[j] = (blob.withMediaType(manifest.layers[j].mediaType), diffIDs[j], size)
                }
                report(.status(id: desc.digest.shortID, "Pull complete"))
                start()
            }
        }
        var tags: [String] = []
        if reference.digest == nil { tags.append(reference.withDefaultTag().fullName) }
        let image: ImageRecord
        do {
            image = try await store.addPulled(
                configBytes: configBytes, manifestBytes: self.manifest.bytes, manifestMediaType: self.manifest.mediaType,
                layers: layers.map { $0! }, tags: tags, repoDigests: ["\(reference.name)@\(topDigest)"])
        } catch {
            throw RegistryError(.failed, "\(error)")
        }
        report(.status(id: nil, "Digest: \(topDigest)"))
        if before?.id == image.id {
            report(.status(id: nil, "Status: Image is up to date for \(reference.familiar)"))
        } else {
            report(.status(id: nil, "Status: Downloaded newer image for \(reference.familiar)"))
        }
        return image
    }

    /// One layer: its body streamed into the store's ingest on a thread of its own. A
    /// dropped connection or a transient error resumes the download with `Range` from
    /// where it stopped (the ingest goes on hashing and unpacking the same stream).
    static func download(
        _ desc: Descriptor, diffID: Digest, client: RegistryClient, store: ImageStore, report: @escaping @Sendable (RegistryEvent) -> Void
    ) async throws -> (blob: Descriptor, size: Int64) {
        let id = desc.digest.shortID
        // The first request outside the pipe: a missing blob fails before any ingest starts.
        var first: (response: HTTPClientResponse, skip: Int64)? = try await client.blob(desc.digest, from: 0)
        let pipe = BodyPipe()
        async let ingested = onThread {
            defer { pipe.closeReader() }
            return try store.ingestLayer(pipe, expected: desc, diffID: diffID, name: "layer \(desc.digest)")
        }
        var received: Int64 = 0
        var lastReport: Int64 = -1
        var attempt = 1
        do {
            while true {
                do {
                    let next: (response: HTTPClientResponse, skip: Int64)
                    if let given = first {
                        next = given
                        first = nil
                    } else {
                        next = try await client.blob(desc.digest, from: received)
                    }
                    let response = next.response
                    var skip = next.skip
                    for try await var chunk in response.body {
                        if skip > 0 {
                            let drop = Int(min(skip, Int64(chunk.readableBytes)))
                            chunk.moveReaderIndex(forwardBy: drop)
                            skip -= Int64(drop)
                            if chunk.readableBytes == 0 { continue }
                        }
                        received += Int64(chunk.readableBytes)
                        try await pipe.push(chunk)
                        if received - lastReport >= 512 << 10 || received == desc.size {
                            lastReport = received
                            report(.progress(id: id, "Downloading", current: received, total: desc.size))
                        }
                    }
                    // A body cut short without an error (a closed connection after Content-Length
                    // was not met is an error in AsyncHTTPClient; a registry that lied is not).
                    if received < desc.size {
                        throw RegistryError(.failed, "layer \(desc.digest): body ended after \(received) of \(desc.size) bytes", transient: true)
                    }
                    break
                } catch is BodyPipe.ReaderGone {
                    break
                } catch {
                    let transient = (error as? RegistryError)?.transient ?? true
                    guard transient, attempt < RegistryClient.attempts, received < desc.size else { throw error }
                    let wait = RegistryClient.backoff(attempt)
                    report(.status(id: id, "Retrying in \(max(1, Int(wait.components.seconds))) second\(wait.components.seconds > 1 ? "s" : "")"))
                    try await Task.sleep(for: wait)
                    attempt += 1
                }
            }
            pipe.finish()
        } catch {
            pipe.finish(error as? RegistryError ?? RegistryError(.failed, "layer \(desc.digest): \(error)"))
        }
        do {
            let result = try await ingested
            report(.status(id: id, "Verifying Checksum"))
            report(.status(id: id, "Download complete"))
            return result
        } catch let error as ImageError {
            throw RegistryError(error.kind == .digestMismatch || error.kind == .sizeMismatch ? .invalid : .failed, error.message)
        }
    }
}

extension Descriptor {
    func withMediaType(_ type: String) -> Descriptor {
        var copy = self
        copy.mediaType = type
        return copy
    }
}

func decodeJSON<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], what: String) throws -> T {
    do {
        return try JSONDecoder().decode(type, from: Data(bytes))
    } catch {
        throw RegistryError(.invalid, "\(what): \(error)")
    }
}
