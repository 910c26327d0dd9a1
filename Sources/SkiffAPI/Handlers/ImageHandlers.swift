import SkiffEngine
import SkiffImage
import SkiffOCI

/// `/images/...`: list, inspect, history, tag, remove, prune, save, load, import.
func registerImageRoutes(_ router: inout Router, engine: Engine, daemon: DaemonInfo) {
    let store = engine.images

    router.get("/images/json") { request in
        let filters = try request.query.filters()
        try checkFilters(filters, allowed: ["dangling", "label", "reference", "before", "since", "until"])
        var summaries: [ImageSummary] = []
        let all = request.query.bool("all") ?? false
        for image in try await ImageFilter(filters, store: store).apply(to: try await store.list()) {
            // A build's intermediate images (unnamed, with children) show only with `all`.
            if !all, image.record.tags.isEmpty, image.record.repoDigests.isEmpty, try await store.hasChildren(image.record) { continue }
            var config = image.config
            if config == nil { config = try? await store.config(of: image.record) }
            summaries.append(summary(image.record, config: config, request: request))
        }
        return try .json(summaries)
    }

    router.get("/images/get") { request in
        try await saveResponse(request.query.strings("names"), engine: engine)
    }

    router.post("/images/load") { request in
        let source = request.body.byteSource()
        return .stream { writer in
            do {
                let result = try await store.load(source)
                for tag in result.tags {
                    try await writer.writeJSON(JSONMessage.stream("Loaded image: \(tag)\n"))
                }
                for id in result.untaggedIDs {
                    try await writer.writeJSON(JSONMessage.stream("Loaded image ID: \(id)\n"))
                }
                await ImageEvents.loaded(engine, result)
            } catch {
                try await writer.writeJSON(JSONMessage.failure(APIError(error).message))
            }
        }
    }

    router.post("/images/create") { request in
        if let image = request.query.string("fromImage"), !image.isEmpty {
            return try await pullResponse(request, engine: engine, insecure: daemon.insecureRegistries, certsDir: daemon.certsDir)
        }
        return try importResponse(request, engine: engine)
    }

    router.post("/images/prune") { request in
        try await prune(request, engine: engine)
    }

    router.get("/images/{name*}/json") { request in
        let image = try await store.resolve(request.param("name"))
        let config = try await store.config(of: image)
        return try .json(inspect(image, config: config, request: request, store: store))
    }

    router.get("/images/{name*}/history") { request in
        let image = try await store.resolve(request.param("name"))
        let items = try await store.history(image).map { entry in
            ImageHistoryItem(
                id: entry.id?.description ?? "<missing>", created: entry.created.flatMap(RFC3339.parse) ?? 0,
                createdBy: entry.createdBy, tags: entry.id == nil ? nil : image.tags.map(familiar), size: entry.size,
                comment: entry.comment)
        }
        return try .json(items)
    }

    router.get("/images/{name*}/get") { request in
        try await saveResponse([request.param("name")], engine: engine)
    }

    router.post("/images/{name*}/tag") { request in
        let repo = request.query.string("repo") ?? ""
        let tag = request.query.string("tag") ?? ""
        guard !repo.isEmpty else { throw APIError.badRequest("repository name must have at least one component") }
        guard tag.isEmpty || ImageReference.isValidTag(tag) else {
            throw APIError.badRequest("invalid tag format: \(tag)")
        }
        let image = try await store.resolve(request.param("name"))
        let target = tag.isEmpty ? repo : "\(repo):\(tag)"
        try await store.tag(image, as: target)
        await ImageEvents.record(engine, "tag", image, name: ImageEvents.familiarTag(target))
        return APIResponse(status: 201)
    }

    router.delete("/images/{name*}") { request in
        let name = request.param("name")
        let force = request.query.bool("force") ?? false
        let inUse = await engine.imagesInUse()
        let image = try await store.resolve(name)
        // By its only name, an image a container uses stays (dockerd refuses; the store would untag).
        if inUse.contains(image.id), !force, !isID(name, of: image), image.tags.count + image.repoDigests.count == 1 {
            let user = await engine.containers(usingImage: image.id).first?.shortID ?? ""
            throw APIError.conflict(
                "conflict: unable to remove repository reference \"\(name)\" (must force) - container \(user) is using its referenced image \(image.id.shortID)")
        }
        // By id, as dockerd: never while a running container uses it; while a stopped
        // one does, only forced (the names go then; the image stays for that container).
        if isID(name, of: image), inUse.contains(image.id) {
            let users = await engine.containers(usingImage: image.id)
            if let running = users.first(where: { $0.state.isRunning }) {
                throw APIError.conflict(
                    "conflict: unable to delete \(image.id.shortID) (cannot be forced) - image is being used by running container \(running.shortID)")
            }
            if !force, image.tags.count <= 1, let stopped = users.first {
                throw APIError.conflict(
                    "conflict: unable to delete \(image.id.shortID) (must be forced) - image is being used by stopped container \(stopped.shortID)")
            }
        }
        let labels = await ImageEvents.labels(engine, image)
        let removal = try await store.remove(name, force: force, prune: !(request.query.bool("noprune") ?? false), inUse: inUse)
        ImageEvents.removed(engine, image: image, labels: labels, removal)
        return try .json(deleteItems(removal))
    }
}

// MARK: - Shapes

private func familiar(_ name: String) -> String {
    (try? ImageReference(name))?.familiar ?? name
}

private func summary(_ image: ImageRecord, config: ImageConfig?, request: APIRequest) -> ImageSummary {
    ImageSummary(
        id: image.id.description, parentID: image.parent?.description ?? "", repoTags: image.tags.map(familiar),
        repoDigests: image.repoDigests.map(familiar), created: image.created.flatMap(RFC3339.parse) ?? 0,
        size: image.size, virtualSize: request.apiVersionAtLeast("1.44") ? nil : image.size,
        labels: config?.config?.labels)
}

private func inspect(_ image: ImageRecord, config: ImageConfig, request: APIRequest, store: ImageStore) -> ImageInspect {
    let layers = store.layerKeys(of: image).map { store.snapshots.layerPath($0) }
    var data: [String: String] = [:]
    if let top = layers.last {
        data["UpperDir"] = top
        if layers.count > 1 { data["LowerDir"] = layers.dropLast().reversed().joined(separator: ":") }
    }
    let legacy = !request.apiVersionAtLeast("1.45")
    return ImageInspect(
        id: image.id.description, repoTags: image.tags.map(familiar), repoDigests: image.repoDigests.map(familiar),
        parent: image.parent?.description ?? "", comment: config.history?.last?.comment ?? "",
        created: config.created ?? image.created ?? "", author: config.author ?? "",
        config: containerConfig(config.config), container: legacy ? "" : nil,
        containerConfig: legacy ? containerConfig(config.config) : nil,
        architecture: config.architecture, variant: config.variant,
        os: config.os, osVersion: config.osVersion, size: image.size,
        virtualSize: request.apiVersionAtLeast("1.44") ? nil : image.size,
        graphDriver: DriverData(name: "overlay2", data: data),
        rootFS: .init(layers: config.rootfs.diffIDs.map(\.description)))
}

/// An image config's execution defaults in ContainerConfig's shape, as dockerd shows them.
private func containerConfig(_ settings: ImageConfig.Config?) -> ContainerConfig {
    var config = ContainerConfig()
    guard let settings else { return config }
    config.user = settings.user
    config.exposedPorts = settings.exposedPorts
    config.env = settings.env
    config.cmd = settings.cmd
    config.entrypoint = settings.entrypoint
    config.volumes = settings.volumes
    config.workingDir = settings.workingDir
    config.labels = settings.labels
    config.stopSignal = settings.stopSignal
    config.argsEscaped = settings.argsEscaped
    config.onBuild = settings.onBuild
    config.shell = settings.shell
    config.healthcheck = settings.healthcheck.map {
        HealthConfig(
            test: $0.test, interval: $0.interval, timeout: $0.timeout, retries: $0.retries,
            startPeriod: $0.startPeriod, startInterval: $0.startInterval)
    }
    return config
}

private func deleteItems(_ removal: ImageStore.Removal) -> [ImageDeleteItem] {
    removal.untagged.map { ImageDeleteItem(untagged: $0) } + removal.deleted.map { ImageDeleteItem(deleted: $0.description) }
}

/// Whether `name` names `image` by id (full, short, with or without "sha256:") rather than by a tag.
private func isID(_ name: String, of image: ImageRecord) -> Bool {
    let hex = name.hasPrefix("sha256:") ? String(name.dropFirst(7)) : name
    let asTag = (try? ImageReference(name))?.withDefaultTag().fullName
    return !hex.isEmpty && image.id.encoded.hasPrefix(hex) && !image.tags.contains(asTag ?? "")
}

// MARK: - Save, load, import

/// `docker save`: a docker-archive tar streamed as the store writes it.
/// Every name is resolved first, so a missing one is a 404, not a cut stream.
private func saveResponse(_ names: [String], engine: Engine) async throws -> APIResponse {
    let store = engine.images
    guard !names.isEmpty else { throw APIError.badRequest("no image names given") }
    var images: [ImageRecord] = []
    for name in names {
        let image = try await store.resolve(name)
        if !images.contains(where: { $0.id == image.id }) { images.append(image) }
    }
    return .stream(contentType: "application/x-tar") { [images] writer in
        try await store.save(names, format: .docker, to: writer.sink())
        for image in images { await ImageEvents.record(engine, "save", image) }
    }
}

/// `POST /images/create`: `fromSrc=-` imports the body as a root filesystem (`fromImage`: a pull).
private func importResponse(_ request: APIRequest, engine: Engine) throws -> APIResponse {
    let store = engine.images
    guard let from = request.query.string("fromSrc"), !from.isEmpty else {
        throw APIError.badRequest("fromImage or fromSrc is required")
    }
    guard from == "-" else {
        throw APIError(500, "importing from \(from) is not supported: skiffd imports only from the request body (fromSrc=-)")
    }
    let repo = request.query.string("repo") ?? ""
    let tag = request.query.string("tag") ?? ""
    let name: String? = repo.isEmpty ? nil : (tag.isEmpty ? repo : "\(repo):\(tag)")
    if let name {
        do {
            _ = try ImageReference(name)
        } catch {
            throw APIError.badRequest("invalid reference format: \(error)")
        }
        // Refused before the upload is read, not after.
        do {
            _ = try ImageStore.parseTag(name)
        } catch {
            throw APIError.badRequest(error.message)
        }
    }
    let changes = request.query.strings("changes")
    var check = ImageConfig.Config()
    try ImageChanges.apply(changes, to: &check)
    let platform = try request.query.string("platform").map(parsePlatform) ?? Platform.current
    let message = request.query.string("message").flatMap { $0.isEmpty ? nil : $0 }
    let source = request.body.byteSource()
    return .stream { writer in
        do {
            let image = try await store.importRootfs(source, changes: changes, tag: name, message: message, platform: platform)
            await ImageEvents.imported(engine, image, name: name)
            try await writer.writeJSON(JSONMessage.status(image.id.description))
        } catch {
            try await writer.writeJSON(JSONMessage.failure(APIError(error).message))
        }
    }
}

/// "linux/amd64", "linux/arm64/v8", or "" (this machine).
private func parsePlatform(_ text: String) throws(APIError) -> Platform {
    if text.isEmpty { return Platform.current }
    let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard parts.count >= 2, parts.count <= 3, parts.allSatisfy({ !$0.isEmpty }) else {
        throw .badRequest("invalid platform: \(text)")
    }
    return Platform(architecture: parts[1], os: parts[0], variant: parts.count == 3 ? parts[2] : nil)
}

// MARK: - Prune

private func prune(_ request: APIRequest, engine: Engine) async throws -> APIResponse {
    let store = engine.images
    let filters = try request.query.filters()
    try checkFilters(filters, allowed: ["dangling", "label", "label!", "until"])
    let danglingOnly = try filters["dangling"].map { try parseBoolFilter("dangling", $0) } ?? true
    let inUse = await engine.imagesInUse()
    let before = await ImageEvents.labelled(engine)
    var items: [ImageDeleteItem] = []
    var reclaimed: Int64 = 0
    if filters.keys.allSatisfy({ $0 == "dangling" }) {
        let result = try await store.prune(all: !danglingOnly, inUse: inUse)
        items = result.untagged.map { ImageDeleteItem(untagged: $0) } + result.deleted.map { ImageDeleteItem(deleted: $0.description) }
        reclaimed = result.reclaimed
    } else {
        let filter = ImageFilter(filters.filter { $0.key != "dangling" }, store: store)
        for image in try await filter.apply(to: try await store.list()) where !inUse.contains(image.record.id) {
            guard !danglingOnly || (image.record.tags.isEmpty && image.record.repoDigests.isEmpty) else { continue }
            items += deleteItems(try await store.remove(image.record.id.description, force: true, inUse: inUse))
            reclaimed += image.record.size
        }
    }
    ImageEvents.pruned(engine, deleted: Set(items.compactMap(\.deleted)), before: before, reclaimed: reclaimed)
    return try .json(ImagePruneResponse(imagesDeleted: items.isEmpty ? nil : items, spaceReclaimed: reclaimed))
}
