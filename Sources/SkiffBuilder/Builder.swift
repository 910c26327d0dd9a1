import Glibc
import SkiffArchive
import SkiffBuild
import SkiffEngine
import SkiffImage
import SkiffOCI
import Synchronization

/// Builds an image from a Dockerfile and its context, the classic builder's way: every step
/// commits an image (its parent the step before), RUN, COPY, ADD and WORKDIR through a
/// container of the engine, each step's result recorded under a cache key. Beyond the classic
/// builder: only the stages the target needs are built, independent stages at the same time,
/// and `RUN --mount` (bind, cache, tmpfs) works.
public struct Builder: Sendable {
    let engine: Engine
    let request: BuildRequest
    let report: @Sendable (BuildEvent) -> Void

    /// `report` gets the build's progress as it happens (from several tasks when stages run
    /// side by side; each call is one whole event).
    public init(engine: Engine, request: BuildRequest, report: @escaping @Sendable (BuildEvent) -> Void) {
        self.engine = engine
        self.request = request
        self.report = report
    }

    /// Build arguments every build knows without an ARG: proxies, usable by RUN, never
    /// recorded in the image.
    static let proxyArguments: Set<String> = [
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
        "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    ]

    /// BuildKit's platform arguments, this machine's platform for both build and target.
    static var platformArguments: [String: String] {
        let here = Platform.current
        let platform = "\(here.os)/\(here.architecture)" + (here.variant.map { "/" + $0 } ?? "")
        return [
            "BUILDPLATFORM": platform, "BUILDOS": here.os, "BUILDARCH": here.architecture, "BUILDVARIANT": here.variant ?? "",
            "TARGETPLATFORM": platform, "TARGETOS": here.os, "TARGETARCH": here.architecture, "TARGETVARIANT": here.variant ?? "",
        ]
    }

    /// Runs the build; returns the image, named as asked.
    public func build() async throws(BuildError) -> ImageRecord {
        let context = try BuildContext(directory: request.contextDirectory, dockerfile: request.dockerfile)
        if context.dockerfileBytes.isEmpty {
            throw BuildError("the Dockerfile (\(request.dockerfile)) cannot be empty")
        }
        let dockerfile: Dockerfile
        do {
            dockerfile = try Dockerfile(parsing: context.dockerfileBytes)
        } catch {
            throw BuildError(error.description)
        }
        let globals: [String: String]
        let graph: StageGraph
        do {
            globals = try dockerfile.globalScope(buildArguments: request.buildArguments, predefined: Self.platformArguments)
            graph = try dockerfile.stageGraph(target: request.target, globals: globals)
        } catch {
            throw BuildError(error.description)
        }

        // Steps are numbered over the stages built, in Dockerfile order; --label adds one.
        var firstStep: [Int: Int] = [:]
        var total = 0
        for index in graph.needed {
            firstStep[index] = total + 1
            total += 1 + dockerfile.stages[index].instructions.count
        }
        let labelStep = request.labels.isEmpty ? nil : total + 1
        if labelStep != nil { total += 1 }

        let plan = StagePlan(dockerfile: dockerfile, graph: graph, globals: globals, context: context, total: total, firstStep: firstStep)
        var results = try await buildStages(plan)
        var image = results[graph.target]!.image
        if let labelStep {
            var stage = results[graph.target]!
            let pairs = request.labels.sorted { $0.key < $1.key }
            let text = "LABEL " + pairs.map { "\($0.key)=\(Self.quoted($0.value))" }.joined(separator: " ")
            report(.step(number: labelStep, total: total, instruction: text))
            let runner = StageRunner(builder: self, plan: plan, index: graph.target)
            for (key, value) in pairs {
                if stage.config.labels == nil { stage.config.labels = [:] }
                stage.config.labels![key] = value
            }
            try await runner.commitSettings(&stage, description: text)
            results[graph.target] = stage
            image = stage.image
        }

        for tag in request.tags {
            do {
                try await engine.images.tag(image, as: tag)
            } catch {
                throw BuildError("tag \(tag): \(error.message)")
            }
        }
        let given = Set(request.buildArguments.keys).union(request.namedArguments)
        let unused = given.subtracting(plan.consumedArguments.value).subtracting(Self.proxyArguments)
        if !unused.isEmpty {
            report(.message("[Warning] One or more build-args [\(unused.sorted().joined(separator: " "))] were not consumed\n"))
        }
        report(.built(id: image.id.description))
        for tag in request.tags { report(.tagged(name: Self.withDefaultTag(tag))) }
        return image
    }

    /// Every stage the target needs, each as soon as the stages it reads from are done.
    private func buildStages(_ plan: StagePlan) async throws(BuildError) -> [Int: StageState] {
        let graph = plan.graph
        func dependencies(_ index: Int) -> [Int] {
            ([graph.bases[index]] + graph.sources[index]).compactMap { source in
                if case .stage(let other) = source { return other }
                return nil
            }
        }
        do {
            return try await withThrowingTaskGroup(of: (Int, StageState).self) { group in
                var results: [Int: StageState] = [:]
                var started: Set<Int> = []
                func startReady() {
                    for index in graph.needed where !started.contains(index) && dependencies(index).allSatisfy({ results[$0] != nil }) {
                        started.insert(index)
                        let done = results
                        group.addTask {
                            let runner = StageRunner(builder: self, plan: plan, index: index)
                            return (index, try await runner.run(finished: done))
                        }
                    }
                }
                startReady()
                while let (index, state) = try await group.next() {
                    results[index] = state
                    startReady()
                }
                return results
            }
        } catch let error as BuildError {
            throw error
        } catch {
            throw BuildError("\(error)")
        }
    }

    /// `name` with `:latest` when it has neither tag nor digest, as the classic builder reports it.
    static func withDefaultTag(_ name: String) -> String {
        let last = name.split(separator: "/").last ?? ""
        return last.contains(":") || name.contains("@") ? name : name + ":latest"
    }

    /// A value as LABEL shows it: quoted when it has spaces or quotes.
    static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "\\" || $0 == "\t" }) else { return value }
        var quoted = "\""
        for character in value {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }
}

/// What every stage of one build shares.
struct StagePlan: Sendable {
    let dockerfile: Dockerfile
    let graph: StageGraph
    let globals: [String: String]
    let context: BuildContext
    let total: Int
    let firstStep: [Int: Int]
    /// The build arguments some ARG declared (for the "not consumed" warning).
    let consumedArguments = SharedSet()
}

/// A set several stage tasks add to.
final class SharedSet: Sendable {
    private let values = Mutex<Set<String>>([])

    func insert(_ value: String) {
        values.withLock { _ = $0.insert(value) }
    }

    var value: Set<String> { values.withLock { $0 } }
}
