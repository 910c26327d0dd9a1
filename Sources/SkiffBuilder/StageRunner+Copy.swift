import SkiffArchive
import SkiffBuild
import SkiffEngine
import SkiffImage
import SkiffSystem

/// A COPY or ADD, expanded.
struct CopyStep: Sendable {
    var sources: [CopySource]
    var destination: String
    var from: String?
    var chown: String?
    var chmod: String?
    var excludes: [String]
    var parents = false
    /// `ADD --checksum=sha256:...`: what the downloaded file must hash to.
    var checksum: String?
    /// ADD: local archives are unpacked.
    var isAdd: Bool
}

extension StageRunner {
    /// COPY and ADD: the files into a container of the stage's image, committed as a layer.
    /// The cache key covers the sources' names, modes and contents (not their times), or, from
    /// another stage or image, that image.
    func copy(_ step: CopyStep, instruction: Instruction, state: inout StageState, finished: [Int: StageState]) async throws(BuildError) {
        let name = step.isAdd ? "ADD" : "COPY"
        let workdir = state.config.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        var destination = step.destination
        if !destination.hasPrefix("/") {
            let directoryLike = destination.hasSuffix("/") || destination == "." || destination.hasSuffix("/.")
            destination = CopyPath.clean(workdir + "/" + destination) + (directoryLike ? "/" : "")
        }
        var mode: UInt32?
        if let text = step.chmod {
            guard let parsed = UInt32(text, radix: 8), parsed <= 0o7777 else { throw BuildError("invalid chmod parameter: \(text)") }
            mode = parsed
        }
        var excludes: DockerIgnore?
        if !step.excludes.isEmpty {
            do {
                excludes = try DockerIgnore(patterns: step.excludes)
            } catch {
                throw BuildError("\(name) --exclude: \(error)")
            }
        }
        var source: ImageRecord?
        if let from = step.from {
            do {
                source = try await sourceImage(try plan.dockerfile.copySource(from), finished: finished)
            } catch let error as DockerfileError {
                throw BuildError(error.description)
            } catch let error as BuildError {
                throw error
            } catch {
                throw BuildError("\(error)")
            }
        }
        // ADD's URLs: fetched first (their contents are part of the cache key), into a
        // directory of this step's own.
        var sources = step.sources
        var downloads: [Download] = []
        var downloadDirectory: String?
        defer { if let downloadDirectory { Directories.removeTree(downloadDirectory) } }
        if step.isAdd {
            let urls = sources.compactMap { source -> String? in
                guard case .path(let path) = source, Self.isURL(path) else { return nil }
                return path
            }
            if !urls.isEmpty {
                do {
                    downloadDirectory = try Builder.makeContextDirectory(engine)
                } catch {
                    throw BuildError("ADD: \(error)")
                }
                for (index, url) in urls.enumerated() {
                    downloads.append(try await Download.fetch(url, into: downloadDirectory!, index: index))
                }
                if let checksum = step.checksum {
                    guard urls.count == 1, sources.count == urls.count else {
                        throw BuildError("checksum can't be specified for multiple sources")
                    }
                    let actual = try await CopyPlan.contentDigests([downloads[0].path])[0]
                    guard actual == checksum else {
                        throw BuildError("digest mismatch for \(urls[0]): \(actual) (expected \(checksum))")
                    }
                }
                sources.removeAll { if case .path(let path) = $0 { Self.isURL(path) } else { false } }
            } else if step.checksum != nil {
                throw BuildError("checksum can't be specified for non-HTTP(S) sources")
            }
        }
        func planner(sourceRoot: String, destinationRoot: String) -> CopyPlanner {
            var planner = CopyPlanner(sourceRoot: sourceRoot, destinationRoot: destinationRoot, instruction: name,
                                      unpackArchives: step.isAdd, chmod: mode, excludes: excludes)
            planner.keepParents = step.parents
            return planner
        }

        let description = [name, destination, step.chown ?? "", step.chmod ?? "", step.excludes.joined(separator: ","), step.parents ? "parents" : ""]
        let contents: String
        if let source {
            contents = source.id.description + "\u{0}" + step.sources.map { "\($0)" }.joined(separator: "\u{0}")
        } else {
            contents = try await planner(sourceRoot: plan.context.directory, destinationRoot: "/nonexistent")
                .plan(sources: sources, destination: destination, downloads: downloads).digest()
        }
        let key = CacheKey.make(parent: state.image, parts: ["copy"] + description + [contents])
        if let cached = try await cached(key) {
            state.image = cached
            return
        }

        var sourceContainer: String?
        if let source { sourceContainer = try await createSourceContainer(source) }
        let sourceRoot = sourceContainer.map { engine.rootfsPath($0) } ?? plan.context.directory
        var current = state
        do throws(BuildError) {
            try await withContainer(image: state.image, command: Settings.shell(state) + ["#(nop) " + instruction.original]) { (id: String) async throws(BuildError) in
                let rootfs = engine.rootfsPath(id)
                var owner: (uid: UInt32, gid: UInt32) = (0, 0)
                if let chown = step.chown {
                    do throws(EngineError) {
                        owner = try UserResolver(rootfs: rootfs).chownIDs(chown)
                    } catch {
                        throw BuildError("\(name) --chown=\(chown): \(error.message)")
                    }
                }
                let copyPlan = try planner(sourceRoot: sourceRoot, destinationRoot: rootfs).plan(sources: sources, destination: destination, downloads: downloads)
                let ids = owner
                try await Self.offThread { try copyPlan.apply(to: rootfs, owner: ids) }
                try await commit(id, state: &current, createdBy: "/bin/sh -c #(nop) " + instruction.original, key: key)
            }
        } catch {
            if let sourceContainer { try? await engine.remove(sourceContainer, force: true, volumes: true) }
            throw error
        }
        if let sourceContainer { try? await engine.remove(sourceContainer, force: true, volumes: true) }
        state = current
    }

    /// WORKDIR: the directory made when the image lacks it (a layer), and the setting.
    func workdir(_ path: String, instruction: Instruction, state: inout StageState) async throws(BuildError) {
        let current = state.config.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        let directory = CopyPath.clean(path.hasPrefix("/") ? path : current + "/" + path)
        state.config.workingDir = directory
        let key = CacheKey.make(parent: state.image, parts: ["workdir", directory])
        if let cached = try await cached(key) {
            state.image = cached
            return
        }
        var next = state
        try await withContainer(image: state.image, command: Settings.shell(state) + ["#(nop) WORKDIR " + directory]) { (id: String) async throws(BuildError) in
            let rootfs = engine.rootfsPath(id)
            var made = CopyPlan()
            made.missingDirectories = CopyPlanner.missingDirectories(String(directory.dropFirst()), in: rootfs)
            if !made.missingDirectories.isEmpty {
                let plan = made
                try await Self.offThread { try plan.apply(to: rootfs, owner: (0, 0)) }
            }
            try await commit(id, state: &next, createdBy: "/bin/sh -c #(nop) WORKDIR " + directory, key: key)
        }
        state = next
    }

    static func isURL(_ path: String) -> Bool {
        path.hasPrefix("http://") || path.hasPrefix("https://")
    }

    /// Blocking file work on a thread of its own, off the cooperative pool.
    static func offThread(_ body: @escaping @Sendable () throws -> Void) async throws(BuildError) {
        let result: Result<Void, BuildError> = await withCheckedContinuation { continuation in
            detachThread {
                do {
                    try body()
                    continuation.resume(returning: .success(()))
                } catch let error as BuildError {
                    continuation.resume(returning: .failure(error))
                } catch {
                    continuation.resume(returning: .failure(BuildError("\(error)")))
                }
            }
        }
        try result.get()
    }
}
