import FoundationEssentials
import Glibc
import SkiffCgroups
import SkiffMonitor
import SkiffOCI
import SkiffRuntime
import SkiffSystem

/// One reading of a running container's resource use (`docker stats`).
public struct ResourceSample: Sendable {
    /// When it was read (RFC 3339).
    public var read: String
    public var cgroup: CgroupStats
    /// The host's CPU time since boot, in nanoseconds (all CPUs), and its CPU count.
    public var systemCPUNanoseconds: UInt64
    public var onlineCPUs: Int
    /// The host's memory (the limit Docker reports for an unlimited container).
    public var hostMemory: UInt64
    /// Per container interface (eth0, ...): bytes and packets as the container sees them.
    public var networks: [String: InterfaceCounters]
}

/// Counters of one network interface, from the container's side.
public struct InterfaceCounters: Sendable, Equatable {
    public var rxBytes: UInt64 = 0, rxPackets: UInt64 = 0, rxErrors: UInt64 = 0, rxDropped: UInt64 = 0
    public var txBytes: UInt64 = 0, txPackets: UInt64 = 0, txErrors: UInt64 = 0, txDropped: UInt64 = 0
}

/// `docker top`'s answer: ps's column titles and the container's rows.
public struct ProcessTable: Sendable, Equatable {
    public var titles: [String]
    public var processes: [[String]]
}

extension Engine {
    // MARK: pause / unpause

    /// `docker pause`: freezes every process of the container.
    public func pause(_ ref: String) throws(EngineError) {
        let id = try resolveID(ref)
        var container = containers[id]!
        switch container.state.status {
        case .paused: throw EngineError(.conflict, "Container \(id) is already paused")
        case .running: break
        default: throw EngineError(.conflict, "Container \(id) is not running")
        }
        do {
            try Runtime(root: runtimeRoot).pause(id: id)
        } catch {
            throw EngineError(.system, "Cannot pause container \(id): \(error)")
        }
        container.state.status = .paused
        save(container)
        record("pause", container)
    }

    /// `docker unpause`.
    public func unpause(_ ref: String) throws(EngineError) {
        let id = try resolveID(ref)
        var container = containers[id]!
        guard container.state.status == .paused else { throw EngineError(.conflict, "Container \(id) is not paused") }
        do {
            try Runtime(root: runtimeRoot).resume(id: id)
        } catch {
            throw EngineError(.system, "Cannot unpause container \(id): \(error)")
        }
        container.state.status = .running
        save(container)
        record("unpause", container)
    }

    // MARK: top

    /// `docker top`: `ps` on the host with `arguments` (default `-ef`), the
    /// rows of the container's processes only.
    public func top(_ ref: String, arguments: [String]) throws(EngineError) -> ProcessTable {
        let id = try resolveID(ref)
        guard containers[id]!.state.isRunning else { throw EngineError(.conflict, "Container \(id) is not running") }
        let pids: Set<Int32>
        do {
            pids = Set(try Runtime(root: runtimeRoot).processes(id: id))
        } catch {
            throw EngineError(.system, "\(error)")
        }
        let (status, output) = Subprocess.run(["/bin/ps"] + (arguments.isEmpty ? ["-ef"] : arguments), input: nil)
        guard status == 0 else {
            throw EngineError(.system, "ps: \(output.split(separator: "\n").first.map(String.init) ?? "exit status \(status)")")
        }
        record("top", containers[id]!)
        return try Self.processTable(output, pids: pids)
    }

    /// ps output restricted to `pids`: the PID column found by its title,
    /// the last column keeping its spaces (as dockerd parses it).
    static func processTable(_ output: String, pids: Set<Int32>) throws(EngineError) -> ProcessTable {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: true)
        guard let header = lines.first else { throw EngineError(.system, "ps printed nothing") }
        let titles = header.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let pidColumn = titles.firstIndex(of: "PID") else {
            throw EngineError(.system, "Couldn't find PID field in ps output")
        }
        var rows: [[String]] = []
        for line in lines.dropFirst() {
            var fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count > pidColumn, let pid = Int32(fields[pidColumn]), pids.contains(pid) else { continue }
            if fields.count > titles.count {
                let rest = fields[(titles.count - 1)...].joined(separator: " ")
                fields = Array(fields[..<(titles.count - 1)]) + [rest]
            }
            rows.append(fields)
        }
        return ProcessTable(titles: titles, processes: rows)
    }

    // MARK: stats

    /// One reading of a running container's cgroup, the host's CPU clock and
    /// its interfaces' counters.
    public func sample(_ ref: String) throws(EngineError) -> ResourceSample? {
        let id = try resolveID(ref)
        let container = containers[id]!
        guard container.state.isRunning else { return nil }
        let cgroup: CgroupStats?
        do {
            cgroup = try Runtime(root: runtimeRoot).stats(id: id)
        } catch {
            return nil
        }
        var networks: [String: InterfaceCounters] = [:]
        if container.sandbox != nil, container.state.pid > 0 {
            networks = Self.interfaceCounters(pid: container.state.pid).filter { $0.key != "lo" }
        }
        return ResourceSample(read: Timestamp.now(), cgroup: cgroup ?? CgroupStats(), systemCPUNanoseconds: Self.systemCPU(),
                              onlineCPUs: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), hostMemory: Self.hostMemory(),
                              networks: networks)
    }

    /// The interfaces of `pid`'s network namespace, from its /proc/PID/net/dev
    /// (the container's own view, wherever the daemon runs).
    static func interfaceCounters(pid: Int32) -> [String: InterfaceCounters] {
        guard let text = try? FileIO.readString("/proc/\(pid)/net/dev") else { return [:] }
        var result: [String: InterfaceCounters] = [:]
        for line in text.split(separator: "\n").dropFirst(2) {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let v = parts[1].split(separator: " ").compactMap { UInt64($0) }
            guard v.count >= 12 else { continue }
            result[parts[0].trimmingCharacters(in: .whitespaces)] = InterfaceCounters(
                rxBytes: v[0], rxPackets: v[1], rxErrors: v[2], rxDropped: v[3],
                txBytes: v[8], txPackets: v[9], txErrors: v[10], txDropped: v[11])
        }
        return result
    }

    /// /proc/stat's first line, in nanoseconds (USER_HZ is 100).
    static func systemCPU() -> UInt64 {
        guard let text = try? FileIO.readString("/proc/stat"), let line = text.split(separator: "\n").first else { return 0 }
        let ticks = line.split(separator: " ").dropFirst().prefix(8).compactMap { UInt64($0) }
        return ticks.reduce(0, +) * 10_000_000
    }

    static func hostMemory() -> UInt64 {
        UInt64(sysconf(Int32(_SC_PHYS_PAGES))) * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }

    // MARK: update

    /// What `docker update` may change.
    public struct ResourceUpdate: Sendable {
        public var resources: ContainerConfiguration.Resources
        public var restartPolicy: RestartPolicy?
        public init(resources: ContainerConfiguration.Resources, restartPolicy: RestartPolicy?) {
            self.resources = resources
            self.restartPolicy = restartPolicy
        }
    }

    /// `docker update`: new limits (set fields only) and restart policy,
    /// applied at once to a running container and kept for its next start.
    public func update(_ ref: String, _ change: ResourceUpdate) throws(EngineError) {
        let id = try resolveID(ref)
        var container = containers[id]!
        if let policy = change.restartPolicy, policy.name != .no, container.config.autoRemove {
            throw EngineError(.invalid, "Restart policy cannot be updated because AutoRemove is enabled for the container")
        }
        var r = container.config.resources
        let n = change.resources
        if let v = n.memory { r.memory = v == 0 ? nil : v }
        if let v = n.memoryReservation { r.memoryReservation = v == 0 ? nil : v }
        if let v = n.memorySwap { r.memorySwap = v == 0 ? nil : v }
        if let v = n.nanoCPUs { r.nanoCPUs = v == 0 ? nil : v }
        if let v = n.cpuShares { r.cpuShares = v == 0 ? nil : v }
        if let v = n.cpuQuota { r.cpuQuota = v == 0 ? nil : v }
        if let v = n.cpuPeriod { r.cpuPeriod = v == 0 ? nil : v }
        if let v = n.cpusetCpus { r.cpusetCpus = v.isEmpty ? nil : v }
        if let v = n.cpusetMems { r.cpusetMems = v.isEmpty ? nil : v }
        if let v = n.pidsLimit { r.pidsLimit = v <= 0 ? nil : v }
        if let memory = r.memory, let swap = r.memorySwap, swap > 0, swap < memory {
            throw EngineError(.invalid, "Minimum memoryswap limit should be larger than memory limit, see usage")
        }
        if r.nanoCPUs != nil && (r.cpuQuota != nil || r.cpuPeriod != nil) {
            throw EngineError(.invalid, "Conflicting options: Nano CPUs and CPU Period cannot both be set")
        }
        container.config.resources = r
        if let policy = change.restartPolicy { container.config.restartPolicy = policy }
        if container.state.isRunning {
            let spec = SpecBuilder(container: container, rootfs: rootfsPath(id), directory: directory(id), initBinary: nil,
                                   cgroupParent: cgroupParent(of: container))
            do {
                var resources = spec.resources()
                resources.devices = nil
                try Runtime(root: runtimeRoot).update(id: id, resources: resources)
            } catch {
                throw EngineError(.system, "Cannot update container \(id): \(error)")
            }
            if let policy = change.restartPolicy {
                _ = try? MonitorConnection.call(socketPath(id), "restart-policy \(policy.name.rawValue) \(policy.maximumRetryCount)")
            }
        }
        save(container)
        record("update", container)
    }
}
