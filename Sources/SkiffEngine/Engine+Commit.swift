import SkiffArchive
import SkiffImage
import SkiffMonitor
import SkiffOCI
import SkiffRuntime
import SkiffSystem

/// What `docker commit` asks for besides the container.
public struct CommitOptions: Sendable {
    /// The new image's name (`repo:tag`), if any.
    public var tag: String?
    public var author = ""
    public var comment = ""
    /// Dockerfile instructions applied to the configuration (`--change`).
    public var changes: [String] = []
    /// Freeze the container while its layer is written.
    public var pause = true
    /// The request's own configuration, over the container's (the API's body).
    public var config: ImageConfig.Config?
    /// Take `config` as the image's configuration as it is, not merged over the
    /// container's (the builder computes it itself).
    public var exactConfig = false
    /// The history entry's `created_by`; nil: the container's command.
    public var createdBy: String?
    /// How the layer's blob is stored. Builds store theirs uncompressed, as dockerd keeps
    /// layers: a step's layer is read back at once, and compressing is a push's business.
    public var compression: Compression = .gzip

    public init() {}
}

extension Engine {
    /// Where the runtime makes mount points when the image lacks them, and the engine
    /// `/.dockerenv` (dockerd keeps these in an init layer below the container's): such an
    /// empty file or directory is no change.
    static let runtimeMountPoints: Set<String> = [
        "proc", "sys", "dev", "dev/pts", "dev/shm", "dev/mqueue", "dev/console",
        "etc/hosts", "etc/hostname", "etc/resolv.conf", ".dockerenv",
    ]

    // MARK: docker diff

    /// `docker diff`: the container's changes to its image's files, sorted by path.
    public func changes(_ ref: String) async throws(EngineError) -> [LayerChange] {
        let id = try resolveID(ref)
        try await useFiles(id, mountRoot: false)
        defer { releaseFiles(id) }
        return try await layerDiff(id).changes
    }

    /// The container's writable layer against its image's layers, off the engine's thread.
    func layerDiff(_ id: String) async throws(EngineError) -> LayerDiff.Result {
        guard let container = containers[id] else { throw EngineError.noSuchContainer(id) }
        let image = try? await images.resolve(container.imageID)
        let snapshots = images.snapshots
        let active = snapshots.active(key: id, layers: image.map { images.layerKeys(of: $0) } ?? [])
        let lowers = active.layers.reversed().map { snapshots.layerPath($0) }
        let result: Result<LayerDiff.Result, any Error> = await withCheckedContinuation { continuation in
            detachThread {
                continuation.resume(returning: Result {
                    try LayerDiff.changes(upper: active.upper, lowers: lowers, mountPoints: Self.runtimeMountPoints)
                })
            }
        }
        do {
            return try result.get()
        } catch {
            throw EngineError(.system, "changes of container \(container.shortID): \(error)")
        }
    }

    // MARK: docker commit

    /// `docker commit`: a new image from the container's image, its changes as one layer on
    /// top (none without changes), its configuration (the request's over it, then `--change`)
    /// as the image's, one history entry more. The container is frozen meanwhile with
    /// `pause` (unless it is not running, or paused already).
    public func commit(_ ref: String, options: CommitOptions) async throws(EngineError) -> ImageRecord {
        try checkUsable(ref, for: "commit")
        let id = try resolveID(ref)
        let container = containers[id]!
        let image: ImageRecord
        let base: ImageConfig
        do {
            image = try await images.resolve(container.imageID)
            base = try await images.config(of: image)
        } catch {
            throw EngineError(.system, "commit \(container.shortID): image \(container.imageID): \(error.message)")
        }
        var settings = Self.commitConfig(container, base: base.config)
        if let requested = options.config { settings = options.exactConfig ? requested : Self.merge(requested, over: settings) }
        do {
            try ImageChanges.apply(options.changes, to: &settings)
        } catch {
            throw EngineError(.invalid, error.message)
        }

        try await useFiles(id, mountRoot: false)
        let runtime = Runtime(root: runtimeRoot)
        let paused = options.pause && containers[id]?.state.status == .running && (try? runtime.pause(id: id)) != nil
        var layer: LayerRecord?
        var failure: EngineError?
        do throws(EngineError) {
            let diff = try await layerDiff(id)
            if !diff.changes.isEmpty {
                let upper = images.snapshots.active(key: id, layers: []).upper
                do {
                    layer = try await images.addLayer(
                        fromDirectory: upper, source: .overlayUpper, parent: image.layers.last?.chainID,
                        compression: options.compression, exclude: Set(diff.ignored.map { Array($0.utf8) }))
                } catch {
                    throw EngineError(.system, "commit \(container.shortID): \(error.message)")
                }
            }
        } catch {
            failure = error
        }
        if paused { try? runtime.resume(id: id) }
        releaseFiles(id)
        if let failure { throw failure }

        let commit = ImageStore.Commit(
            config: settings, author: options.author, comment: options.comment,
            createdBy: options.createdBy ?? container.cmd.joined(separator: " "), tag: options.tag)
        let committed: ImageRecord
        do {
            committed = try await images.commit(commit, parent: image, layer: layer)
        } catch {
            throw EngineError(error.kind == .invalid ? .invalid : .system, error.message)
        }
        // dockerd's events: the image's `tag` (when named), then the container's `commit`.
        let imageRef = options.tag.flatMap { try? ImageReference($0).withDefaultTag().familiar } ?? ""
        if !imageRef.isEmpty {
            var attributes = settings.labels ?? [:]
            attributes["name"] = imageRef
            events.publish(.image, "tag", id: committed.id.description, attributes: attributes)
        }
        if let current = containers[id] {
            record("commit", current, ["comment": options.comment, "imageID": committed.id.description, "imageRef": imageRef])
        }
        return committed
    }

    /// The container's configuration as an image's, the way dockerd's container config carries
    /// it: the image's defaults merged in at create, the runtime's additions (HOSTNAME, TERM,
    /// the default PATH) left out.
    static func commitConfig(_ c: Container, base: ImageConfig.Config?) -> ImageConfig.Config {
        var config = base ?? ImageConfig.Config()
        let own = c.config
        config.user = c.user.isEmpty ? nil : c.user
        config.env = merge(env: own.env, over: base?.env ?? [])
        config.cmd = c.cmd.isEmpty ? nil : c.cmd
        config.entrypoint = c.entrypoint.isEmpty ? nil : c.entrypoint
        if let dir = own.workingDir, !dir.isEmpty { config.workingDir = dir }
        config.labels = own.labels.isEmpty ? nil : own.labels
        config.exposedPorts = own.exposedPorts.isEmpty ? nil : Dictionary(own.exposedPorts.map { ($0, EmptyObject()) }) { a, _ in a }
        config.volumes = own.volumes.isEmpty ? nil : Dictionary(own.volumes.map { ($0, EmptyObject()) }) { a, _ in a }
        if let signal = own.stopSignal { config.stopSignal = signal }
        if let check = own.healthcheck {
            config.healthcheck = ImageConfig.Healthcheck(
                test: check.test, interval: check.interval == 0 ? nil : check.interval,
                timeout: check.timeout == 0 ? nil : check.timeout,
                startPeriod: check.startPeriod == 0 ? nil : check.startPeriod, retries: check.retries == 0 ? nil : check.retries)
        }
        return config
    }

    /// dockerd's merge of a commit's configuration over the container's: what the request
    /// leaves empty comes from the container; env, labels, ports and volumes are combined.
    static func merge(_ user: ImageConfig.Config, over base: ImageConfig.Config) -> ImageConfig.Config {
        var config = user
        if (config.user ?? "").isEmpty { config.user = base.user }
        if let ports = base.exposedPorts { config.exposedPorts = ports.merging(config.exposedPorts ?? [:]) { _, mine in mine } }
        config.env = merge(env: config.env ?? [], over: base.env ?? [])
        if let labels = base.labels { config.labels = labels.merging(config.labels ?? [:]) { _, mine in mine } }
        if (config.entrypoint ?? []).isEmpty {
            if (config.cmd ?? []).isEmpty { config.cmd = base.cmd }
            if config.entrypoint == nil { config.entrypoint = base.entrypoint }
        }
        if config.healthcheck == nil { config.healthcheck = base.healthcheck }
        if (config.workingDir ?? "").isEmpty { config.workingDir = base.workingDir }
        if let volumes = base.volumes { config.volumes = volumes.merging(config.volumes ?? [:]) { _, mine in mine } }
        if (config.stopSignal ?? "").isEmpty { config.stopSignal = base.stopSignal }
        if config.onBuild == nil { config.onBuild = base.onBuild }
        if config.shell == nil { config.shell = base.shell }
        return config
    }

    /// dockerd's env merge: `own` first, then every entry of `base` whose name `own` lacks; nil when empty.
    static func merge(env own: [String], over base: [String]) -> [String]? {
        func name(_ entry: String) -> Substring { entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0] }
        let names = Set(own.map(name))
        let merged = own + base.filter { !names.contains(name($0)) }
        return merged.isEmpty ? nil : merged
    }
}
