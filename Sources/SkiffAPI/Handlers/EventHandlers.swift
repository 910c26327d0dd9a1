import SkiffEngine
import SkiffImage
import SkiffOCI

/// `GET /events`: the history asked for (`since`/`until`), then events as
/// they happen, one JSON line each, flushed as it is written; until `until`,
/// or until the client goes.
func registerEventRoutes(_ router: inout Router, engine: Engine) {
    router.get("/events") { request in
        let sinceText = request.query.string("since"), untilText = request.query.string("until")
        let since = try EventTranslation.time(sinceText, parameter: "since")
        let until = try EventTranslation.time(untilText, parameter: "until")
        if let since, let until, until < since {
            throw APIError.badRequest("`since` time (\(sinceText ?? "")) cannot be after `until` time (\(untilText ?? ""))")
        }
        let filter = EventFilter(try request.query.filters())
        // Subscribed before the response goes out: what happens next is never missed.
        let subscription = engine.events.subscribe(since: since, until: until, filter: filter)
        return .stream(contentType: "application/json") { writer in
            for event in subscription.past { try await writer.writeJSON(EventTranslation.message(event)) }
            guard let live = subscription.live else { return }
            for await event in live { try await writer.writeJSON(EventTranslation.message(event)) }
        }
    }
}

/// Image events as dockerd records them: the image's id, its labels (while
/// it exists) and a `name` (the new tag for `tag`, else the image's id).
enum ImageEvents {
    static func record(_ engine: Engine, _ action: String, _ image: ImageRecord, name: String? = nil) async {
        publish(engine, action, id: image.id, labels: await labels(engine, image), name: name)
    }

    static func labels(_ engine: Engine, _ image: ImageRecord) async -> [String: String] {
        (try? await engine.images.config(of: image))?.config?.labels ?? [:]
    }

    static func publish(_ engine: Engine, _ action: String, id: Digest, labels: [String: String] = [:], name: String? = nil) {
        var attributes = labels
        attributes["name"] = name ?? id.description
        engine.events.publish(.image, action, id: id.description, attributes: attributes)
    }

    /// `import`, after a `tag` when a name was given.
    static func imported(_ engine: Engine, _ image: ImageRecord, name: String?) async {
        if let name { await record(engine, "tag", image, name: familiarTag(name)) }
        await record(engine, "import", image)
    }

    /// One `load` per image the archive held.
    static func loaded(_ engine: Engine, _ result: ImageStore.LoadResult) async {
        var seen = Set<Digest>()
        for name in result.tags {
            guard let image = try? await engine.images.resolve(name), seen.insert(image.id).inserted else { continue }
            await record(engine, "load", image)
        }
        for id in result.untaggedIDs where seen.insert(id).inserted {
            guard let image = try? await engine.images.resolve(id.description) else { continue }
            await record(engine, "load", image)
        }
    }

    /// A removal: an `untag` for each name that went, a `delete` for each image.
    static func removed(_ engine: Engine, image: ImageRecord, labels: [String: String], _ removal: ImageStore.Removal) {
        for _ in removal.untagged { publish(engine, "untag", id: image.id, labels: labels) }
        for id in removal.deleted { publish(engine, "delete", id: id) }
    }

    /// Every image with its labels, read before a prune (which leaves no config to read them from).
    static func labelled(_ engine: Engine) async -> [(image: ImageRecord, labels: [String: String])] {
        var result: [(image: ImageRecord, labels: [String: String])] = []
        for image in (try? await engine.images.list()) ?? [] { result.append((image, await labels(engine, image))) }
        return result
    }

    /// A prune: each image's `untag`s and `delete`, then `prune` with the bytes reclaimed.
    static func pruned(_ engine: Engine, deleted: Set<String>, before: [(image: ImageRecord, labels: [String: String])], reclaimed: Int64) {
        for (image, labels) in before where deleted.contains(image.id.description) {
            for _ in image.tags + image.repoDigests { publish(engine, "untag", id: image.id, labels: labels) }
            publish(engine, "delete", id: image.id)
        }
        engine.events.publish(.image, "prune", id: "", attributes: ["reclaimed": String(reclaimed)])
    }

    /// `busybox:latest` for "busybox" or "docker.io/library/busybox".
    static func familiarTag(_ name: String) -> String {
        (try? ImageReference(name))?.withDefaultTag().familiar ?? name
    }
}
