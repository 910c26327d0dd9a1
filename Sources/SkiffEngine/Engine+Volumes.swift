import CSkiffSpawn
import Glibc
import SkiffSystem
import SkiffVolume

extension EngineError {
    init(_ error: VolumeError) {
        switch error.kind {
        case .invalid: self.init(.invalid, error.message)
        case .notFound: self.init(.notFound, error.message)
        case .conflict: self.init(.conflict, error.message)
        case .system: self.init(.system, error.message)
        }
    }
}

extension Engine {
    // MARK: The volume API

    /// Containers (in any state, or being created) that use volume `name`, by id.
    public func containers(usingVolume name: String) -> [String] {
        let all = containers.mapValues(\.mounts).merging(pendingMounts) { $1 }
        return all.filter { $0.value.contains { $0.kind == .volume && $0.name == name } }.keys.sorted()
    }

    /// `docker volume create`: a new volume (a random name when `name` is
    /// empty, anonymous as dockerd marks it), or the existing one of that name.
    public func createVolume(
        name: String?, driver: String?, labels: [String: String], options: [String: String]
    ) throws(EngineError) -> Volume {
        let given = name.flatMap { $0.isEmpty ? nil : $0 }
        do {
            let result = try volumes.create(name: given ?? RandomID.make(), driver: driver, labels: labels, options: options,
                                            anonymous: given == nil)
            if result.created { recordVolume("create", result.volume.name, driver: result.volume.driver) }
            return result.volume
        } catch {
            throw EngineError(error)
        }
    }

    public func volume(_ name: String) throws(EngineError) -> Volume {
        do { return try volumes.get(name) } catch { throw EngineError(error) }
    }

    /// Every volume with the containers that use it.
    public func listVolumes() throws(EngineError) -> [(volume: Volume, users: [String])] {
        do {
            return try volumes.list().map { ($0, containers(usingVolume: $0.name)) }
        } catch {
            throw EngineError(error)
        }
    }

    /// `docker volume rm`: refused while any container uses it; `force`
    /// makes a missing volume no error.
    public func removeVolume(_ name: String, force: Bool) throws(EngineError) {
        do throws(VolumeError) {
            guard let volume = try volumes.find(name) else {
                if force { return }
                throw VolumeError.noSuchVolume(name)
            }
            let users = containers(usingVolume: name)
            guard users.isEmpty else {
                throw VolumeError(.conflict, "remove \(name): volume is in use - [\(users.joined(separator: ", "))]")
            }
            try volumes.remove(name)
            recordVolume("destroy", name, driver: volume.driver)
        } catch {
            throw EngineError(error)
        }
    }

    /// `docker volume prune`: removes the volumes `include` picks that no
    /// container uses and that have no driver options (dockerd leaves those).
    /// Returns their names and the bytes they held.
    public func pruneVolumes(where include: @Sendable (Volume) -> Bool) throws(EngineError) -> (deleted: [String], reclaimed: Int64) {
        var deleted: [String] = []
        var reclaimed: Int64 = 0
        for (volume, users) in try listVolumes() where users.isEmpty && volume.options.isEmpty && include(volume) {
            let size = volumes.size(volume)
            guard (try? volumes.remove(volume.name)) != nil else { continue }
            recordVolume("destroy", volume.name, driver: volume.driver)
            deleted.append(volume.name)
            reclaimed += size
        }
        events.publish(.volume, "prune", id: "", attributes: ["reclaimed": String(reclaimed)])
        return (deleted, reclaimed)
    }

    // MARK: Create

    /// Docker's order: mounts of `--volumes-from` containers, then `-v`
    /// (over those), then `--mount`, then an anonymous volume for each
    /// `volumes` path nothing is mounted on yet. Named volumes are made if
    /// missing. Returns the mounts and the volumes made here (for undo).
    func resolveMounts(_ config: ContainerConfiguration) throws(EngineError) -> (mounts: [ContainerMount], made: [String]) {
        var points: [String: ContainerMount] = [:]
        var order: [String] = []
        var made: [String] = []
        func put(_ mount: ContainerMount) {
            if points[mount.destination] == nil { order.append(mount.destination) }
            points[mount.destination] = mount
        }
        do throws(EngineError) {
            for from in config.volumesFrom {
                guard let id = try? resolveID(from.container), let source = containers[id] else {
                    throw EngineError(.invalid, "No such container: \(from.container)")
                }
                for var mount in source.mounts {
                    mount.readWrite = mount.readWrite && !from.readOnly
                    mount.copyUp = false
                    put(mount)
                }
            }
            var requested = Set<String>()
            for request in config.mounts.filter({ $0.bindSpec != nil }) + config.mounts.filter({ $0.bindSpec == nil }) {
                let isBind = request.bindSpec != nil
                if requested.contains(request.destination) || (isBind && config.tmpfs[request.destination] != nil) {
                    throw EngineError(.invalid, "Duplicate mount point: \(request.destination)")
                }
                requested.insert(request.destination)
                put(try mountPoint(for: request, volumeDriver: config.volumeDriver, made: &made))
            }
            for path in config.volumes {
                let destination = Self.cleanPath(path)
                if points[destination] != nil || config.tmpfs[destination] != nil { continue }
                let anonymous = MountRequest(kind: .volume, source: "", destination: destination)
                var mount = try mountPoint(for: anonymous, volumeDriver: config.volumeDriver, made: &made)
                mount.mode = ""
                put(mount)
            }
        } catch {
            for name in made { try? volumes.remove(name) }
            throw error
        }
        return (order.compactMap { points[$0] }, made)
    }

    private func mountPoint(for request: MountRequest, volumeDriver: String?, made: inout [String]) throws(EngineError) -> ContainerMount {
        var mount = ContainerMount(kind: request.kind, source: request.source, destination: request.destination, readWrite: !request.readOnly)
        mount.mode = request.mode
        switch request.kind {
        case .bind:
            if !request.createSource && access(request.source, F_OK) != 0 {
                throw EngineError(.invalid, "invalid mount config for type \"bind\": bind source path does not exist: \(request.source)")
            }
            mount.propagation = request.propagation ?? "rprivate"
            mount.nonRecursive = request.nonRecursive
            mount.createSource = request.createSource
        case .volume:
            let name = request.source.isEmpty ? RandomID.make() : request.source
            let driver = request.volumeDriver.flatMap { $0.isEmpty ? nil : $0 } ?? volumeDriver
            let volume: Volume
            do {
                let result = try volumes.create(name: name, driver: driver, labels: request.volumeLabels, options: request.volumeOptions,
                                                anonymous: request.source.isEmpty)
                volume = result.volume
                if result.created { made.append(name) }
            } catch {
                throw EngineError(error)
            }
            mount.name = volume.name
            mount.source = volume.mountpoint
            mount.driver = volume.driver
            if mount.mode.isEmpty { mount.mode = "z" }
            mount.copyUp = !request.noCopy
            mount.anonymous = request.source.isEmpty
        case .tmpfs:
            if request.readOnly { mount.tmpfsOptions.append("ro") }
            if request.tmpfsMode != 0 { mount.tmpfsOptions.append("mode=" + String(request.tmpfsMode, radix: 8)) }
            if request.tmpfsSize != 0 { mount.tmpfsOptions.append("size=" + Self.tmpfsSize(request.tmpfsSize)) }
            mount.tmpfsOptions += request.tmpfsFlags
        }
        return mount
    }

    /// Docker's copy-up at create, with the container's root mounted: each
    /// new (empty) volume gets the image's content at its mount point. A
    /// volume cannot go over a file of the image.
    func populateVolumes(_ container: Container) throws(EngineError) {
        let rootfs = rootfsPath(container.id)
        for mount in container.mounts where mount.kind == .volume {
            let fd = skiff_open_in_root(rootfs, mount.destination, SKIFF_O_PATH | O_CLOEXEC)
            if fd >= 0 {
                var st = stat()
                let isFile = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) != S_IFDIR
                close(fd)
                if isFile {
                    throw EngineError(.invalid, "cannot mount volume over existing file, file exists \(rootfs)\(mount.destination)")
                }
            }
            guard mount.copyUp, let name = mount.name else { continue }
            do {
                let volume = try volumes.get(name)
                try volumes.mount(volume)
                defer { releaseVolume(volume, except: container.id) }
                try volumes.populate(volume, fromRoot: rootfs, path: mount.destination)
            } catch {
                throw EngineError(error)
            }
        }
    }

    // MARK: Start and stop

    /// Before a start: a missing `-v` source becomes a directory, volumes
    /// with driver options are mounted, and shared or slave binds are
    /// checked to have a source that can propagate (as dockerd does).
    func prepareMounts(_ container: Container) throws(EngineError) {
        var table: MountTable?
        for mount in container.mounts {
            switch mount.kind {
            case .bind:
                if mount.createSource && access(mount.source, F_OK) != 0 {
                    do {
                        try Directories.make(mount.source, mode: 0o755)
                    } catch {
                        throw EngineError(.system, "error while creating mount source path '\(mount.source)': \(error)")
                    }
                }
                let propagation = mount.propagation.hasPrefix("r") ? String(mount.propagation.dropFirst()) : mount.propagation
                guard propagation == "shared" || propagation == "slave" else { continue }
                if table == nil { table = MountTable.current() }
                guard let host = table?.mount(containing: Self.realPath(mount.source)) else { continue }
                if propagation == "shared" && !host.isShared {
                    throw EngineError(.system, "path \(mount.source) is mounted on \(host.mountPoint) but it is not a shared mount")
                }
                if propagation == "slave" && !host.isShared && !host.isSlave {
                    throw EngineError(.system, "path \(mount.source) is mounted on \(host.mountPoint) but it is not a shared or slave mount")
                }
            case .volume:
                guard let name = mount.name else { continue }
                do {
                    try volumes.mount(try volumes.get(name))
                } catch {
                    throw EngineError(error)
                }
            case .tmpfs:
                continue
            }
        }
    }

    /// Takes the driver mounts of `container`'s volumes off where no other
    /// running container uses them.
    func releaseVolumes(of container: Container) {
        for mount in container.mounts where mount.kind == .volume {
            guard let name = mount.name, let volume = try? volumes.find(name) else { continue }
            releaseVolume(volume, except: container.id)
        }
    }

    private func releaseVolume(_ volume: Volume, except id: String) {
        guard volume.needsMount else { return }
        let used = containers.values.contains { other in
            other.id != id && (other.state.isRunning || watched.contains(other.id))
                && other.mounts.contains { $0.kind == .volume && $0.name == volume.name }
        }
        if !used { try? volumes.unmount(volume) }
    }

    /// At engine start: driver mounts left on volumes no running container uses (a daemon that died) come off.
    func releaseUnusedVolumes() {
        for volume in (try? volumes.list()) ?? [] where volume.needsMount {
            releaseVolume(volume, except: "")
        }
    }

    /// `rm -v`: the container's anonymous volumes that no other container uses.
    func removeAnonymousVolumes(of container: Container) {
        for mount in container.mounts where mount.kind == .volume && mount.anonymous {
            guard let name = mount.name, containers(usingVolume: name).isEmpty else { continue }
            if (try? volumes.remove(name)) != nil { recordVolume("destroy", name, driver: mount.driver) }
        }
    }

    // MARK: Helpers

    /// Go's path.Clean for an absolute path (`..` stops at the root).
    public static func cleanPath(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// A path with its symlinks resolved (itself if it cannot be).
    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Docker's tmpfs size text: the largest of g, m, k that divides it, else bytes.
    static func tmpfsSize(_ bytes: Int64) -> String {
        for (suffix, unit) in [("g", Int64(1) << 30), ("m", Int64(1) << 20), ("k", Int64(1) << 10)] where bytes % unit == 0 {
            return "\(bytes / unit)\(suffix)"
        }
        return "\(bytes)"
    }
}
