import Glibc
import SkiffArchive
import SkiffIgzip
import SkiffOCI
import SkiffSnapshot

/// One pass over a layer blob: its bytes go into the content store (blob
/// digest), its uncompressed tar is hashed (diffID) and unpacked into a
/// temporary snapshot directory, which becomes the layer once its chain id
/// is known.
struct IngestedLayer {
    var blob: Descriptor
    var diffID: Digest
    var size: Int64
    /// Unpacked layer waiting for `SnapshotStore.adopt`.
    var unpacked: String
}

enum LayerIngest {
    /// Reads a whole layer from `source` (gzip, zstd or plain tar).
    static func ingest<S: ByteSource>(
        _ source: S, content: ContentStore, snapshots: SnapshotStore, expected: Digest? = nil, name: String
    ) throws(ImageError) -> IngestedLayer {
        var writer = try content.writer()
        let unpacked: String
        do {
            unpacked = try snapshots.temporaryLayer()
        } catch {
            writer.abort()
            throw ImageError(.io, "\(error)")
        }
        do {
            let blobSide = ObservingSource(source) { bytes in try writer.write(bytes) }
            let decompressing = try DecompressingSource(blobSide, inflater: IgzipInflater.self)
            let algorithm = decompressing.algorithm
            var tarHasher = DigestHasher()
            let tarSide = ObservingSource(decompressing) { bytes in tarHasher.update(bytes) }
            let result = try LayerApplier.apply(layer: tarSide, to: unpacked, mode: .overlayLower)
            let blob = try writer.commit(mediaType: Self.mediaType(algorithm), expected: expected)
            return IngestedLayer(blob: blob, diffID: tarHasher.finalize(), size: result.uncompressedSize, unpacked: unpacked)
        } catch let error as ImageError {
            writer.abort()
            snapshots.discard(unpacked)
            throw ImageError(error.kind, "\(name): \(error.message)")
        } catch {
            writer.abort()
            snapshots.discard(unpacked)
            throw ImageError(.invalid, "\(name): \(error)")
        }
    }

    static func mediaType(_ algorithm: Compression.Algorithm) -> String {
        switch algorithm {
        case .gzip: MediaType.ociLayerGzip
        case .zstd: MediaType.ociLayerZstd
        default: MediaType.ociLayer
        }
    }

    /// chainID(n) = sha256(chainID(n-1) + " " + diffID(n)) (image-spec config.md#layer-chainid).
    static func chainIDs(_ diffIDs: [Digest]) -> [Digest] {
        var out: [Digest] = []
        for diff in diffIDs {
            if let last = out.last {
                out.append(Digest.sha256(of: Array("\(last) \(diff)".utf8)))
            } else {
                out.append(diff)
            }
        }
        return out
    }
}
