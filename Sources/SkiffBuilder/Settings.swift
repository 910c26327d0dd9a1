import SkiffBuild
import SkiffOCI
import SkiffRuntime

/// The instructions that change only an image's settings, applied to a stage's state.
enum Settings {
    static func apply(_ kind: Instruction.Kind, to state: inout StageState) throws(BuildError) {
        switch kind {
        case .env(let pairs):
            var env = state.config.env ?? []
            for pair in pairs {
                // A name already set keeps its place, as Docker replaces it.
                let entry = "\(pair.key)=\(pair.value)"
                if let index = env.firstIndex(where: { $0 == pair.key || $0.hasPrefix(pair.key + "=") }) {
                    env[index] = entry
                } else {
                    env.append(entry)
                }
            }
            state.config.env = env
        case .label(let pairs):
            var labels = state.config.labels ?? [:]
            for pair in pairs { labels[pair.key] = pair.value }
            state.config.labels = labels
        case .maintainer(let name):
            state.author = name
        case .expose(let ports):
            var exposed = state.config.exposedPorts ?? [:]
            for port in ports {
                for expanded in try exposedPorts(port) { exposed[expanded] = EmptyObject() }
            }
            state.config.exposedPorts = exposed
        case .volume(let paths):
            var volumes = state.config.volumes ?? [:]
            for path in paths {
                guard !path.isEmpty else { throw BuildError("VOLUME specified can not be an empty string") }
                volumes[path] = EmptyObject()
            }
            state.config.volumes = volumes
        case .user(let user):
            state.config.user = user
        case .cmd(let form):
            state.config.cmd = command(form, state)
            state.cmdSet = true
        case .entrypoint(let form):
            state.config.entrypoint = command(form, state)
            if !state.cmdSet { state.config.cmd = nil }
        case .shell(let shell):
            state.config.shell = shell
        case .stopSignal(let signal):
            guard Signals.parse(signal) != nil else { throw BuildError("Invalid signal: \(signal)") }
            state.config.stopSignal = signal
        case .healthcheck(let check):
            state.config.healthcheck = ImageConfig.Healthcheck(
                test: check.test, interval: check.interval == 0 ? nil : check.interval,
                timeout: check.timeout == 0 ? nil : check.timeout, startPeriod: check.startPeriod == 0 ? nil : check.startPeriod,
                startInterval: check.startInterval == 0 ? nil : check.startInterval, retries: check.retries == 0 ? nil : check.retries)
        case .onbuild(let trigger):
            state.config.onBuild = (state.config.onBuild ?? []) + [trigger]
        case .from, .run, .copy, .add, .workdir, .arg:
            break
        }
    }

    /// The exec form as written; the shell form through the stage's SHELL.
    static func command(_ form: CommandForm, _ state: StageState) -> [String] {
        switch form {
        case .exec(let argv): argv
        case .shell(let text): shell(state) + [text]
        }
    }

    static func shell(_ state: StageState) -> [String] {
        state.config.shell.flatMap { $0.isEmpty ? nil : $0 } ?? ["/bin/sh", "-c"]
    }

    /// `80`, `80/udp`, `8000-8002/tcp` as the image's `ExposedPorts` keys.
    static func exposedPorts(_ spec: String) throws(BuildError) -> [String] {
        let parts = spec.split(separator: "/", maxSplits: 1).map(String.init)
        let proto = parts.count > 1 ? parts[1].lowercased() : "tcp"
        guard ["tcp", "udp", "sctp"].contains(proto), let range = parts.first else {
            throw BuildError("invalid proto: \(parts.count > 1 ? parts[1] : "")")
        }
        let bounds = range.split(separator: "-", maxSplits: 1).map { UInt16($0) }
        guard let low = bounds.first ?? nil, let high = bounds.count > 1 ? bounds[1] : low, low <= high else {
            throw BuildError("invalid containerPort: \(range)")
        }
        return (low...high).map { "\($0)/\(proto)" }
    }
}
