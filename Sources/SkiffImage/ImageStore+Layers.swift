import Glibc
import SkiffArchive
import SkiffOCI
import SkiffSnapshot

extension ImageStore {
    /// Stores a layer from a tar stream (gzip, zstd or plain) on top of
    /// `parent` (a chain id, nil for the bottom layer) and unpacks it.
    public func addLayer<S: ByteSource>(_ source: S, parent: Digest?) throws(ImageError) -> LayerRecord {
        let layer = try LayerIngest.ingest(source, content: content, snapshots: snapshots, name: "layer")
        do {
            try snapshots.adopt(layer.unpacked, as: layer.diffID.encoded)
        } catch {
            snapshots.discard(layer.unpacked)
            throw ImageError(.io, "\(error)")
        }
        let chain = parent.map { LayerIngest.chainIDs([$0, layer.diffID])[1] } ?? layer.diffID
        return LayerRecord(chainID: chain, diffID: layer.diffID, blob: layer.blob, size: layer.size)
    }

    /// Turns a directory into a stored, unpacked layer on top of `parent`: a
    /// container's overlay upper directory (whiteouts become `.wh.` entries)
    /// for commit and build, or a plain tree. `exclude`: paths (relative) left out.
    public func addLayer(
        fromDirectory directory: String, source: LayerWriter.Source, parent: Digest?, compression: Compression = .gzip,
        exclude: Set<[UInt8]> = []
    ) throws(ImageError) -> LayerRecord {
        var writer = try content.writer()
        var tarHasher = DigestHasher()
        let size: Int64
        do {
            let result = try LayerWriter.write(
                directory: directory, to: &writer, format: compression, options: .init(source: source, exclude: exclude),
                uncompressed: { tarHasher.update($0) })
            size = result.uncompressedSize
        } catch {
            writer.abort()
            throw ImageError(.io, "layer from \(directory): \(error)")
        }
        let blob = try writer.commit(mediaType: LayerIngest.mediaType(compression.algorithm))
        let diffID = tarHasher.finalize()
        if !snapshots.hasLayer(diffID.encoded) {
            let fd = try content.open(blob.digest)
            defer { close(fd) }
            let layer = try LayerIngest.ingest(FileDescriptorSource(fd: fd), content: content, snapshots: snapshots, expected: blob.digest, name: "layer from \(directory)")
            do {
                try snapshots.adopt(layer.unpacked, as: diffID.encoded)
            } catch {
                snapshots.discard(layer.unpacked)
                throw ImageError(.io, "\(error)")
            }
        }
        let chain = parent.map { LayerIngest.chainIDs([$0, diffID])[1] } ?? diffID
        return LayerRecord(chainID: chain, diffID: diffID, blob: blob, size: size)
    }

    /// A container's root filesystem for `image` at `target`, writable, its
    /// changes kept under `key`: an overlay over the unpacked layers, or — where
    /// overlayfs is missing (or `copy`) — a private copy of the image's files.
    public func prepareRootfs(for image: ImageRecord, key: String, at target: String, copy: Bool = !OverlayMount.isSupported) throws(ImageError) {
        do {
            if !copy {
                let active = try snapshots.prepare(key: key, layers: layerKeys(of: image))
                do {
                    try snapshots.mount(active, at: target)
                } catch {
                    snapshots.remove(key: key)
                    throw error
                }
                return
            }
            // Copy: every layer applied in order onto one directory, bound at target.
            let active = try snapshots.prepare(key: key, layers: [])
            do {
                for layer in image.layers {
                    let fd = try content.open(layer.blob.digest)
                    defer { close(fd) }
                    try LayerApplier.apply(layer: FileDescriptorSource(fd: fd), to: active.upper, mode: .merged)
                }
                guard mount(active.upper, target, nil, UInt(MS_BIND), nil) == 0 else {
                    throw ImageError.system("bind \(active.upper) on \(target)")
                }
            } catch {
                snapshots.remove(key: key)
                throw error
            }
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(.io, "prepare root of \(key): \(error)")
        }
    }

    /// Unmounts and removes what `prepareRootfs` made.
    public nonisolated func removeRootfs(key: String, at target: String) {
        try? OverlayMount.unmount(target)
        snapshots.remove(key: key)
    }
}
