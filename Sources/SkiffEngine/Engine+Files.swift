import Glibc
import SkiffArchive
import SkiffSnapshot

/// The copies, exports and commits working on one container's files.
struct FileUse {
    var count = 0
    /// The root was mounted for them (a stopped container): it comes off after the last.
    var mountedRoot = false
    /// Volumes with driver options were mounted for them.
    var mountedVolumes = false
    /// Who waits for the last to end (`rm`, a `start` that needs the root).
    var released: [Eventual<Void>] = []
}

extension Engine {
    // MARK: docker cp

    /// `HEAD /containers/{id}/archive`: what is at `path` in the container, as `docker cp`
    /// sees it (volumes and binds included; the last symlink not followed).
    public func statPath(_ ref: String, path: String) async throws(EngineError) -> RootedTree.Entry {
        try await withFiles(ref, path: path, mounts: true) { tree in try tree.stat(path) }
    }

    /// `GET /containers/{id}/archive`: `path` as a tar with Docker's names, written into `sink`
    /// (finished at the end).
    public func archivePath<S: ByteSink & Sendable>(_ ref: String, path: String, to sink: S) async throws(EngineError) {
        try await withFiles(ref, path: path, mounts: true) { tree in
            let writer = TarWriter(sink)
            try tree.archive(path, to: writer, options: .init(subsecondTimes: false))
            try writer.finish()
        }
    }

    /// `PUT /containers/{id}/archive`: the tar read from `archive` extracted into the directory
    /// `path` (resolved with its symlinks inside the container). Owners are the archive's, or
    /// with `copyUIDGID` the container's user's; `noOverwriteDirNonDir` keeps directories and
    /// non-directories what they are.
    public func extractArchive<S: ByteSource & Sendable>(
        _ ref: String, path: String, archive: S, copyUIDGID: Bool, noOverwriteDirNonDir: Bool
    ) async throws(EngineError) {
        let container = try container(ref)
        let rootfs = rootfsPath(container.id)
        try await withFiles(ref, path: path, mounts: true) { tree in
            let directory = try tree.resolve(path)
            guard try tree.stat(directory).isDirectory else {
                throw EngineError(.invalid, "extraction point is not a directory")
            }
            try Self.checkWritable(directory, container)
            var options = RootedTree.CopyOptions(noOverwriteDirNonDir: noOverwriteDirNonDir)
            if copyUIDGID && !container.user.isEmpty {
                let user = try UserResolver(rootfs: rootfs).resolve(container.user)
                options.ownership = .remap { _, _ in (user.uid, user.gid) }
            }
            try tree.extract(archive, into: directory, options: options)
        }
    }

    /// dockerd's checkWritablePath: a read-only mount holding `path`, else a read-only root.
    static func checkWritable(_ path: String, _ container: Container) throws(EngineError) {
        func holds(_ destination: String) -> Bool {
            destination == "/" || path == destination || path.hasPrefix(destination + "/")
        }
        if let mount = container.mounts.filter({ holds($0.destination) }).max(by: { $0.destination.count < $1.destination.count }) {
            if mount.readWrite { return }
            throw EngineError(.invalid, "mounted volume is marked read-only")
        }
        if container.config.readonlyRootfs { throw EngineError(.invalid, "container rootfs is marked read-only") }
    }

    // MARK: docker export

    /// `docker export`: the container's root file system as one tar (its volumes and binds
    /// left out, as dockerd does), written into `sink`.
    public func export<S: ByteSink & Sendable>(_ ref: String, to sink: S) async throws(EngineError) {
        try checkUsable(ref, for: "export")
        try await withFiles(ref, path: nil, mounts: false) { tree in
            let writer = TarWriter(sink)
            try LayerWriter.writeEntries(directory: tree.root, to: writer, options: .init(subsecondTimes: false))
            try writer.finish()
        }
    }

    /// dockerd's refusal to export or commit a dead container or one being removed.
    public func checkUsable(_ ref: String, for action: String) throws(EngineError) {
        let container = try container(ref)
        switch container.state.status {
        case .dead: throw EngineError(.conflict, "You cannot \(action) container \(container.id) which is Dead")
        case .removing: throw EngineError(.conflict, "You cannot \(action) container \(container.id) which is being removed")
        default: break
        }
    }

    // MARK: The view

    /// Runs `body` in the container's view (ContainerView) — with its volumes, binds and network
    /// files when `mounts` — its root mounted meanwhile. A failure reads as dockerd words it
    /// for `path` (a missing file: "Could not find the file").
    func withFiles<T: Sendable>(
        _ ref: String, path: String?, mounts: Bool, _ body: @escaping @Sendable (RootedTree) throws -> T
    ) async throws(EngineError) -> T {
        let id = try resolveID(ref)
        try await useFiles(id)
        let view = ContainerView(rootfs: rootfsPath(id), binds: mounts ? viewBinds(containers[id]!) : [])
        let result = await view.run(body)
        releaseFiles(id)
        switch result {
        case .success(let value):
            return value
        case .failure(let error):
            throw Self.fileError(error, path: path, ref: ref)
        }
    }

    /// Marks the container's files in use; with `mountRoot`, its root mounted (and its
    /// volumes' driver mounts, when it does not run) unless they are already.
    func useFiles(_ id: String, mountRoot: Bool = true) async throws(EngineError) {
        guard let container = containers[id] else { throw EngineError.noSuchContainer(id) }
        let image = mountRoot ? try? await images.resolve(container.imageID) : nil
        guard let container = containers[id], container.state.status != .removing else {
            throw EngineError(.conflict, "container \(id) is being removed")
        }
        var use = fileUses[id] ?? FileUse()
        if mountRoot {
            let rootfs = rootfsPath(id)
            if !isMountPoint(rootfs) {
                let active = images.snapshots.active(key: id, layers: image.map { images.layerKeys(of: $0) } ?? [])
                do {
                    try images.snapshots.mount(active, at: rootfs)
                } catch {
                    throw EngineError(.system, "mount root of \(container.shortID): \(error)")
                }
                use.mountedRoot = true
            }
            if !use.mountedVolumes && !isActive(id) {
                for mount in container.mounts where mount.kind == .volume {
                    guard let name = mount.name, let volume = try? volumes.get(name), volume.needsMount else { continue }
                    try? volumes.mount(volume)
                    use.mountedVolumes = true
                }
            }
        }
        use.count += 1
        fileUses[id] = use
    }

    /// The end of one use: after the last, what `useFiles` mounted comes off (unless the
    /// container started meanwhile: then it is the container's).
    func releaseFiles(_ id: String) {
        guard var use = fileUses[id] else { return }
        use.count -= 1
        guard use.count == 0 else {
            fileUses[id] = use
            return
        }
        fileUses[id] = nil
        if !isActive(id) {
            if use.mountedRoot { try? OverlayMount.unmount(rootfsPath(id)) }
            if use.mountedVolumes, let container = containers[id] { releaseVolumes(of: container) }
        }
        for waiter in use.released { waiter.deliver(()) }
    }

    /// Returns once no copy, export or commit works on the container's files, or after
    /// `seconds` (a client that stopped reading an archive must not hold the container forever;
    /// what is still working then fails on its own).
    func filesReleased(_ id: String, within seconds: Int = 5) async {
        guard fileUses[id] != nil else { return }
        let released = Eventual<Void>()
        fileUses[id]!.released.append(released)
        let timer = Task {
            try? await Task.sleep(for: .seconds(seconds))
            released.deliver(())
        }
        await released.value()
        timer.cancel()
    }

    /// Running, followed, or being started: its mounts are the container's.
    func isActive(_ id: String) -> Bool {
        (containers[id]?.state.isRunning ?? false) || watched.contains(id) || starting.contains(id)
    }

    /// What the view mounts in the root: volumes and binds (not tmpfs), then the network files
    /// the container has — shallow first, as its spec orders them.
    func viewBinds(_ container: Container) -> [ContainerView.Bind] {
        let tmpfs = Set(container.config.tmpfs.keys).union(container.mounts.filter { $0.kind == .tmpfs }.map(\.destination))
        var binds: [ContainerView.Bind] = []
        for mount in container.mounts where mount.kind != .tmpfs && !tmpfs.contains(mount.destination) {
            binds.append(.init(source: mount.source, destination: mount.destination, readOnly: !mount.readWrite,
                               recursive: !mount.nonRecursive, makeMountPoint: true))
        }
        let taken = tmpfs.union(container.mounts.map(\.destination))
        for file in ["hosts", "hostname", "resolv.conf"] where !taken.contains("/etc/" + file) {
            let source = directory(container.id) + "/" + file
            guard access(source, F_OK) == 0 else { continue }
            binds.append(.init(source: source, destination: "/etc/" + file, readOnly: false, recursive: false, makeMountPoint: false))
        }
        return binds.enumerated().sorted { a, b in
            let depths = (a.element.destination.split(separator: "/").count, b.element.destination.split(separator: "/").count)
            return (depths.0, a.offset) < (depths.1, b.offset)
        }.map(\.element)
    }

    /// A failure in the view as dockerd reports it.
    static func fileError(_ error: any Error, path: String?, ref: String) -> EngineError {
        if let error = error as? EngineError { return error }
        guard let error = error as? ArchiveError else { return EngineError(.system, "\(error)") }
        switch error.kind {
        case .system:
            if let path, error.errno == ENOENT {
                return EngineError(.notFound, "Could not find the file \(path) in container \(ref)")
            }
            if let code = error.errno, error.message == "lstat" {
                return EngineError(.system, "lstat \(error.subject): \(Self.errnoText(code))")
            }
            return EngineError(error.errno == EROFS ? .invalid : .system, error.description)
        case .conflict, .unsafePath:
            return EngineError(.invalid, error.message)
        case .corrupt, .truncated, .unsupported, .limit:
            return EngineError(.invalid, error.description)
        }
    }

    /// strerror as Go words errno ("no such file or directory").
    static func errnoText(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard let first = text.first else { return text }
        return first.lowercased() + text.dropFirst()
    }
}
