import Glibc
import SkiffOCI

/// Figures read from a container's cgroup; nil where the host does not provide one.
public struct CgroupStats: Codable, Sendable, Equatable {
    /// Bytes charged now (v1 `memory.usage_in_bytes`, v2 `memory.current`).
    public var memoryUsage: UInt64?
    /// The memory limit in bytes; nil when unlimited.
    public var memoryLimit: UInt64?
    /// Tasks now (`pids.current`).
    public var pidsCurrent: UInt64?
    /// The task limit; nil when unlimited.
    public var pidsLimit: UInt64?
    /// CPU time used, in nanoseconds (v1 `cpuacct.usage`, v2 `cpu.stat` usage_usec × 1000).
    public var cpuUsageNanoseconds: UInt64?
    /// Processes the OOM killer killed (v1 `memory.oom_control`, v2 `memory.events` oom_kill).
    public var oomKills: UInt64?
    /// CPU time in user and kernel mode, in nanoseconds (v1 `cpuacct.stat`, v2 `cpu.stat`).
    public var cpuUserNanoseconds: UInt64?
    public var cpuSystemNanoseconds: UInt64?
    /// `memory.stat`, as the kernel names its fields (v1 `total_inactive_file`, v2 `inactive_file`, ...).
    public var memoryStat: [String: UInt64] = [:]
    /// Bytes read and written on block devices (v1 `blkio.throttle.io_service_bytes_recursive`, v2 `io.stat`).
    public var ioReadBytes: UInt64?
    public var ioWriteBytes: UInt64?

    public init(
        memoryUsage: UInt64? = nil, memoryLimit: UInt64? = nil, pidsCurrent: UInt64? = nil,
        pidsLimit: UInt64? = nil, cpuUsageNanoseconds: UInt64? = nil, oomKills: UInt64? = nil
    ) {
        self.memoryUsage = memoryUsage
        self.memoryLimit = memoryLimit
        self.pidsCurrent = pidsCurrent
        self.pidsLimit = pidsLimit
        self.cpuUsageNanoseconds = cpuUsageNanoseconds
        self.oomKills = oomKills
    }
}

/// One container's cgroup, on cgroup v1 (and hybrid) or v2, behind one interface.
///
/// Made from `CgroupPaths`, which is all it keeps: save `paths` after `create` and a later
/// process can rebuild the manager to pause or delete the container.
public struct CgroupManager: Sendable {
    public internal(set) var paths: CgroupPaths
    let fs: CgroupFS

    /// How long `freeze`/`thaw` wait for the kernel to finish.
    static let freezeTimeout: Duration = .seconds(2)
    /// How long `destroy` waits for killed processes to leave, and then for `rmdir` to stop failing with EBUSY.
    static let emptyTimeout: Duration = .seconds(1)

    public init(paths: CgroupPaths) {
        self.init(paths: paths, fs: CgroupFS())
    }

    init(paths: CgroupPaths, fs: CgroupFS) {
        self.paths = paths
        self.fs = fs
    }

    /// The manager for container `id` with OCI `linux.cgroupsPath` on this host (see `CgroupPaths.resolve`).
    public static func forContainer(id: String, cgroupsPath: String?, root: String = "") throws(CgroupError) -> CgroupManager {
        try CgroupManager(paths: CgroupPaths.resolve(cgroupsPath: cgroupsPath, id: id, root: root))
    }

    /// Makes the container's directories (v1: cpuset.cpus/mems filled in from above; v2: controllers
    /// enabled from the mount down), then applies `resources`.
    /// If it fails, `paths.created` still lists what was made: call `destroy()`.
    public mutating func create(resources: RuntimeSpec.Resources?) throws(CgroupError) {
        switch paths.mode {
        case .v1, .hybrid: try createV1(resources: resources)
        case .unified: try createV2(resources: resources)
        }
    }

    /// Writes `resources` into the cgroup; also how a running container is updated.
    public func apply(resources: RuntimeSpec.Resources) throws(CgroupError) {
        switch paths.mode {
        case .v1, .hybrid: try applyV1(resources)
        case .unified: try applyV2(resources)
        }
    }

    /// Moves process `pid` into the cgroup: into every hierarchy on v1 (`v1`), and into the cgroup2
    /// directory (`cgroup2`): on unified, or on hybrid when that works (it carries no limits there,
    /// so failing is not fatal). The parts a new process did itself (`entry`) are left out.
    ///
    /// A move by pid takes the kernel's global cgroup_threadgroup_rwsem for writing, which waits
    /// for an RCU grace period: ~9 ms here, on every container start. `entry` avoids it.
    public func addProcess(pid: Int32, v1: Bool = true, cgroup2: Bool = true) throws(CgroupError) {
        switch paths.mode {
        case .v1, .hybrid:
            if v1 {
                for dir in paths.hierarchyDirectories {
                    try fs.write(dir + "/cgroup.procs", String(pid))
                }
            }
            if cgroup2, paths.mode == .hybrid, let dir = paths.unified {
                try? fs.write(dir + "/cgroup.procs", String(pid))
            }
        case .unified:
            if cgroup2 { try fs.write(try unifiedDirectory() + "/cgroup.procs", String(pid)) }
        }
    }

    /// How a new process enters the cgroup without being moved by pid: a single thread writing
    /// "0" to each v1 hierarchy's `tasks` file moves itself without the global lock, and a clone3
    /// with CLONE_INTO_CGROUP starts it in the cgroup2 directory.
    public var entry: (tasksFiles: [String], cgroup2Directory: String?) {
        switch paths.mode {
        case .v1: (paths.hierarchyDirectories.map { $0 + "/tasks" }, nil)
        case .hybrid: (paths.hierarchyDirectories.map { $0 + "/tasks" }, paths.unified)
        case .unified: ([], paths.unified)
        }
    }

    /// Freezes every process in the cgroup and waits until the kernel says they are.
    public func freeze() throws(CgroupError) {
        try setFrozen(true)
    }

    /// Thaws the cgroup and waits until the kernel says it is.
    public func thaw() throws(CgroupError) {
        try setFrozen(false)
    }

    /// Whether the cgroup is frozen (false while still freezing).
    public func isFrozen() throws(CgroupError) -> Bool {
        switch paths.mode {
        case .v1, .hybrid:
            guard let dir = paths.controllers["freezer"] else { return false }
            return try fs.value(dir + "/freezer.state") == "FROZEN"
        case .unified:
            let dir = try unifiedDirectory()
            if let events = try fs.readIfPresent(dir + "/cgroup.events"), let frozen = CgroupValues.field("frozen", in: events) {
                return frozen == 1
            }
            return try fs.value(dir + "/cgroup.freeze") == "1"
        }
    }

    /// The processes in the cgroup (its main hierarchy), sorted.
    public func processes() throws(CgroupError) -> [Int32] {
        try pids(in: mainDirectory())
    }

    /// Memory, pids, CPU and OOM figures.
    public func stats() throws(CgroupError) -> CgroupStats {
        switch paths.mode {
        case .v1, .hybrid: try statsV1()
        case .unified: try statsV2()
        }
    }

    /// Kills what is left in the cgroup (thawing it first), waits up to a second for it to empty,
    /// and removes the container's directories, then those `create` made above them if empty.
    public func destroy() throws(CgroupError) {
        if (try? isFrozen()) == true { try? thaw() }
        killAll()

        // The container's own directories (and any below them), deepest first.
        let leaves = paths.directories.sorted { components(of: $0).count > components(of: $1).count }
        var firstError: CgroupError?
        for dir in leaves {
            do { try removeTree(dir) } catch { firstError = firstError ?? error }
        }
        // What create made above them, if nothing else lives there now.
        let leafSet = Set(leaves)
        for dir in paths.created.reversed() where !leafSet.contains(dir) {
            let code = fs.removeDirectory(dir)
            if code != 0, code != ENOENT, code != EBUSY, code != ENOTEMPTY, firstError == nil {
                firstError = CgroupError(stage: "rmdir", path: dir, errno: code)
            }
        }
        if let firstError { throw firstError }
    }

    // MARK: Shared parts

    /// The directory whose cgroup.procs stands for the container.
    func mainDirectory() throws(CgroupError) -> String {
        if paths.mode == .unified { return try unifiedDirectory() }
        for controller in ["pids", "memory", "freezer", "cpu", "cpuacct", "devices", "blkio", "cpuset", "hugetlb"] {
            if let dir = paths.controllers[controller] { return dir }
        }
        if let dir = paths.unified { return dir }
        throw CgroupError(stage: "find cgroup", detail: "no cgroup directory is recorded")
    }

    func unifiedDirectory() throws(CgroupError) -> String {
        guard let dir = paths.unified else {
            throw CgroupError(stage: "find cgroup", detail: "no cgroup v2 directory is recorded")
        }
        return dir
    }

    /// The v1 directory of `controller`, which `what` cannot do without.
    func need(_ controller: String, for what: String) throws(CgroupError) -> String {
        guard let dir = paths.controllers[controller] else {
            throw CgroupError(stage: "apply \(what)", detail: "the \(controller) controller is not mounted")
        }
        return dir
    }

    /// Records directories `create` made.
    mutating func record(_ made: [String]) {
        for dir in made where !paths.created.contains(dir) { paths.created.append(dir) }
    }

    /// The pids in `dir/cgroup.procs`, sorted, each once (v1 may list one twice).
    func pids(in dir: String) throws(CgroupError) -> [Int32] {
        let text = try fs.read(dir + "/cgroup.procs")
        return Set(text.split(separator: "\n").compactMap { Int32($0) }).sorted()
    }

    /// Every pid in the container's directories and the cgroups below them.
    func allPids() -> Set<Int32> {
        var result: Set<Int32> = []
        func walk(_ dir: String) {
            if let text = try? fs.readIfPresent(dir + "/cgroup.procs") {
                result.formUnion(text.split(separator: "\n").compactMap { Int32($0) })
            }
            for name in fs.subdirectories(dir) { walk(dir + "/" + name) }
        }
        for dir in paths.directories { walk(dir) }
        return result
    }

    /// SIGKILLs everything in the cgroup until it is empty or the time is up (v2's cgroup.kill
    /// first where the kernel has it); what is still there makes rmdir fail with EBUSY later.
    func killAll() {
        if paths.mode == .unified, let dir = paths.unified, fs.exists(dir + "/cgroup.kill") {
            try? fs.write(dir + "/cgroup.kill", "1")
        }
        let deadline = ContinuousClock.now + Self.emptyTimeout
        let me = getpid()
        while true {
            let pids = allPids()
            if pids.isEmpty || ContinuousClock.now >= deadline { return }
            for pid in pids where pid > 0 && pid != me { kill(pid, SIGKILL) }
            pause(milliseconds: 10)
        }
    }

    /// rmdir `dir` after any cgroups below it; ENOENT is fine, EBUSY is retried briefly.
    func removeTree(_ dir: String) throws(CgroupError) {
        for name in fs.subdirectories(dir) {
            try removeTree(dir + "/" + name)
        }
        let deadline = ContinuousClock.now + Self.emptyTimeout
        while true {
            let code = fs.removeDirectory(dir)
            if code == 0 || code == ENOENT { return }
            if code != EBUSY || ContinuousClock.now >= deadline {
                let left = (try? pids(in: dir)) ?? []
                throw CgroupError(
                    stage: "rmdir", path: dir, errno: code,
                    detail: left.isEmpty ? nil : "processes still inside: \(left.map(String.init).joined(separator: " "))")
            }
            pause(milliseconds: 10)
        }
    }

    func setFrozen(_ frozen: Bool) throws(CgroupError) {
        let file: String, value: String
        switch paths.mode {
        case .v1, .hybrid:
            guard let dir = paths.controllers["freezer"] else {
                throw CgroupError(stage: frozen ? "freeze" : "thaw", detail: "the freezer controller is not mounted")
            }
            (file, value) = (dir + "/freezer.state", frozen ? "FROZEN" : "THAWED")
        case .unified:
            (file, value) = (try unifiedDirectory() + "/cgroup.freeze", frozen ? "1" : "0")
        }
        try fs.write(file, value)
        let deadline = ContinuousClock.now + Self.freezeTimeout
        var polls = 0
        while try isFrozen() != frozen {
            polls += 1
            // A v1 freezer can stall in FREEZING; writing FROZEN again makes it try again.
            if polls % 50 == 0 { try fs.write(file, value) }
            if ContinuousClock.now >= deadline {
                if frozen { try? fs.write(file, paths.mode == .unified ? "0" : "THAWED") }
                throw CgroupError(
                    stage: frozen ? "freeze" : "thaw", path: file,
                    detail: "the kernel did not finish within \(Self.freezeTimeout)" + (frozen ? "; thawed again" : ""))
            }
            pause(milliseconds: 1)
        }
    }
}

extension CgroupManager {
    /// The device rules runc appends after a spec's own (its `AllowedDevices`): mknod of any node,
    /// and use of null, zero, full, random, urandom, tty, ptmx and the pts. For v1's devices
    /// controller; a runtime that wants runc's behaviour applies `spec rules + these`.
    public static let standardDeviceRules: [RuntimeSpec.DeviceRule] = [
        .init(allow: true, type: "c", access: "m"),
        .init(allow: true, type: "b", access: "m"),
        .init(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 8, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 7, access: "rwm"),
        .init(allow: true, type: "c", major: 5, minor: 0, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 5, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 9, access: "rwm"),
        .init(allow: true, type: "c", major: 136, access: "rwm"),
        .init(allow: true, type: "c", major: 5, minor: 2, access: "rwm"),
    ]
}
