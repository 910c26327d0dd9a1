import ArgumentParser
import Foundation
import SkiffCLI
import SkiffCompose

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Execute a command in a running container")
    var project: ProjectOptions { .current }
    @Flag(name: [.short, .customLong("detach")], help: "Detached mode: Run command in the background") var detach = false
    @Flag(name: [.customShort("T"), .customLong("no-TTY")], help: "Disable pseudo-TTY allocation. By default a TTY is allocated when the input is a terminal") var noTTY = false
    @Option(name: [.short, .customLong("env")], help: "Set environment variables") var env: [String] = []
    @Option(name: [.short, .customLong("user")], help: "Run the command as this user") var user: String?
    @Option(name: [.short, .customLong("workdir")], help: "Path to workdir directory for this command") var workdir: String?
    @Option(name: .customLong("index"), help: "Index of the container if service has multiple replicas") var index = 1
    @Flag(name: .customLong("privileged"), help: "Give extended privileges to the process") var privileged = false
    @Argument var service: String
    @Argument(parsing: .captureForPassthrough) var command: [String] = []

    func run() throws {
        var status: Int32 = 0
        try Failure.report {
            guard !command.isEmpty else { throw ComposeFailure("exec requires a command") }
            let (_, containers) = try selectContainers(project, [service], all: false)
            guard let c = containers.first(where: { $0.number == index }) else {
                throw ComposeFailure("service \"\(service)\" is not running")
            }
            var argv = ["exec"]
            if detach { argv.append("-d") } else { argv.append("-i") }
            if !noTTY && !detach && Console.stdinIsTerminal { argv.append("-t") }
            for e in env { argv += ["-e", e] }
            if let user { argv += ["-u", user] }
            if let workdir { argv += ["-w", workdir] }
            if privileged { argv.append("--privileged") }
            status = SkiffCLI.main(project.skiffPrefix + argv + [c.id] + command)
        }
        if status != 0 { throw ExitCode(status) }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a one-off command on a service")
    var project: ProjectOptions { .current }
    @Flag(name: [.short, .customLong("detach")], help: "Run container in background and print container ID") var detach = false
    @Flag(name: .customLong("rm"), help: "Automatically remove the container when it exits") var rm = false
    @Option(name: .customLong("name"), help: "Assign a name to the container") var name: String?
    @Option(name: .customLong("entrypoint"), help: "Override the entrypoint of the image") var entrypoint: String?
    @Option(name: [.short, .customLong("env")], help: "Set environment variables") var env: [String] = []
    @Option(name: [.short, .customLong("label")], help: "Add or override a label") var label: [String] = []
    @Option(name: [.short, .customLong("user")], help: "Run as specified username or uid") var user: String?
    @Option(name: [.short, .customLong("workdir")], help: "Working directory inside the container") var workdir: String?
    @Option(name: [.short, .customLong("volume")], help: "Bind mount a volume") var volume: [String] = []
    @Option(name: [.short, .customLong("publish")], help: "Publish a container's port(s) to the host") var publish: [String] = []
    @Flag(name: [.customShort("T"), .customLong("no-TTY")], help: "Disable pseudo-TTY allocation (default: auto-detected)") var noTTY = false
    @Flag(name: [.short, .customLong("interactive")], inversion: .prefixedNo, help: "Keep STDIN open even if not attached") var interactive = true
    @Flag(name: .customLong("no-deps"), help: "Don't start linked services") var noDeps = false
    @Flag(name: .customLong("service-ports"), help: "Run command with all service's ports enabled and mapped to the host") var servicePorts = false
    @Flag(name: .customLong("build"), help: "Build image before starting container") var build = false
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers for services not defined in the Compose file") var removeOrphans = false
    @Argument var service: String
    @Argument(parsing: .captureForPassthrough) var command: [String] = []

    func run() throws {
        var status: Int32 = 0
        try Failure.report {
            let spec = try project.load(services: [service])
            guard var target = spec.service(service) else { throw ComposeFailure("no such service: \(service)") }
            let daemon = project.daemon()
            let dependencies = noDeps ? [] : try spec.startOrder(target.dependsOn.map(\.service).filter { spec.service($0) != nil })
            try Resources(daemon: daemon, project: spec).ensureNetworks(for: dependencies + [target])
            try Resources(daemon: daemon, project: spec).ensureVolumes(for: dependencies + [target])
            let images = ImageProvider(daemon: daemon, project: spec, options: project)
            try images.pullMissing(dependencies + [target])
            try images.build(dependencies + [target], force: build)
            if !dependencies.isEmpty {
                var converge = Converge(daemon: daemon, project: spec)
                converge.recreate = .never
                try converge.run(dependencies)
            }
            try Converge(daemon: daemon, project: spec).waitForDependencies(of: target)
            if !publish.isEmpty {
                target.ports = try publish.map { try PortSpec(publishFlag: $0) }
            }
            let imageName = ContainerBody.imageName(spec, target)
            guard let imageID = try daemon.imageID(imageName) else { throw ComposeFailure("image \(imageName) not found") }
            let tty = !noTTY && !detach && Console.stdinIsTerminal
            let suffix = String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))
            let containerName = name ?? "\(spec.name)-\(target.name)-run-\(suffix)"
            let body = try ContainerBody(project: spec, service: target).make(
                number: 1, oneoff: true, imageID: imageID,
                command: command.isEmpty ? nil : command,
                entrypoint: entrypoint.map { $0.isEmpty ? [] : [$0] },
                extraEnv: env, user: user, workdir: workdir, tty: tty, stdin: detach ? false : interactive,
                publishPorts: servicePorts || !publish.isEmpty,
                extraVolumes: volume, extraLabels: label.map { l in
                    let p = l.split(separator: "=", maxSplits: 1).map(String.init)
                    return (p[0], p.count > 1 ? p[1] : "")
                } + [("com.docker.compose.slug", suffix)],
                serviceContainer: { s in
                    guard let c = try daemon.containers(project: spec.name, services: [s]).first(where: \.isRunning) else {
                        throw ComposeFailure("service \(s) has no running container")
                    }
                    return c.id
                })
            _ = try daemon.json("POST", "/containers/create", query: [("name", containerName)], body: body)
            if let tar = try ContainerBody(project: spec, service: target).injectedFiles() {
                try daemon.putArchive(containerName, path: "/", tar: tar)
            }
            if detach {
                try daemon.call("POST", "/containers/\(containerName)/start")
                Console.out(containerName)
                return
            }
            status = SkiffCLI.main(project.skiffPrefix + ["start", "-a"] + (interactive ? ["-i"] : []) + [containerName])
            if rm { try? daemon.call("DELETE", "/containers/\(containerName)", query: [("force", "1"), ("v", "1")]) }
        }
        if status != 0 { throw ExitCode(status) }
    }
}

extension PortSpec {
    /// `-p [IP:][HOST:]CONTAINER[/PROTO]` of `compose run`.
    init(publishFlag text: String) throws {
        var body = text
        var proto = "tcp"
        if let slash = body.lastIndex(of: "/") {
            proto = String(body[body.index(after: slash)...])
            body = String(body[..<slash])
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let target = Int(parts.last ?? ""), parts.count <= 3 else { throw ComposeFailure("invalid port \(text)") }
        self.init(target: target)
        self.proto = proto
        if parts.count >= 2 { published = parts[parts.count - 2].isEmpty ? nil : parts[parts.count - 2] }
        if parts.count == 3 { hostIP = parts[0] }
    }
}

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Build or rebuild services")
    var project: ProjectOptions { .current }
    @Option(name: .customLong("build-arg"), help: "Set build-time variables for services") var buildArg: [String] = []
    @Flag(name: .customLong("no-cache"), help: "Do not use cache when building the image") var noCache = false
    @Flag(name: .customLong("pull"), help: "Always attempt to pull a newer version of the image") var pull = false
    @Flag(name: [.short, .customLong("quiet")], help: "Don't print anything to STDOUT") var quiet = false
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let spec = try project.load(services: services)
            let targets = try services.isEmpty ? spec.services : services.map { n in
                guard let s = spec.service(n) else { throw ComposeFailure("no such service: \(n)") }
                return s
            }
            try ImageProvider(daemon: project.daemon(), project: spec, options: project)
                .build(targets, force: true, noCache: noCache, pull: pull, args: buildArg, quiet: quiet)
        }
    }
}

struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pull service images")
    var project: ProjectOptions { .current }
    @Flag(name: [.short, .customLong("quiet")], help: "Pull without printing progress information") var quiet = false
    @Flag(name: .customLong("ignore-pull-failures"), help: "Pull what it can and ignores images with pull failures") var ignoreFailures = false
    @Flag(name: .customLong("ignore-buildable"), help: "Ignore images that can be built") var ignoreBuildable = false
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let spec = try project.load(services: services)
            let provider = ImageProvider(daemon: project.daemon(), project: spec, options: project)
            for s in spec.services where services.isEmpty || services.contains(s.name) {
                guard let image = s.image else { continue }
                if ignoreBuildable && s.build != nil { continue }
                do {
                    try provider.pull(image, service: s.name, quiet: quiet)
                } catch where ignoreFailures || s.build != nil {
                    Console.warn("\(s.name): \(Failure.describe(error))")
                }
            }
        }
    }
}

struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Push service images")
    var project: ProjectOptions { .current }
    @Flag(name: .customLong("ignore-push-failures"), help: "Push what it can and ignores images with push failures") var ignoreFailures = false
    @Flag(name: [.short, .customLong("quiet")], help: "Push without printing progress information") var quiet = false
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let spec = try project.load(services: services)
            for s in spec.services where services.isEmpty || services.contains(s.name) {
                guard let image = s.image else { continue }
                Console.event("Image", image, "Pushing")
                do {
                    try runSkiff(project, ["push"] + (quiet ? ["-q"] : []) + [image])
                    Console.event("Image", image, "Pushed")
                } catch where ignoreFailures {
                    Console.warn("\(s.name): push of \(image) failed")
                }
            }
        }
    }
}

struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Parse, resolve and render compose file in canonical format")
    var project: ProjectOptions { .current }
    @Flag(name: [.short, .customLong("quiet")], help: "Only validate the configuration, don't print anything") var quiet = false
    @Flag(name: .customLong("services"), help: "Print the service names, one per line") var servicesOnly = false
    @Flag(name: .customLong("volumes"), help: "Print the volume names, one per line") var volumesOnly = false
    @Flag(name: .customLong("networks"), help: "Print the network names, one per line") var networksOnly = false
    @Flag(name: .customLong("images"), help: "Print the image names, one per line") var imagesOnly = false
    @Flag(name: .customLong("profiles"), help: "Print the profile names, one per line") var profilesOnly = false
    @Option(name: .customLong("hash"), help: "Print the service config hash, one per line (\"*\" for all)") var hash: String?
    @Option(name: .customLong("format"), help: "Format the output. Values: [yaml | json]") var format = "yaml"
    @Option(name: [.short, .customLong("output")], help: "Save to file (default to stdout)") var output: String?
    @Argument var services: [String] = []

    func run() throws {
        try Failure.report {
            let spec = try project.load(services: services)
            if quiet { return }
            var lines: [String]?
            if servicesOnly { lines = spec.services.map(\.name) }
            if volumesOnly { lines = spec.volumes.keys.sorted() }
            if networksOnly { lines = spec.networks.keys.sorted() }
            if imagesOnly { lines = spec.services.map { ContainerBody.imageName(spec, $0) } }
            if profilesOnly { lines = Set(spec.services.flatMap(\.profiles)).sorted() }
            if let hash {
                lines = spec.services.filter { hash == "*" || hash.split(separator: ",").contains(Substring($0.name)) }
                    .map { "\($0.name) \(ContainerBody.configHash($0))" }
            }
            let text: String
            if let lines {
                text = lines.map { $0 + "\n" }.joined()
            } else if format == "json" {
                text = String(decoding: JSON.reformat(Array(toJSON(spec.model).compact.utf8), indent: "    "), as: UTF8.self) + "\n"
            } else {
                text = spec.model.yaml()
            }
            if let output {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
            } else {
                Console.write(1, text)
            }
        }
    }

    private func toJSON(_ v: ComposeValue) -> JSON {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .number(i)
        case .double(let d): return .number(String(d))
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(toJSON))
        case .mapping(let m): return .object(JSONObject(m.entries.map { ($0.key, toJSON($0.value)) }))
        }
    }
}
