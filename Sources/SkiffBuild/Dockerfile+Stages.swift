// Multi-stage builds as BuildKit resolves them (dockerfile2llb/convert.go):
// the global scope from predefined and meta ARGs; each stage's base (an earlier
// stage of that name, `scratch`, or an image); `COPY --from` (a stage index, a
// stage name, or an image) and `RUN --mount=from=` (a stage name or an image);
// the target and the stages it needs; circular dependencies refused.

/// What a FROM, a `COPY --from` or a `RUN --mount=from=` refers to.
public enum StageSource: Sendable, Hashable {
    /// A stage of this Dockerfile, by index.
    case stage(Int)
    /// An image reference, as written (after expansion for FROM).
    case image(String)
    /// The empty image.
    case scratch
}

/// The stages of a Dockerfile resolved for one build.
public struct StageGraph: Sendable, Equatable {
    /// Each stage's base.
    public var bases: [StageSource]
    /// Each stage's other sources (`COPY --from`, `RUN --mount=from=`), in order, without repeats.
    public var sources: [[StageSource]]
    /// The stage to build (`--target`, or the last).
    public var target: Int
    /// The stages the target needs, itself included, in Dockerfile order; the rest can be skipped.
    public var needed: [Int]
}

extension Dockerfile {
    /// BuildKit's global scope for FROM lines and for ARGs without a default in
    /// stages: the predefined arguments (BUILDPLATFORM, TARGETPLATFORM, ..., which
    /// build arguments of the same name override), then each global ARG in order:
    /// its build argument when given, else its default expanded with the scope so
    /// far; an ARG with neither adds nothing. Build arguments that no ARG declares
    /// are not in scope.
    public func globalScope(buildArguments: [String: String], predefined: [String: String] = [:]) throws(DockerfileError) -> [String: String] {
        var scope: [String: String] = [:]
        for (name, value) in predefined { scope[name] = buildArguments[name] ?? value }
        let lexer = ShellLexer(escape: escape)
        for instruction in globalArguments {
            guard case .arg(let definitions) = instruction.kind else { continue }
            for definition in definitions {
                if let value = buildArguments[definition.name] {
                    scope[definition.name] = value
                } else if let defaultValue = definition.defaultValue {
                    do {
                        scope[definition.name] = try lexer.processWord(defaultValue, scope)
                    } catch {
                        throw DockerfileError(error.message, lines: instruction.lines)
                    }
                }
            }
        }
        return scope
    }

    /// A stage's base: its FROM expanded with the global scope, then an earlier stage
    /// of that exact name (the latest), `scratch`, or an image.
    public func base(ofStage index: Int, globals: [String: String]) throws(DockerfileError) -> StageSource {
        let stage = stages[index]
        let header = Instruction(keyword: "FROM", original: stage.original, lines: stage.lines, kind: .from(stage.from))
        guard case .from(let from) = try header.expanded(globals, escape: escape).kind else { return .scratch }
        if let earlier = stages[..<index].lastIndex(where: { $0.name == from.base }) { return .stage(earlier) }
        return from.base == "scratch" ? .scratch : .image(from.base)
    }

    /// What `COPY --from=<from>` reads: a stage index (which must exist), a stage name
    /// (case-insensitive; the last stage of that name), or an image. Variables are refused.
    public func copySource(_ from: String) throws(DockerfileError) -> StageSource {
        let expanded: String
        do {
            expanded = try ShellLexer(escape: escape).processWord(from, [String: String]())
        } catch {
            throw DockerfileError(error.message, lines: nil)
        }
        if expanded != from {
            throw DockerfileError(
                "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
                lines: nil)
        }
        if let index = GoText.atoi(from) {
            guard stages.indices.contains(index) else { throw DockerfileError("invalid stage index \(index)", lines: nil) }
            return .stage(index)
        }
        return mountSource(from)
    }

    /// What `RUN --mount=from=<from>` reads: a stage by name (case-insensitive) or an image.
    public func mountSource(_ from: String) -> StageSource {
        let name = from.lowercased()
        if let stage = stages.lastIndex(where: { $0.name == name }) { return .stage(stage) }
        return from == "scratch" ? .scratch : .image(from)
    }

    /// The stage `--target` names (case-insensitive; nil or empty: the last stage).
    public func targetStage(_ target: String?) throws(DockerfileError) -> Int {
        guard let target, !target.isEmpty else { return stages.count - 1 }
        let name = target.lowercased()
        guard let index = stages.lastIndex(where: { $0.name == name }) else {
            let names = stages.map { $0.name ?? "stage-\($0.index)" }
            throw DockerfileError(
                Suggestion.wrap("target stage \(GoText.quote(target)) could not be found", value: target, options: names, caseSensitive: true),
                lines: nil)
        }
        return index
    }

    /// Every stage's base and sources, the target, and the stages it needs. As in
    /// BuildKit, all stages are checked (bases expand, `--from`s resolve), not only the
    /// needed ones, and a stage that depends on itself through any chain is refused.
    public func stageGraph(target: String?, globals: [String: String]) throws(DockerfileError) -> StageGraph {
        var bases: [StageSource] = []
        for index in stages.indices { bases.append(try base(ofStage: index, globals: globals)) }
        let targetIndex = try targetStage(target)
        var sources: [[StageSource]] = []
        for stage in stages {
            var stageSources: [StageSource] = []
            func add(_ source: StageSource) {
                if !stageSources.contains(source) { stageSources.append(source) }
            }
            for instruction in stage.instructions {
                switch instruction.kind {
                case .copy(let copy):
                    guard let from = copy.from else { continue }
                    do {
                        add(try copySource(from))
                    } catch {
                        throw DockerfileError(error.message, lines: instruction.lines)
                    }
                case .run(let run):
                    for from in run.mountSources { if let from { add(mountSource(from)) } }
                default:
                    continue
                }
            }
            sources.append(stageSources)
        }

        // Edges between stages: the base and the sources.
        let edges = stages.indices.map { index in
            ([bases[index]] + sources[index]).compactMap { source -> Int? in
                if case .stage(let other) = source { return other }
                return nil
            }
        }
        try Self.refuseCycles(edges, names: stages.map { $0.name ?? "stage-\($0.index)" })

        var needed: Set<Int> = []
        var pending = [targetIndex]
        while let index = pending.popLast() {
            if needed.insert(index).inserted { pending += edges[index] }
        }
        return StageGraph(bases: bases, sources: sources, target: targetIndex, needed: needed.sorted())
    }

    /// `circular dependency detected on stage: <name>`, naming the first stage (in
    /// order) from which a cycle can be reached. Iterative depth-first search.
    static func refuseCycles(_ edges: [[Int]], names: [String]) throws(DockerfileError) {
        enum Mark { case unvisited, onPath, done }
        var marks = Array(repeating: Mark.unvisited, count: edges.count)
        for start in edges.indices where marks[start] == .unvisited {
            var stack: [(node: Int, next: Int)] = [(start, 0)]
            marks[start] = .onPath
            while let (node, next) = stack.last {
                guard next < edges[node].count else {
                    marks[node] = .done
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let dependency = edges[node][next]
                switch marks[dependency] {
                case .onPath:
                    throw DockerfileError("circular dependency detected on stage: \(names[start])", lines: nil)
                case .unvisited:
                    marks[dependency] = .onPath
                    stack.append((dependency, 0))
                case .done:
                    break
                }
            }
        }
    }
}
