import ArgumentParser
import Glibc
import SkiffAPI
import SkiffBuilder
import SkiffEngine

/// The daemon: Docker's Engine API on a unix socket (and TCP when asked),
/// over one engine. Stopping it leaves containers running: they belong to
/// their monitors.
@main
struct Skiffd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiffd", abstract: "The skiff daemon: the Docker Engine API (v1.47) over a unix socket.")

    @Option(name: [.customShort("H"), .long], help: "Where to listen: unix:///path or tcp://host:port (repeatable).")
    var host: [String] = []
    @Option(name: .customLong("data-root"), help: "Persistent state: images, containers.")
    var dataRoot = "/var/lib/skiff"
    @Option(name: .customLong("exec-root"), help: "State that lives until reboot.")
    var execRoot = "/run/skiff"
    @Option(name: .customLong("cgroup-parent"), help: "The cgroup containers go under unless they say: absolute from each hierarchy's root, or relative to skiffd's own.")
    var cgroupParent = Engine.defaultCgroupParent
    @Option(help: "Group given the unix sockets (if it exists).")
    var group = "skiff"
    @Option(help: "Pid file (default: <exec-root>/skiffd.pid).")
    var pidfile: String?
    @Option(name: .customLong("insecure-registry"), help: "A registry reached over plain HTTP: host[:port] or CIDR (repeatable).")
    var insecureRegistries: [String] = []
    @Option(name: .customLong("certs-dir"), help: "Per-registry CAs and client certificates: DIR/HOST:PORT/{ca.crt,client.cert,client.key}.")
    var certsDir = "/etc/skiff/certs.d"
    @Flag(name: [.customShort("D"), .long], help: "Log every request.")
    var debug = false

    /// Bad flags are refused before anything is made on disk.
    func validate() throws {
        do { try Engine.checkCgroupParent(cgroupParent) } catch { throw ValidationError(error.message) }
    }

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        let logger = ServerLogger(debug: debug)
        do {
            try await serve(logger: logger)
        } catch {
            logger.error("\(error)")
            throw ExitCode.failure
        }
    }

    private func serve(logger: ServerLogger) async throws {
        let endpoints = try (host.isEmpty ? ["unix:///run/skiff/skiff.sock"] : host).map { text throws(ServerError) in
            try Endpoint(parsing: text)
        }
        try makeDirectories(execRoot, mode: 0o711)
        try makeDirectories(dataRoot, mode: 0o711)
        let pid = try PidFile(path: pidfile ?? execRoot + "/skiffd.pid")
        defer { pid.remove() }
        // Wait for signals from here on, so none is lost while starting.
        let signals = SignalWaiter([SIGTERM, SIGINT])

        let engine = try Engine(dataRoot: dataRoot, runRoot: execRoot, cgroupParent: cgroupParent)
        await engine.recover()
        await Builder.removeLeftovers(engine)
        let daemon = DaemonInfo(id: try daemonID(dataRoot: dataRoot), debug: debug, insecureRegistries: insecureRegistries, certsDir: certsDir)
        let server = APIServer(router: .skiff(engine: engine, daemon: daemon), logger: logger, socketGroup: group)
        do {
            for endpoint in endpoints { try await server.listen(endpoint) }
        } catch {
            await server.shutdown()
            throw error
        }
        logger.info("skiffd \(SkiffVersion.version) started (data root \(dataRoot), pid \(getpid()))")

        let received = await signals.next()
        logger.info("received signal \(received), shutting down (containers keep running)")
        await server.shutdown()
        logger.info("skiffd stopped")
    }
}
