import SkiffArchive
import SkiffOCI
import SkiffSystem

extension ImageStore {
    /// `docker import`: a root filesystem tar (gzip, zstd or plain) becomes
    /// a one-layer image, its config shaped by `changes`. The tar is read on a
    /// thread of its own (the store serves others meanwhile).
    public nonisolated func importRootfs<S: ByteSource & Sendable>(
        _ source: S, changes: [String] = [], tag: String? = nil, message: String? = nil,
        platform: Platform = Platform.current
    ) async throws(ImageError) -> ImageRecord {
        var settings = ImageConfig.Config()
        try ImageChanges.apply(changes, to: &settings)
        let content = self.content, snapshots = self.snapshots
        let layer = try await onThread { () -> Result<IngestedLayer, ImageError> in
            do throws(ImageError) {
                return .success(try LayerIngest.ingest(source, content: content, snapshots: snapshots, name: "import"))
            } catch {
                return .failure(error)
            }
        }.get()
        return try await recordImport(layer, settings: settings, tag: tag, message: message, platform: platform)
    }

    private func recordImport(
        _ layer: IngestedLayer, settings: ImageConfig.Config, tag: String?, message: String?, platform: Platform
    ) throws(ImageError) -> ImageRecord {
        let chain = layer.diffID
        do {
            try snapshots.adopt(layer.unpacked, as: layer.diffID.encoded)
        } catch {
            snapshots.discard(layer.unpacked)
            throw ImageError(.io, "\(error)")
        }
        let created = Self.now()
        let config = ImageConfig(
            created: created, architecture: platform.architecture, os: platform.os, variant: platform.variant,
            config: settings,
            rootfs: .init(diffIDs: [layer.diffID]),
            history: [.init(created: created, createdBy: "", comment: message ?? "Imported from -")])
        return try add(
            config: config,
            layers: [LayerRecord(chainID: chain, diffID: layer.diffID, blob: layer.blob, size: layer.size)],
            tags: tag.map { [$0] } ?? [])
    }
}

extension Platform {
    /// This machine (Go's GOARCH names, as images use).
    public static var current: Platform {
        #if arch(x86_64)
        Platform(architecture: "amd64", os: "linux")
        #elseif arch(arm64)
        Platform(architecture: "arm64", os: "linux", variant: "v8")
        #else
        Platform(architecture: "unknown", os: "linux")
        #endif
    }
}
