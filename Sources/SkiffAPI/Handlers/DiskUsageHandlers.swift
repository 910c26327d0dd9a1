import Glibc
import SkiffEngine
import SkiffOCI

/// `GET /system/df`: images (with shared sizes and how many containers use
/// them), containers (writable layer and root sizes), local volumes (size
/// and users), and the build cache (skiffd has none); `POST /build/prune`,
/// which `docker system prune` calls, with nothing to prune.
func registerDiskUsageRoutes(_ router: inout Router, engine: Engine) {
    router.get("/system/df") { request in
        var types = Set(request.query.strings("type"))
        for type in types where !["container", "image", "volume", "build-cache"].contains(type) {
            throw APIError.badRequest("invalid type: \(type)")
        }
        if types.isEmpty { types = ["container", "image", "volume", "build-cache"] }
        let usage = try await engine.diskUsage(
            images: types.contains("image"), containers: types.contains("container"), volumes: types.contains("volume"))
        var response = DiskUsageResponse(layersSize: usage.layersSize)
        if let images = usage.images {
            var summaries: [ImageSummary] = []
            for u in images {
                let config = try? await engine.images.config(of: u.image)
                summaries.append(ImageSummary(
                    id: u.image.id.description, parentID: u.image.parent?.description ?? "",
                    repoTags: u.image.tags.map(familiar), repoDigests: u.image.repoDigests.map(familiar),
                    created: u.image.created.flatMap(RFC3339.parse) ?? 0, size: u.image.size, sharedSize: u.sharedSize,
                    virtualSize: request.apiVersionAtLeast("1.44") ? nil : u.image.size, labels: config?.config?.labels,
                    containers: u.containers))
            }
            response.images = summaries
        }
        if let containers = usage.containers {
            let now = Int64(time(nil))
            let networks = await engine.networks.list()
            response.containers = containers.map { u in
                var summary = ContainerTranslation.summary(u.container, now: now, networks: networks)
                summary.sizeRw = u.sizeRw
                summary.sizeRootFs = u.sizeRootFs
                return summary
            }
        }
        response.volumes = usage.volumes?.map { u in
            var volume = VolumeFilter.response(u.volume)
            volume.usageData = .init(size: u.size, refCount: u.refCount)
            return volume
        }
        if types.contains("build-cache") { response.buildCache = [] }
        return try .json(response)
    }

    router.post("/build/prune") { _ in
        try .json(BuildCachePruneResponse())
    }
}

private func familiar(_ name: String) -> String {
    (try? ImageReference(name))?.familiar ?? name
}
