import SkiffImage
import SkiffOCI
import SkiffSystem
import SkiffVolume

/// What images, containers and volumes take on disk (`docker system df`).
public struct DiskUsage: Sendable {
    public struct ImageUsage: Sendable {
        public var image: ImageRecord
        /// Bytes of its layers that other images use too.
        public var sharedSize: Int64
        /// Containers made from it.
        public var containers: Int
    }

    public struct ContainerUsage: Sendable {
        public var container: Container
        /// Its writable layer.
        public var sizeRw: Int64
        /// The writable layer and the image below it.
        public var sizeRootFs: Int64
    }

    public struct VolumeUsage: Sendable {
        public var volume: Volume
        public var size: Int64
        /// Containers that use it.
        public var refCount: Int
    }

    /// Every layer, each counted once (layers are unpacked once, whatever the images sharing them).
    public var layersSize: Int64 = 0
    public var images: [ImageUsage]?
    public var containers: [ContainerUsage]?
    public var volumes: [VolumeUsage]?
}

extension Engine {
    /// Disk usage of what is asked for; as dockerd, volumes with driver
    /// options (a tmpfs, a device: nothing local to count) are left out.
    public func diskUsage(images wantImages: Bool = true, containers wantContainers: Bool = true,
                          volumes wantVolumes: Bool = true) async throws(EngineError) -> DiskUsage {
        var usage = DiskUsage()
        let all: [ImageRecord]
        do {
            all = wantImages || wantContainers ? try await images.list() : []
        } catch {
            throw EngineError(.system, "disk usage: list images: \(error)")
        }
        if wantImages {
            var users: [String: Int] = [:]
            for layer in all.flatMap({ Set($0.layers.map(\.diffID)) }) { users[layer.description, default: 0] += 1 }
            var sizes: [String: Int64] = [:]
            for layer in all.flatMap(\.layers) { sizes[layer.diffID.description] = layer.size }
            usage.layersSize = sizes.values.reduce(0, +)
            usage.images = all.map { image in
                let shared = Set(image.layers.map(\.diffID.description)).filter { users[$0, default: 0] > 1 }
                return DiskUsage.ImageUsage(
                    image: image, sharedSize: shared.reduce(0) { $0 + (sizes[$1] ?? 0) },
                    containers: containers.values.filter { $0.imageID == image.id.description }.count)
            }
        }
        if wantContainers {
            let imageSizes = Dictionary(all.map { ($0.id.description, $0.size) }, uniquingKeysWith: { a, _ in a })
            usage.containers = list().map { c in
                let rw = writableLayerSize(c.id)
                return DiskUsage.ContainerUsage(container: c, sizeRw: rw, sizeRootFs: rw + (imageSizes[c.imageID] ?? 0))
            }
        }
        if wantVolumes {
            usage.volumes = try listVolumes().filter { $0.volume.driver == "local" && $0.volume.options.isEmpty }.map {
                DiskUsage.VolumeUsage(volume: $0.volume, size: volumes.size($0.volume), refCount: $0.users.count)
            }
        }
        return usage
    }

    /// A container's `SizeRw` (its writable layer) and `SizeRootFs` (that and its image's
    /// layers), as `ps -s` and `inspect -s` show them.
    public func sizes(of container: Container) async -> (rw: Int64, rootFs: Int64) {
        let rw = writableLayerSize(container.id)
        let image = (try? await images.resolve(container.imageID))?.size ?? 0
        return (rw, rw + image)
    }

    /// The bytes in a container's writable layer (0 for one that has none).
    public func writableLayerSize(_ id: String) -> Int64 {
        Directories.usage(images.snapshots.active(key: id, layers: []).upper)
    }
}
