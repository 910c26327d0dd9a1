// Variable substitution per instruction, as BuildKit applies it at dispatch
// (dockerfile2llb/convert.go `dispatch`, `dispatchArg`, `dispatchExpose`):
//
// - ENV, LABEL: keys and values, each one word (quotes removed, spaces kept).
//   Every pair sees the variables from before the instruction.
// - ADD, COPY: `--chown`, `--chmod`, `--checksum` (ADD), sources and destination,
//   each one word; `--from` and `--exclude` are not expanded. Heredoc sources
//   whose delimiter was not quoted: `$` expansions and escapes only, quotes kept.
// - WORKDIR, USER, STOPSIGNAL, each VOLUME: one word.
// - EXPOSE: each port split into words after substitution.
// - ARG: the default value, one word (the name is not expanded).
// - FROM: base and `--platform`, with the global scope only.
// - RUN: its `--mount` values (see `mounts(expanding:escape:)`); the command itself
//   and heredoc bodies are the shell's business.
// - CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER, ONBUILD: nothing.

extension Instruction {
    /// The instruction with variables substituted from `variables` (the stage's ARGs
    /// and ENVs so far; the global scope for FROM), `escape` being the Dockerfile's.
    public func expanded(_ variables: some VariableLookup, escape: Unicode.Scalar = "\\") throws(DockerfileError) -> Instruction {
        let lexer = ShellLexer(escape: escape)
        func word(_ text: String) throws(DockerfileError) -> String {
            do {
                return try lexer.processWord(text, variables)
            } catch {
                throw DockerfileError(error.message, lines: lines)
            }
        }
        func optionalWord(_ text: String?) throws(DockerfileError) -> String? {
            let expanded = try word(text ?? "")
            return expanded.isEmpty ? nil : expanded
        }
        func paths(_ sources: [CopySource]) throws(DockerfileError) -> [CopySource] {
            var result: [CopySource] = []
            for source in sources {
                if case .path(let path) = source { result.append(.path(try word(path))) } else { result.append(source) }
            }
            return result
        }
        func inlineFiles(_ sources: [CopySource]) throws(DockerfileError) -> [CopySource] {
            var raw = ShellLexer()
            raw.skipProcessQuotes = true
            var result: [CopySource] = []
            for source in sources {
                guard case .inline(var file) = source, file.expand else {
                    result.append(source)
                    continue
                }
                do {
                    file.data = try raw.processWord(file.data, variables)
                } catch {
                    throw DockerfileError(error.message, lines: lines)
                }
                result.append(.inline(file))
            }
            return result
        }

        var copy = self
        switch kind {
        case .env(let pairs):
            var expanded: [KeyValue] = []
            for pair in pairs { expanded.append(KeyValue(try word(pair.key), try word(pair.value))) }
            copy.kind = .env(expanded)
        case .label(let pairs):
            var expanded: [KeyValue] = []
            for pair in pairs { expanded.append(KeyValue(try word(pair.key), try word(pair.value))) }
            copy.kind = .label(expanded)
        case .add(var add):
            add.chown = try optionalWord(add.chown)
            add.chmod = try optionalWord(add.chmod)
            add.checksum = try optionalWord(add.checksum)
            add.sources = try paths(add.sources)
            add.destination = try word(add.destination)
            add.sources = try inlineFiles(add.sources)
            copy.kind = .add(add)
        case .copy(var value):
            value.chown = try optionalWord(value.chown)
            value.chmod = try optionalWord(value.chmod)
            value.sources = try paths(value.sources)
            value.destination = try word(value.destination)
            value.sources = try inlineFiles(value.sources)
            copy.kind = .copy(value)
        case .workdir(let path):
            copy.kind = .workdir(try word(path))
        case .user(let user):
            copy.kind = .user(try word(user))
        case .stopSignal(let signal):
            copy.kind = .stopSignal(try word(signal))
        case .volume(let volumes):
            var expanded: [String] = []
            for volume in volumes { expanded.append(try word(volume)) }
            copy.kind = .volume(expanded)
        case .expose(let ports):
            var expanded: [String] = []
            for port in ports {
                do {
                    expanded += try lexer.processWords(port, variables)
                } catch {
                    throw DockerfileError(error.message, lines: lines)
                }
            }
            copy.kind = .expose(expanded)
        case .arg(let definitions):
            var expanded: [ArgDefinition] = []
            for definition in definitions {
                expanded.append(ArgDefinition(definition.name, try definition.defaultValue.map { value throws(DockerfileError) in try word(value) }))
            }
            copy.kind = .arg(expanded)
        case .from(var from):
            let base = try word(from.base)
            if base.isEmpty {
                throw DockerfileError("base name (\(from.base)) should not be blank", lines: lines)
            }
            if let platform = from.platform {
                let expanded: String
                do {
                    expanded = try lexer.processWord(platform, variables)
                } catch {
                    throw DockerfileError("failed to process arguments for platform : \(error.message)", lines: lines)
                }
                if expanded.isEmpty {
                    throw DockerfileError("empty platform value from expression \(platform)", lines: lines)
                }
                from.platform = expanded
            }
            from.base = base
            copy.kind = .from(from)
        case .run, .cmd, .entrypoint, .shell, .maintainer, .onbuild, .healthcheck:
            break
        }
        return copy
    }

    /// RUN's `--mount`s typed, each value expanded with `variables` first (as BuildKit
    /// does at dispatch); empty for other instructions.
    public func mounts(expanding variables: some VariableLookup, escape: Unicode.Scalar = "\\") throws(DockerfileError) -> [RunMount] {
        guard case .run(let run) = kind else { return [] }
        let lexer = ShellLexer(escape: escape)
        func expand(_ value: String) throws(DockerfileError) -> String {
            do {
                return try lexer.processWord(value, variables)
            } catch {
                throw DockerfileError(error.message, lines: nil)
            }
        }
        var mounts: [RunMount] = []
        for spec in run.mounts {
            do {
                mounts.append(try RunMount.parse(spec, expand: expand))
            } catch {
                throw DockerfileError(error.message, lines: lines)
            }
        }
        return mounts
    }
}

extension Run {
    /// The `from=` of each `--mount` as written, nil where none: what BuildKit resolves
    /// stage dependencies from (before any expansion).
    public var mountSources: [String?] {
        mounts.map { (try? RunMount.parse($0, expand: nil))?.from }
    }
}
