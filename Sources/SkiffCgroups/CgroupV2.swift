import Glibc
import SkiffOCI

// cgroup v2: one directory. https://docs.kernel.org/admin-guide/cgroup-v2.html
//
// Device access (`resources.devices`) is not done here: v2 has no devices files, only eBPF
// programs of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup, which the runtime would
// have to compile from the rules. Until then the rules are skipped on v2 (the container still gets
// only the device nodes the spec creates in its /dev).

extension CgroupManager {
    /// Controllers enabled on the way down when available, though nothing asks for them, so that
    /// limits can be changed later and stats read (what Docker on systemd gets).
    static let baselineControllers: Set<String> = ["cpu", "io", "memory", "pids"]

    mutating func createV2(resources: RuntimeSpec.Resources?) throws(CgroupError) {
        let dir = try unifiedDirectory()
        record(try fs.makeDirectories(dir))
        try enableControllers(above: dir, required: CgroupValues.requiredV2Controllers(resources))
        // On OOM, kill the whole container rather than one of its processes. No file without the
        // memory controller.
        do { try fs.write(dir + "/memory.oom.group", "1") } catch {
            if error.errno != ENOENT { throw error }
        }
        if let resources { try applyV2(resources) }
    }

    /// Enables controllers in `cgroup.subtree_control` of each ancestor of `leaf`, from the mount
    /// down (the leaf itself gets none: it holds the processes, and v2 allows processes only in
    /// cgroups that give no controllers to children, the root excepted).
    /// A required controller that cannot be had is an error; a baseline one is skipped.
    func enableControllers(above leaf: String, required: Set<String>) throws(CgroupError) {
        guard let mount = paths.unifiedMount else { return }
        let mountParts = components(of: mount), leafParts = components(of: leaf)
        guard leafParts.count > mountParts.count, leafParts.starts(with: mountParts) else { return }
        let wanted = required.union(Self.baselineControllers)
        var dir = mount
        var inherited: Set<String>?  // what the parent enabled = what this level has (for files we cannot read)
        for part in leafParts.dropFirst(mountParts.count) {
            let available = try fs.readIfPresent(dir + "/cgroup.controllers").map(CgroupValues.controllerSet) ?? inherited ?? []
            if let missing = CgroupValues.ordered(required.subtracting(available)).first {
                throw CgroupError(
                    stage: "enable controller \(missing)", path: dir,
                    detail: "not available here (cgroup.controllers: \(CgroupValues.ordered(available).joined(separator: " ")))")
            }
            let file = dir + "/cgroup.subtree_control"
            var enabled = try fs.readIfPresent(file).map(CgroupValues.controllerSet) ?? []
            let toEnable = CgroupValues.ordered(wanted.intersection(available).subtracting(enabled))
            if !toEnable.isEmpty {
                do {
                    try fs.write(file, toEnable.map { "+" + $0 }.joined(separator: " "))
                    enabled.formUnion(toEnable)
                } catch {
                    // One by one, so that one refusal does not cost the others.
                    for controller in toEnable {
                        do {
                            try fs.write(file, "+" + controller)
                            enabled.insert(controller)
                        } catch {
                            guard required.contains(controller) else { continue }
                            var error = error
                            if error.errno == EBUSY {
                                error.detail = "\(dir) has processes of its own, and cgroup v2 lets only cgroups without processes give controllers to children: move them into a leaf cgroup, or use an absolute cgroupsPath"
                            }
                            throw error
                        }
                    }
                }
            }
            inherited = enabled
            dir = join(dir, [part])
        }
    }

    func applyV2(_ resources: RuntimeSpec.Resources) throws(CgroupError) {
        let dir = try unifiedDirectory()
        if let memory = resources.memory, CgroupValues.isSet(memory) { try applyV2Memory(memory, dir: dir) }
        if let cpu = resources.cpu { try applyV2CPU(cpu, dir: dir) }
        if let pids = resources.pids { try writeV2(dir, "pids.max", CgroupValues.pidsMax(pids.limit)) }
        if let io = resources.blockIO, CgroupValues.isSet(io) { try applyV2IO(io, dir: dir) }
        // resources.devices: see the note at the top of this file.
        for limit in resources.hugepageLimits ?? [] {
            for file in ["hugetlb.\(limit.pageSize).max", "hugetlb.\(limit.pageSize).rsvd.max"] where fs.exists(dir + "/" + file) {
                try fs.write(dir + "/" + file, String(limit.limit))
            }
        }
        if let unified = resources.unified, !unified.isEmpty { try writeUnified(unified, into: dir) }
    }

    /// memory.swap.max is swap alone, OCI's swap is memory+swap: hence swap − limit.
    /// `swappiness` and `disableOOMKiller` have no v2 files and are ignored, as runc does.
    func applyV2Memory(_ memory: RuntimeSpec.Memory, dir: String) throws(CgroupError) {
        if let swap = try CgroupValues.swapMax(swap: memory.swap, limit: memory.limit) {
            do { try writeV2(dir, "memory.swap.max", swap) } catch {
                // No swap accounting: "unlimited" and "none" are true anyway.
                guard error.errno == ENOENT, swap == "max" || swap == "0" else { throw error }
            }
        }
        if let limit = memory.limit, limit != 0 { try writeV2(dir, "memory.max", CgroupValues.bytes(limit)) }
        if let low = memory.reservation, low != 0 { try writeV2(dir, "memory.low", CgroupValues.bytes(low)) }
    }

    func applyV2CPU(_ cpu: RuntimeSpec.CPU, dir: String) throws(CgroupError) {
        if (cpu.realtimeRuntime ?? 0) != 0 || (cpu.realtimePeriod ?? 0) != 0 {
            throw CgroupError(stage: "apply cpu", detail: "realtimeRuntime and realtimePeriod need cgroup v1")
        }
        if let idle = cpu.idle { try writeV2(dir, "cpu.idle", String(idle)) }
        if let shares = cpu.shares, shares != 0 {
            try writeV2(dir, "cpu.weight", String(CgroupValues.cpuWeight(shares: shares)))
        }
        let quota = cpu.quota ?? 0, period = cpu.period ?? 0
        var burstLater: String?
        if let burst = cpu.burst {
            do { try writeV2(dir, "cpu.max.burst", String(burst)) } catch {
                if error.errno != ENOENT {  // no burst knob on older kernels
                    guard error.errno == EINVAL, quota != 0 else { throw error }
                    burstLater = String(burst)  // may only fit once the new quota is in
                }
            }
        }
        if quota != 0 || period != 0 {
            var value = quota > 0 ? String(quota) : "max"
            if period != 0 { value += " \(period)" }
            try writeV2(dir, "cpu.max", value)
            if let burstLater { try writeV2(dir, "cpu.max.burst", burstLater) }
        }
        if let cpus = cpu.cpus, !cpus.isEmpty { try writeV2(dir, "cpuset.cpus", cpus) }
        if let mems = cpu.mems, !mems.isEmpty { try writeV2(dir, "cpuset.mems", mems) }
    }

    /// Weights: io.bfq.weight takes v1's range as is; io.weight gets it converted (runc's formula).
    /// Per-device weights only exist with BFQ. Throttles become io.max lines.
    func applyV2IO(_ io: RuntimeSpec.BlockIO, dir: String) throws(CgroupError) {
        let bfq = fs.exists(dir + "/io.bfq.weight")
        if let weight = io.weight, weight != 0 {
            if bfq {
                try writeV2(dir, "io.bfq.weight", String(weight))
            } else {
                try writeV2(dir, "io.weight", "default \(CgroupValues.ioWeight(blkioWeight: weight))")
            }
        }
        if bfq {
            for device in io.weightDevice ?? [] {
                if let weight = device.weight { try writeV2(dir, "io.bfq.weight", "\(device.major):\(device.minor) \(weight)") }
            }
        }
        for (devices, _, key) in CgroupValues.throttles(io) {
            for device in devices {
                try writeV2(dir, "io.max", "\(device.major):\(device.minor) \(key)=\(device.rate)")
            }
        }
    }

    /// `resources.unified`: each file written as given, in name order.
    func writeUnified(_ values: [String: String], into dir: String) throws(CgroupError) {
        for key in values.keys.sorted() {
            guard !key.isEmpty, !key.contains("/"), key != ".", key != ".." else {
                throw CgroupError(stage: "apply unified", detail: "\"\(key)\" is not a file name")
            }
            try writeV2(dir, key, values[key]!)
        }
    }

    /// A write whose ENOENT says which controller is missing.
    func writeV2(_ dir: String, _ file: String, _ value: String) throws(CgroupError) {
        do { try fs.write(dir + "/" + file, value) } catch {
            var error = error
            if error.errno == ENOENT, let dot = file.firstIndex(of: "."), !file.hasPrefix("cgroup.") {
                error.detail = "is the \(file[..<dot]) controller enabled for this cgroup?"
            }
            throw error
        }
    }

    func statsV2() throws(CgroupError) -> CgroupStats {
        let dir = try unifiedDirectory()
        func number(_ file: String) throws(CgroupError) -> UInt64? {
            try fs.value(dir + "/" + file).flatMap { UInt64($0) }
        }
        var stats = CgroupStats()
        stats.memoryUsage = try number("memory.current")
        stats.memoryLimit = CgroupValues.limit(try fs.value(dir + "/memory.max"))
        stats.oomKills = try fs.readIfPresent(dir + "/memory.events").flatMap { CgroupValues.field("oom_kill", in: $0) }
        stats.pidsCurrent = try number("pids.current")
        stats.pidsLimit = CgroupValues.limit(try fs.value(dir + "/pids.max"))
        let cpu = try fs.readIfPresent(dir + "/cpu.stat").map(CgroupValues.fields) ?? [:]
        stats.cpuUsageNanoseconds = cpu["usage_usec"].map { $0 * 1000 }
        stats.cpuUserNanoseconds = cpu["user_usec"].map { $0 * 1000 }
        stats.cpuSystemNanoseconds = cpu["system_usec"].map { $0 * 1000 }
        stats.memoryStat = try fs.readIfPresent(dir + "/memory.stat").map(CgroupValues.fields) ?? [:]
        if let text = try fs.readIfPresent(dir + "/io.stat") {
            (stats.ioReadBytes, stats.ioWriteBytes) = CgroupValues.ioBytes(text)
        }
        return stats
    }
}
