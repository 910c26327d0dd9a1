import Glibc
import SkiffArchive
import SkiffBuild
import SkiffEngine
import SkiffImage
import SkiffSystem

extension StageRunner {
    /// RUN: the command in a container of the stage's image (its ARGs in the environment, its
    /// `--mount`s in place), its changes committed as a layer.
    func run(_ run: Run, instruction: Instruction, state: inout StageState, finished: [Int: StageState]) async throws(BuildError) {
        let argv = command(run.command, heredocs: instruction.heredocs, state: state)
        let arguments = state.argumentEnvironment
        let network: String = switch run.network {
        case .none: "none"
        case .host: "host"
        case .default: builder.request.networkMode
        }
        let mounts: [RunMount]
        do {
            mounts = try instruction.mounts(expanding: state.scope, escape: plan.dockerfile.escape)
        } catch {
            throw BuildError(error.description)
        }
        let prepared = try await prepareMounts(mounts, state: state, finished: finished)
        do throws(BuildError) {
            try await runCommand(argv, arguments: arguments, network: network, mounts: prepared, state: &state)
        } catch {
            await release(prepared)
            throw error
        }
        await release(prepared)
    }

    private func runCommand(_ argv: [String], arguments: [String], network: String, mounts prepared: PreparedMounts, state: inout StageState) async throws(BuildError) {

        let key = CacheKey.make(parent: state.image, parts: ["run"] + argv + ["env"] + arguments + ["net", network] + prepared.keyParts)
        if let cached = try await cached(key) {
            state.image = cached
            return
        }
        let createdBy = (arguments.isEmpty ? "" : "|\(arguments.count) " + arguments.joined(separator: " ") + " ") + argv.joined(separator: " ")
        let proxies = builder.request.buildArguments.filter { Builder.proxyArguments.contains($0.key) }.map { "\($0.key)=\($0.value)" }.sorted()
        let settings = state.config
        var current = state
        try await withContainer(image: state.image, command: argv, configure: { config in
            config.env = arguments + proxies
            config.user = settings.user
            config.workingDir = settings.workingDir
            config.networkMode = network
            config.mounts = prepared.requests
        }) { (id: String) async throws(BuildError) in
            report(.runningIn(containerID: id))
            let exit: ContainerState
            do throws(EngineError) {
                let attachment = try await engine.attach(id, stdin: false, stdout: true, stderr: true)
                let exited = try await engine.waiting(id, condition: .nextExit)
                try await engine.start(id)
                if let connection = await attachment.value() {
                    for await frame in connection.frames() { report(.output(frame.payload)) }
                    connection.close()
                }
                // The client went away: the container goes with `withContainer`'s forced removal.
                if Task.isCancelled { throw EngineError(.system, "the build was cancelled") }
                exit = await exited.value()
            } catch {
                throw BuildError(error.message)
            }
            guard exit.exitCode == 0 else {
                report(.removedContainer(containerID: id))
                let shown = argv.count > 1 && Settings.shell(current) == Array(argv.dropLast()) ? argv.joined(separator: " ") : "[" + argv.map { "\"\($0)\"" }.joined(separator: " ") + "]"
                throw BuildError("The command '\(shown)' returned a non-zero code: \(exit.exitCode)", exitCode: exit.exitCode)
            }
            try await commit(id, state: &current, createdBy: createdBy, key: key)
            report(.removedContainer(containerID: id))
        }
        state = current
    }

    /// The argv of a RUN: exec form as written; shell form through SHELL. A command that is
    /// nothing but one heredoc runs the heredoc's text as the script; otherwise the heredoc
    /// bodies follow the command line for the shell to read, as BuildKit runs them.
    func command(_ form: CommandForm, heredocs: [Heredoc], state: StageState) -> [String] {
        guard case .shell(let text) = form else { return Settings.command(form, state) }
        guard !heredocs.isEmpty else { return Settings.shell(state) + [text] }
        let trimmed = text.trimmingCharacters(in: " \t")
        if heredocs.count == 1, let heredoc = heredocs.first, trimmed.hasPrefix("<<"),
           !trimmed.dropFirst(2).contains(where: { $0 == " " || $0 == "\t" }) {
            return Settings.shell(state) + [heredoc.body]
        }
        var script = text
        for heredoc in heredocs { script += "\n" + heredoc.content + heredoc.name }
        return Settings.shell(state) + [script]
    }
}

extension String {
    /// The string without leading and trailing characters of `set`.
    func trimmingCharacters(in set: String) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !set.unicodeScalars.contains($0) }),
              let last = scalars.lastIndex(where: { !set.unicodeScalars.contains($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
