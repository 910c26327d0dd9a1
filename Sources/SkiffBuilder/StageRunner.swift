import FoundationEssentials
import SkiffBuild
import SkiffEngine
import SkiffImage
import SkiffOCI

/// Where a stage stands after a step: the image so far and its settings, and the ARGs the
/// stage declared (in order; a later one of the same name replaces an earlier one).
struct StageState: Sendable {
    var image: ImageRecord
    var config: ImageConfig.Config
    var author: String?
    var arguments: [(name: String, value: String?)] = []
    /// CMD was set in this stage (so ENTRYPOINT keeps it).
    var cmdSet = false

    /// The variables instructions expand with: the stage's ARGs, its ENV over them.
    var scope: [String: String] {
        var scope: [String: String] = [:]
        for (name, value) in arguments { if let value { scope[name] = value } }
        for entry in config.env ?? [] {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            scope[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return scope
    }

    /// `K=V` for each ARG with a value that no ENV of the same name hides: what RUN adds to
    /// its environment and its cache key.
    var argumentEnvironment: [String] {
        let envNames = Set((config.env ?? []).map { String($0.split(separator: "=", maxSplits: 1)[0]) })
        var seen: Set<String> = []
        var result: [String] = []
        for (name, value) in arguments.reversed() where !seen.contains(name) {
            seen.insert(name)
            if let value, !envNames.contains(name) { result.append("\(name)=\(value)") }
        }
        return result.reversed()
    }
}

/// Builds one stage: its base, then each instruction as a step.
struct StageRunner: Sendable {
    let builder: Builder
    let plan: StagePlan
    let index: Int

    var engine: Engine { builder.engine }
    var images: ImageStore { builder.engine.images }
    var stage: Stage { plan.dockerfile.stages[index] }

    func report(_ event: BuildEvent) { builder.report(event) }

    func run(finished: [Int: StageState]) async throws(BuildError) -> StageState {
        var step = plan.firstStep[index]!
        report(.step(number: step, total: plan.total, instruction: stage.original))
        var state = try await base(finished: finished)
        report(.stepImage(id: state.image.id.description))
        // A stage's steps run with a PATH: the default one when the base image sets none
        // (it goes into the result's settings, as both of Docker's builders do).
        if !(state.config.env ?? []).contains(where: { $0.hasPrefix("PATH=") }) {
            state.config.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] + (state.config.env ?? [])
        }

        // The base image's ONBUILD triggers run first; the result has none of its own.
        let triggers = state.config.onBuild ?? []
        state.config.onBuild = nil
        if !triggers.isEmpty {
            report(.message("# Executing \(triggers.count) build trigger\(triggers.count == 1 ? "" : "s")\n"))
            for trigger in triggers {
                let instruction: Instruction
                do {
                    instruction = try Dockerfile.trigger(trigger)
                } catch {
                    throw BuildError("failed to process ONBUILD trigger \(trigger): \(error.description)")
                }
                try await execute(instruction, state: &state, finished: finished)
            }
        }

        for instruction in stage.instructions {
            if Task.isCancelled { throw BuildError("the build was cancelled") }
            step += 1
            report(.step(number: step, total: plan.total, instruction: instruction.original))
            try await execute(instruction, state: &state, finished: finished)
            report(.stepImage(id: state.image.id.description))
        }
        return state
    }

    /// The stage's FROM: an earlier stage's result, the empty image, or a stored image.
    private func base(finished: [Int: StageState]) async throws(BuildError) -> StageState {
        switch plan.graph.bases[index] {
        case .stage(let other):
            var state = finished[other]!
            state.arguments = []
            state.cmdSet = false
            return state
        case .scratch:
            do {
                let image = try await images.scratchImage()
                return StageState(image: image, config: ImageConfig.Config())
            } catch {
                throw BuildError("scratch image: \(error.message)")
            }
        case .image(let name):
            let image = try await resolveImage(name)
            do {
                let config = try await images.config(of: image)
                return StageState(image: image, config: config.config ?? ImageConfig.Config(), author: config.author)
            } catch {
                throw BuildError("\(name): \(error.message)")
            }
        }
    }

    func resolveImage(_ name: String) async throws(BuildError) -> ImageRecord {
        do {
            return try await images.resolve(name)
        } catch {
            throw BuildError("pull access denied for \(name), repository does not exist or may require 'docker login': No such image: \(name)")
        }
    }

    /// One instruction, variables expanded with the stage's scope.
    private func execute(_ raw: Instruction, state: inout StageState, finished: [Int: StageState]) async throws(BuildError) {
        let instruction: Instruction
        do {
            instruction = try raw.expanded(state.scope, escape: plan.dockerfile.escape)
        } catch {
            throw BuildError(error.description)
        }
        switch instruction.kind {
        case .from:
            throw BuildError("FROM is not allowed here")
        case .run(let run):
            try await self.run(run, instruction: instruction, state: &state, finished: finished)
        case .copy(let copy):
            try await self.copy(
                CopyStep(sources: copy.sources, destination: copy.destination, from: copy.from, chown: copy.chown, chmod: copy.chmod,
                         excludes: copy.excludes, parents: copy.parents, isAdd: false),
                instruction: instruction, state: &state, finished: finished)
        case .add(let add):
            try await self.copy(
                CopyStep(sources: add.sources, destination: add.destination, from: nil, chown: add.chown, chmod: add.chmod,
                         excludes: add.excludes, checksum: add.checksum, isAdd: add.unpack ?? true),
                instruction: instruction, state: &state, finished: finished)
        case .workdir(let path):
            try await workdir(path, instruction: instruction, state: &state)
        case .arg(let definitions):
            for definition in definitions {
                var value = builder.request.buildArguments[definition.name] ?? definition.defaultValue
                if value == nil, builder.request.buildArguments[definition.name] == nil { value = plan.globals[definition.name] }
                let request = builder.request
                if request.buildArguments[definition.name] != nil || request.namedArguments.contains(definition.name) {
                    plan.consumedArguments.insert(definition.name)
                }
                state.arguments.removeAll { $0.name == definition.name }
                state.arguments.append((definition.name, value))
            }
            try await commitSettings(&state, description: instruction.original)
        default:
            try Settings.apply(instruction.kind, to: &state)
            try await commitSettings(&state, description: instruction.original)
        }
    }

    // MARK: Settings-only steps

    /// A step that changes only the image's settings: an image with one history entry more
    /// and no layer, or the one an earlier build made for the same step.
    func commitSettings(_ state: inout StageState, description: String) async throws(BuildError) {
        // The step's text and the settings it results in: an ARG whose value changed makes the
        // same image (only RUN sees ARG values), an ENV that expands one differently does not.
        let key = CacheKey.make(parent: state.image, parts: ["settings", description, Self.canonical(state.config), state.author ?? ""])
        if let cached = try await cached(key) {
            state.image = cached
            return
        }
        let commit = ImageStore.Commit(config: state.config, author: state.author ?? "", createdBy: "/bin/sh -c #(nop)  " + description)
        do {
            let image = try await images.commit(commit, parent: state.image, layer: nil)
            try await images.recordStep(key, image: image.id)
            state.image = image
        } catch {
            throw BuildError("commit: \(error.message)")
        }
    }

    /// The settings as canonical JSON (sorted keys), for cache keys.
    static func canonical(_ config: ImageConfig.Config) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(config)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The cached result of a step, unless the build ignores the cache; reports a hit.
    func cached(_ key: String) async throws(BuildError) -> ImageRecord? {
        guard !builder.request.noCache else { return nil }
        guard let image = try? await images.cachedStep(key) else { return nil }
        report(.usingCache)
        return image
    }
}

/// Content-addressed step identities: the parent image (which stands for everything before)
/// and what the step does.
enum CacheKey {
    static func make(parent: ImageRecord, parts: [String]) -> String {
        var hasher = DigestHasher()
        hasher.update(Array(parent.id.description.utf8) + [0])
        for part in parts { hasher.update(Array(part.utf8) + [0]) }
        return hasher.finalize().description
    }
}
