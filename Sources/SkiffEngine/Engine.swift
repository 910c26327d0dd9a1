import FoundationEssentials
import Glibc
import SkiffImage
import SkiffMonitor
import SkiffNetwork
import SkiffOCI
import SkiffSystem
import SkiffVolume

/// How many containers are in each state (for `/info`).
public struct ContainerCounts: Sendable, Equatable {
    public var running = 0
    public var paused = 0
    public var stopped = 0
    public var total: Int { running + paused + stopped }
    public init() {}
}

/// The engine: images and containers under one data root. Containers run
/// under their own monitors (skiff-monitor), which outlive the engine; the
/// engine records their state in SQLite and follows each running one over
/// its monitor's `watch` stream.
public actor Engine {
    public nonisolated let dataRoot: String
    public nonisolated let runRoot: String
    public nonisolated let images: ImageStore
    public nonisolated let networks: Networks
    /// What happens to containers, images, volumes and networks (`docker events`).
    public nonisolated let events = EventBus()
    /// The skiff-monitor executable.
    public nonisolated let monitorPath: String
    /// Where containers' cgroups go unless they say (`skiffd --cgroup-parent`).
    public nonisolated let cgroupParent: String
    public static let defaultCgroupParent = "skiff"
    let db: ContainerDatabase
    /// Volumes (`<data-root>/volumes`, `volumes.db`): changed only through the engine.
    let volumes: VolumeStore

    var containers: [String: Container] = [:]
    var waiters: [String: [Waiter]] = [:]
    var pendingAttaches: [String: [PendingAttach]] = [:]
    var watched: Set<String> = []
    /// The last runs of each container that ended: start and exit times (`logs -f`).
    var runEnds: [String: [(started: String, finished: String)]] = [:]
    var execs: [String: ExecRecord] = [:]
    /// The mounts of containers being created (awaiting their root): their volumes are in use.
    var pendingMounts: [String: [ContainerMount]] = [:]
    /// Copies, exports and commits working on a container's files now (Engine+Files).
    var fileUses: [String: FileUse] = [:]
    /// Containers between the start of `start` and their monitor's report: their root stays mounted.
    var starting: Set<String> = []

    /// Blocking work (monitors, mounts, files) runs on the engine's own thread.
    private nonisolated let executor = ThreadExecutor()
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// `dataRoot` holds persistent state (/var/lib/skiff), `runRoot` what
    /// lives until reboot (/run/skiff). `firewall: false` leaves nftables
    /// alone (for tests that never publish or bridge).
    public init(dataRoot: String, runRoot: String, monitorPath: String? = nil, firewall: Bool = true,
                cgroupParent: String = defaultCgroupParent) throws {
        try Self.checkCgroupParent(cgroupParent)
        self.dataRoot = dataRoot
        self.runRoot = runRoot
        self.monitorPath = monitorPath ?? Self.findMonitor()
        self.cgroupParent = cgroupParent
        images = try ImageStore(root: dataRoot)
        networks = try Networks(dataRoot: dataRoot + "/network", runRoot: runRoot, firewall: firewall)
        for dir in [dataRoot + "/containers", runRoot, runRoot + "/monitors", runRoot + "/runtime"] {
            try Directories.make(dir, mode: 0o711)
        }
        db = try ContainerDatabase(path: dataRoot + "/containers.db")
        volumes = try VolumeStore(dataRoot: dataRoot)
        for container in try db.all() { containers[container.id] = container }
    }

    /// Follows the containers that were running when the engine last stopped
    /// (their monitors kept them), settles those that ended meanwhile, and
    /// starts again those whose policy says so (`always`, `unless-stopped`
    /// unless the user stopped it) when their monitor is gone (a reboot).
    public func recover() async {
        for id in containers.keys.sorted() {
            guard let container = containers[id] else { continue }
            var restart = false
            if container.state.isRunning || container.state.status == .created {
                if (try? MonitorConnection.open(socketPath(id), "watch")).map({ follow(id, $0) }) != nil { continue }
                restart = container.state.isRunning
                await monitorGone(id)
            }
            let policy = container.config.restartPolicy.name
            let wanted = policy == .always || (policy == .unlessStopped && !(containers[id]?.state.stoppedByUser ?? true))
            if wanted && (restart || containers[id]?.state.status == .exited && !(containers[id]?.state.stoppedByUser ?? true)) {
                try? await start(id)
            }
        }
        releaseUnusedVolumes()
        let running = Set(containers.values.filter { $0.state.isRunning && $0.sandbox != nil }.map(\.id))
        try? await networks.recover(running: running)
        for id in containers.keys where !running.contains(id) && containers[id]?.sandbox != nil {
            containers[id]!.sandbox = nil
            save(containers[id]!)
        }
    }

    public func containerCounts() -> ContainerCounts {
        var counts = ContainerCounts()
        for c in containers.values {
            switch c.state.status {
            case .running, .restarting: counts.running += 1
            case .paused: counts.paused += 1
            default: counts.stopped += 1
            }
        }
        return counts
    }

    /// Images that containers are made from (kept by `rmi` and prune).
    public func imagesInUse() -> Set<Digest> {
        Set(containers.values.compactMap { Digest(parsing: $0.imageID) })
    }

    /// Containers using an image (for `rmi`'s conflict message).
    public func containers(usingImage id: Digest) -> [Container] {
        containers.values.filter { $0.imageID == id.description }
    }

    // MARK: Paths

    nonisolated func directory(_ id: String) -> String { "\(dataRoot)/containers/\(id)" }
    /// Where a container's root file system is mounted (from create until it is removed;
    /// the builder reads and writes a created container's files there).
    public nonisolated func rootfsPath(_ id: String) -> String { directory(id) + "/rootfs" }
    nonisolated func socketPath(_ id: String) -> String { "\(runRoot)/monitors/\(id.prefix(32)).sock" }
    nonisolated func consolePath(_ id: String) -> String { "\(runRoot)/monitors/\(id.prefix(32)).console" }
    nonisolated func logPath(_ id: String) -> String { directory(id) + "/\(id)-json.log" }
    nonisolated var runtimeRoot: String { runRoot + "/runtime" }

    static func findMonitor() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 {
            let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            if access(dir + "/skiff-monitor", X_OK) == 0 { return dir + "/skiff-monitor" }
        }
        for dir in (getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin").split(separator: ":") {
            if access("\(dir)/skiff-monitor", X_OK) == 0 { return "\(dir)/skiff-monitor" }
        }
        return "/usr/local/bin/skiff-monitor"
    }

    // MARK: Lookup

    /// A container by full id, name (with or without the slash) or unique id prefix.
    public func container(_ ref: String) throws(EngineError) -> Container {
        try containers[resolveID(ref)]!
    }

    func resolveID(_ ref: String) throws(EngineError) -> String {
        if containers[ref] != nil { return ref }
        let name = ref.hasPrefix("/") ? String(ref.dropFirst()) : ref
        if let c = containers.values.first(where: { $0.name == name }) { return c.id }
        guard !ref.isEmpty else { throw EngineError.noSuchContainer(ref) }
        let matches = containers.keys.filter { $0.hasPrefix(ref) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 { throw EngineError(.invalid, "multiple IDs found with provided prefix: \(ref)") }
        throw EngineError.noSuchContainer(ref)
    }

    /// Every container, newest first.
    public func list() -> [Container] {
        containers.values.sorted { $0.created > $1.created }
    }

    func save(_ container: Container) {
        containers[container.id] = container
        try? db.update(container)
    }

    /// `save`, but an exited `--rm` container only in memory: its row is deleted next
    /// (`monitorGone` removes it), so two commits (~1 ms each) would only delay that. A daemon
    /// killed in between finds the row still running, the monitor gone and its status exited,
    /// and removes the container at start the same way.
    func saveUnlessRemovedNext(_ container: Container) {
        if container.config.autoRemove && container.state.status == .exited {
            containers[container.id] = container
        } else {
            save(container)
        }
    }
}

extension Digest {
    init?(parsing text: String) {
        guard let d = try? Digest(text) else { return nil }
        self = d
    }
}
