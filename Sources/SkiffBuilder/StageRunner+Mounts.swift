import Glibc
import SkiffArchive
import SkiffBuild
import SkiffEngine
import SkiffImage
import SkiffOCI
import SkiffSystem

/// A RUN's `--mount`s made ready: what the step's container mounts, what of them goes into the
/// step's cache key, and what to undo afterwards.
struct PreparedMounts: Sendable {
    var requests: [MountRequest] = []
    /// Bind mounts key on what they show (the context's files, another image), not on paths.
    var keyParts: [String] = []
    /// Containers whose root file systems are bound (`from=`), removed by `release`.
    var sourceContainers: [String] = []
    /// Overlay mounts (writable binds) and their scratch directories, undone by `release`.
    var overlays: [(mountPoint: String, scratch: String)] = []
}

extension StageRunner {
    /// Where cache mounts live: one directory per cache id, kept across builds.
    var cacheMountRoot: String { engine.dataRoot + "/build/cache-mounts" }

    func prepareMounts(_ mounts: [RunMount], state: StageState, finished: [Int: StageState]) async throws(BuildError) -> PreparedMounts {
        var prepared = PreparedMounts()
        do throws(BuildError) {
            for mount in mounts {
                try await prepare(mount, state: state, finished: finished, into: &prepared)
            }
        } catch {
            await release(prepared)
            throw error
        }
        return prepared
    }

    private func prepare(_ mount: RunMount, state: StageState, finished: [Int: StageState], into prepared: inout PreparedMounts) async throws(BuildError) {
        let workdir = state.config.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        func target() throws(BuildError) -> String {
            guard let target = mount.target, !target.isEmpty else { throw BuildError("RUN --mount=type=\(mount.type.rawValue): target is required") }
            return CopyPath.clean(target.hasPrefix("/") ? target : workdir + "/" + target)
        }
        switch mount.type {
        case .bind:
            let destination = try target()
            let source = mount.source ?? "/"
            let root: String
            if let from = mount.from {
                let image = try await sourceImage(plan.dockerfile.mountSource(from), finished: finished)
                let container = try await createSourceContainer(image)
                prepared.sourceContainers.append(container)
                root = engine.rootfsPath(container)
                prepared.keyParts += ["bind", destination, image.id.description, source, mount.readOnly ? "ro" : "rw"]
            } else {
                root = plan.context.directory
                let digest = try await CopyPlanner(sourceRoot: root, destinationRoot: "/nonexistent", instruction: "RUN --mount", unpackArchives: false,
                                             chmod: nil, excludes: nil).plan(sources: [.path(source)], destination: "/").digest()
                prepared.keyParts += ["bind", destination, digest, mount.readOnly ? "ro" : "rw"]
            }
            guard let resolved = try? RootedTree(root: root).resolve(source) else {
                throw BuildError("RUN --mount=type=bind: source \(source) not found")
            }
            var host = root + resolved
            var entry = stat()
            guard lstat(host, &entry) == 0 else { throw BuildError("RUN --mount=type=bind: source \(source) not found") }
            if !mount.readOnly {
                host = try writableView(of: host, into: &prepared)
            }
            var request = MountRequest(kind: .bind, source: host, destination: destination)
            request.readOnly = mount.readOnly
            prepared.requests.append(request)
        case .cache:
            let destination = try target()
            let id = mount.cacheID ?? destination
            let directory = cacheMountRoot + "/" + CacheKey.digest(of: id).encoded
            if access(directory, F_OK) != 0 {
                do {
                    try Directories.make(cacheMountRoot, mode: 0o700)
                    try Directories.make(directory, mode: mount.mode ?? 0o755)
                } catch {
                    throw BuildError("RUN --mount=type=cache: \(error)")
                }
                chown(directory, mount.uid ?? 0, mount.gid ?? 0)
                chmod(directory, mode_t(mount.mode ?? 0o755))
            }
            var request = MountRequest(kind: .bind, source: directory, destination: destination)
            request.readOnly = mount.readOnly
            prepared.requests.append(request)
        case .tmpfs:
            var request = MountRequest(kind: .tmpfs, source: "", destination: try target())
            request.tmpfsSize = mount.sizeLimit
            prepared.requests.append(request)
        case .secret, .ssh:
            if mount.required { throw BuildError("RUN --mount=type=\(mount.type.rawValue): no \(mount.type.rawValue) was given to this build") }
        }
    }

    /// A writable view of `path` whose writes are thrown away with it (BuildKit's `rw` bind
    /// mounts): an overlay over it, in a scratch directory.
    private func writableView(of path: String, into prepared: inout PreparedMounts) throws(BuildError) -> String {
        var entry = stat()
        guard stat(path, &entry) == 0, entry.st_mode & S_IFMT == S_IFDIR else {
            throw BuildError("RUN --mount=type=bind,rw: \(path) is not a directory")
        }
        let scratch = engine.runRoot + "/build-" + CacheKey.digest(of: path + String(UInt64.random(in: 0...UInt64.max))).encoded.prefix(16)
        do {
            for dir in [scratch, scratch + "/upper", scratch + "/work", scratch + "/merged"] { try Directories.make(dir, mode: 0o700) }
        } catch {
            Directories.removeTree(scratch)
            throw BuildError("RUN --mount=type=bind,rw: \(error)")
        }
        let options = "lowerdir=\(path),upperdir=\(scratch)/upper,workdir=\(scratch)/work"
        guard mount("overlay", scratch + "/merged", "overlay", 0, options) == 0 else {
            let reason = String(cString: strerror(errno))
            Directories.removeTree(scratch)
            throw BuildError("RUN --mount=type=bind,rw: mount overlay: \(reason)")
        }
        prepared.overlays.append((scratch + "/merged", scratch))
        return scratch + "/merged"
    }

    func release(_ prepared: PreparedMounts) async {
        for container in prepared.sourceContainers { try? await engine.remove(container, force: true, volumes: true) }
        for (mountPoint, scratch) in prepared.overlays {
            umount2(mountPoint, Int32(MNT_DETACH))
            Directories.removeTree(scratch)
        }
    }

    /// A container of `image` that is never started, for its root file system.
    func createSourceContainer(_ image: ImageRecord) async throws(BuildError) -> String {
        var config = ContainerConfiguration(image: image.id.description)
        config.entrypoint = [""]
        config.cmd = ["/bin/sh"]
        config.networkMode = "none"
        config.labels[Builder.stepLabel] = ""
        do {
            return try await engine.create(name: nil, config: config).id
        } catch {
            throw BuildError(error.message)
        }
    }

    /// What a `--from` names: a finished stage's image, or a stored image.
    func sourceImage(_ source: StageSource, finished: [Int: StageState]) async throws(BuildError) -> ImageRecord {
        switch source {
        case .stage(let other):
            guard let state = finished[other] else { throw BuildError("stage \(other) is not built") }
            return state.image
        case .image(let name):
            return try await resolveImage(name)
        case .scratch:
            do {
                return try await images.scratchImage()
            } catch {
                throw BuildError(error.message)
            }
        }
    }
}

extension CacheKey {
    static func digest(of text: String) -> SkiffOCI.Digest {
        SkiffOCI.Digest.sha256(of: Array(text.utf8))
    }
}
