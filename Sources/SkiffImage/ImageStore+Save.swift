import FoundationEssentials
import Glibc
import SkiffArchive
import SkiffIgzip
import SkiffOCI

extension ImageStore {
    public enum ArchiveFormat: Sendable {
        /// `docker save`: manifest.json + repositories, with an OCI layout
        /// beside them (as Docker 25 writes), layers as uncompressed tars.
        case docker
        /// An OCI image layout (oci-layout, index.json, blobs/), blobs as stored.
        case oci
    }

    /// `docker save`: writes `names` (names or ids) as one tar stream to `sink`.
    public func save<Sink: ByteSink>(_ names: [String], format: ArchiveFormat, to sink: Sink) throws(ImageError) {
        var images: [(ImageRecord, [String])] = []
        for name in names {
            let image = try resolve(name)
            // A name saves that name; an id saves every name the image has.
            let tags: [String]
            if let ref = try? Self.parse(name), image.tags.contains(ref.withDefaultTag().fullName) {
                tags = [ref.withDefaultTag().fullName]
            } else {
                tags = image.tags
            }
            if let i = images.firstIndex(where: { $0.0.id == image.id }) {
                images[i].1 += tags.filter { !images[i].1.contains($0) }
            } else {
                images.append((image, tags))
            }
        }
        let writer = TarWriter(sink)
        var written = Set<Digest>()
        var directories = Set<String>()
        do {
            func dir(_ path: String) throws {
                guard directories.insert(path).inserted else { return }
                try writer.append(TarEntry(kind: .directory, path: path + "/", mode: 0o755))
            }
            func file(_ path: String, _ bytes: [UInt8]) throws {
                try writer.append(TarEntry(kind: .regular, path: path, size: Int64(bytes.count)), contents: bytes)
            }
            func blob(_ digest: Digest, bytes: [UInt8]) throws {
                guard written.insert(digest).inserted else { return }
                try dir("blobs")
                try dir("blobs/sha256")
                try file(ImageLayout.blobPath(for: digest), bytes)
            }
            var index = Index(manifests: [])
            var dockerEntries: [DockerArchive.ManifestEntry] = []
            var repositories: [String: [String: String]] = [:]
            for (image, tags) in images {
                let configBytes = try content.read(image.id)
                try blob(image.id, bytes: configBytes)
                var layerDescriptors: [Descriptor] = []
                for layer in image.layers {
                    switch format {
                    case .oci:
                        layerDescriptors.append(layer.blob)
                        try copyBlob(layer.blob, to: writer, written: &written, dir: dir)
                    case .docker:
                        // Uncompressed: its digest is the diff id.
                        layerDescriptors.append(Descriptor(mediaType: MediaType.ociLayer, digest: layer.diffID, size: layer.size))
                        try copyUncompressed(layer, to: writer, written: &written, dir: dir)
                    }
                }
                let manifest = Manifest(
                    mediaType: MediaType.ociManifest,
                    config: Descriptor(mediaType: MediaType.ociConfig, digest: image.id, size: Int64(configBytes.count)),
                    layers: layerDescriptors)
                let manifestBytes = try encode(manifest)
                let manifestDigest = Digest.sha256(of: manifestBytes)
                try blob(manifestDigest, bytes: manifestBytes)
                let desc = Descriptor(mediaType: MediaType.ociManifest, digest: manifestDigest, size: Int64(manifestBytes.count))
                if tags.isEmpty {
                    index.manifests.append(desc)
                }
                for tag in tags {
                    let ref = try Self.parse(tag)
                    index.manifests.append(desc.withAnnotations([
                        "io.containerd.image.name": ref.fullName,
                        Annotation.refName: ref.tag ?? ImageReference.defaultTag,
                    ]))
                    repositories[ref.familiarName, default: [:]][ref.tag ?? ImageReference.defaultTag] = image.id.encoded
                }
                dockerEntries.append(DockerArchive.ManifestEntry(
                    config: ImageLayout.blobPath(for: image.id),
                    repoTags: tags.isEmpty ? nil : tags.map(Self.familiar),
                    layers: layerDescriptors.map { ImageLayout.blobPath(for: $0.digest) }))
            }
            try file(ImageLayout.layoutFileName, try encode(ImageLayout()))
            try file(ImageLayout.indexFileName, try encode(index))
            if format == .docker {
                try file(DockerArchive.manifestFileName, try encode(dockerEntries))
                if !repositories.isEmpty { try file(DockerArchive.repositoriesFileName, try encode(repositories)) }
            }
            try writer.finish()
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(.io, "save: \(error)")
        }
    }

    private func copyBlob<S: ByteSink>(_ desc: Descriptor, to writer: TarWriter<S>, written: inout Set<Digest>, dir: (String) throws -> Void) throws {
        guard written.insert(desc.digest).inserted else { return }
        try dir("blobs")
        try dir("blobs/sha256")
        let fd = try content.open(desc.digest)
        defer { close(fd) }
        let size = content.size(desc.digest) ?? desc.size
        try writer.append(TarEntry(kind: .regular, path: ImageLayout.blobPath(for: desc.digest), size: size))
        try writer.writeContents(fromFileDescriptor: fd)
    }

    private func copyUncompressed<S: ByteSink>(_ layer: LayerRecord, to writer: TarWriter<S>, written: inout Set<Digest>, dir: (String) throws -> Void) throws {
        guard written.insert(layer.diffID).inserted else { return }
        try dir("blobs")
        try dir("blobs/sha256")
        let fd = try content.open(layer.blob.digest)
        defer { close(fd) }
        try writer.append(TarEntry(kind: .regular, path: ImageLayout.blobPath(for: layer.diffID), size: layer.size))
        let source = try DecompressingSource(FileDescriptorSource(fd: fd), inflater: IgzipInflater.self)
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        var total: Int64 = 0
        while true {
            let n = try buf.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            total += Int64(n)
            try buf.withUnsafeBytes { try writer.writeContents(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        guard total == layer.size else {
            throw ImageError(.corrupt, "layer \(layer.diffID): blob \(layer.blob.digest) holds \(total) bytes of tar, expected \(layer.size)")
        }
    }
}
