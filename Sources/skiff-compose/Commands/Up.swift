import ArgumentParser
import Foundation
import SkiffCLI
import SkiffCompose

/// `skiff compose up`: networks, volumes, images, then containers in dependency order;
/// attached, it follows their logs until they exit or Ctrl-C stops them.
struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create and start containers")

    var project: ProjectOptions { .current }
    @Flag(name: [.short, .customLong("detach")], help: "Detached mode: Run containers in the background") var detach = false
    @Flag(name: .customLong("build"), help: "Build images before starting containers") var build = false
    @Flag(name: .customLong("no-build"), help: "Don't build an image, even if it's policy") var noBuild = false
    @Flag(name: .customLong("force-recreate"), help: "Recreate containers even if their configuration and image haven't changed") var forceRecreate = false
    @Flag(name: .customLong("no-recreate"), help: "If containers already exist, don't recreate them") var noRecreate = false
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers for services not defined in the Compose file") var removeOrphans = false
    @Flag(name: .customLong("wait"), help: "Wait for services to be running|healthy. Implies detached mode") var wait = false
    @Option(name: .customLong("wait-timeout"), help: "Maximum duration in seconds to wait for the project to be running|healthy") var waitTimeout: Int?
    @Option(name: .customLong("scale"), help: "Scale SERVICE to NUM instances (SERVICE=NUM)") var scale: [String] = []
    @Flag(name: .customLong("no-deps"), help: "Don't start linked services") var noDeps = false
    @Flag(name: .customLong("no-start"), help: "Don't start the services after creating them") var noStart = false
    @Option(name: .customLong("pull"), help: "Pull image before running (\"always\"|\"missing\"|\"never\")") var pull: String?
    @Flag(name: .customLong("abort-on-container-exit"), help: "Stops all containers if any container was stopped") var abortOnExit = false
    @Option(name: [.short, .customLong("timeout")], help: "Use this timeout in seconds for container shutdown") var timeout: Int?
    @Flag(name: .customLong("no-color"), help: "Produce monochrome output") var noColor = false
    @Flag(name: .customLong("no-log-prefix"), help: "Don't print prefix in logs") var noLogPrefix = false
    @Flag(name: .customLong("quiet-pull"), help: "Pull without printing progress information") var quietPull = false
    @Argument(help: "Services") var services: [String] = []

    func run() throws {
        try Failure.report {
            if forceRecreate && noRecreate { throw ComposeFailure("--force-recreate and --no-recreate are incompatible") }
            let spec = try project.load(services: services)
            let daemon = project.daemon()
            var scales: [String: Int] = [:]
            for s in scale {
                let parts = s.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let n = Int(parts[1]), n >= 0 else { throw ComposeFailure("invalid --scale value \(s): expected SERVICE=NUM") }
                guard spec.service(parts[0]) != nil else { throw ComposeFailure("no such service: \(parts[0])") }
                scales[parts[0]] = n
            }
            let targets = noDeps ? try services.map { name -> ServiceSpec in
                guard let s = spec.service(name) else { throw ComposeFailure("no such service: \(name)") }
                return s
            } : try spec.startOrder(services.isEmpty ? nil : services)

            try handleOrphans(spec, daemon)
            try Resources(daemon: daemon, project: spec).ensureNetworks(for: targets)
            try Resources(daemon: daemon, project: spec).ensureVolumes(for: targets)
            let images = ImageProvider(daemon: daemon, project: spec, options: project)
            try images.pullMissing(targets, policy: pull)
            if !noBuild { try images.build(targets, force: build) }

            var converge = Converge(daemon: daemon, project: spec)
            converge.recreate = forceRecreate ? .always : noRecreate ? .never : .diverged
            converge.start = !noStart
            converge.scale = scales
            converge.stopTimeout = timeout
            try converge.run(targets)
            if noStart { return }

            if wait {
                let deadline = waitTimeout.map { Date().addingTimeInterval(TimeInterval($0)) }
                for c in try daemon.containers(project: spec.name, services: targets.map(\.name)) {
                    Console.event("Container", c.name, "Waiting")
                    try Waiter(daemon: daemon).running(c.id, name: c.name, deadline: deadline)
                    Console.event("Container", c.name, "Healthy")
                }
                return
            }
            if detach { return }
            try attach(spec, daemon, targets)
        }
    }

    private func handleOrphans(_ spec: ProjectSpec, _ daemon: DaemonConnection) throws {
        let known = Set(spec.services.map(\.name))
        let orphans = try daemon.containers(project: spec.name).filter { !known.contains($0.service) }
        guard !orphans.isEmpty else { return }
        if removeOrphans {
            var converge = Converge(daemon: daemon, project: spec)
            converge.stopTimeout = timeout
            for c in orphans { try converge.removeContainer(c, stop: true) }
        } else {
            Console.warn("Found orphan containers (\(orphans.map(\.name).joined(separator: ", "))) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.")
        }
    }

    /// Follows the services' logs until every container has exited; the first Ctrl-C stops
    /// them gracefully, a second kills them.
    private func attach(_ spec: ProjectSpec, _ daemon: DaemonConnection, _ targets: [ServiceSpec]) throws {
        let containers = try daemon.containers(project: spec.name, services: targets.map(\.name))
        Console.out("Attaching to \(containers.map(\.name).joined(separator: ", "))")
        var options = LogFollower.Options()
        options.follow = true
        options.prefix = !noLogPrefix
        options.color = !noColor && Console.stdoutIsTerminal
        let follower = LogFollower(host: project.host, names: containers.map(\.name), options: options)
        let host = project.host
        let stopper = GracefulStop(host: host, ids: containers.map(\.id), timeout: timeout)
        for (i, c) in containers.enumerated() {
            follower.add(id: c.id, name: c.name, index: i) { [abortOnExit] in
                let code = (try? DaemonConnection(host: host).inspect(c.id))??["State"]?["ExitCode"]?.int ?? 0
                Console.out("\(c.name) exited with code \(code)")
                if abortOnExit { stopper.stop(announce: true) }
            }
        }
        stopper.installSignalHandler()
        follower.wait()
        if stopper.wasInterrupted { throw ExitCode(130) }
    }
}

/// Stops a set of containers once (Ctrl-C, or --abort-on-container-exit); a second Ctrl-C kills them.
final class GracefulStop: @unchecked Sendable {
    private let host: String?
    private let ids: [String]
    private let timeout: Int?
    private let lock = NSLock()
    private var stopping = false
    private var source: DispatchSourceSignal?
    private(set) var wasInterrupted = false

    init(host: String?, ids: [String], timeout: Int?) {
        self.host = host
        self.ids = ids
        self.timeout = timeout
    }

    func installSignalHandler() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [self] in
            lock.lock()
            let again = stopping
            wasInterrupted = true
            lock.unlock()
            if again {
                Console.err("Killing...")
                let daemon = DaemonConnection(host: host)
                for id in ids { try? daemon.call("POST", "/containers/\(id)/kill") }
            } else {
                Thread { self.stop(announce: true) }.start()
            }
        }
        source.resume()
        self.source = source
    }

    func stop(announce: Bool) {
        lock.lock()
        if stopping { lock.unlock(); return }
        stopping = true
        lock.unlock()
        if announce { Console.err("Gracefully stopping... (press Ctrl+C again to force)") }
        let daemon = DaemonConnection(host: host)
        for id in ids {
            var query: [(String, String)] = []
            if let timeout { query.append(("t", String(timeout))) }
            try? daemon.call("POST", "/containers/\(id)/stop", query: query)
        }
    }
}

/// Prints a failure as compose does and exits non-zero.
enum Failure {
    static func report(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as ExitCode {
            throw e
        } catch {
            Console.err(describe(error))
            throw ExitCode(1)
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as DaemonError: return e.description
        case let e as CustomStringConvertible: return e.description
        default: return "\(error)"
        }
    }
}
