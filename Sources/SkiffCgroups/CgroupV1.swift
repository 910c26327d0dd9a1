import Glibc
import SkiffOCI

// cgroup v1 (and hybrid): one directory per controller hierarchy.
// https://docs.kernel.org/admin-guide/cgroup-v1/

extension CgroupManager {
    mutating func createV1(resources: RuntimeSpec.Resources?) throws(CgroupError) {
        for dir in paths.hierarchyDirectories {
            record(try fs.makeDirectories(dir))
        }
        if let cpuset = paths.controllers["cpuset"] { try fillCpuset(cpuset) }
        // Hybrid: the controller-less cgroup2 tree only places processes; do without it if it fails.
        if paths.mode == .hybrid, let dir = paths.unified {
            do { record(try fs.makeDirectories(dir)) } catch { paths.unified = nil }
        }
        if let resources { try applyV1(resources) }
    }

    /// A new cpuset cgroup starts with empty cpuset.cpus and cpuset.mems and cannot take tasks until
    /// they are set: copy them down from the nearest ancestor that has them, into every empty level.
    func fillCpuset(_ leaf: String) throws(CgroupError) {
        var chain: [String] = []  // leaf first, up to the top of the hierarchy
        var dir = leaf
        while dir != "/", !dir.isEmpty, fs.exists(dir + "/cpuset.cpus") {
            chain.append(dir)
            dir = parent(of: dir)
        }
        for file in ["cpuset.cpus", "cpuset.mems"] {
            var inherited = ""
            for dir in chain.reversed() {
                let current = try fs.value(dir + "/" + file) ?? ""
                if !current.isEmpty {
                    inherited = current
                } else if !inherited.isEmpty {
                    try fs.write(dir + "/" + file, inherited)
                }
            }
        }
    }

    func applyV1(_ resources: RuntimeSpec.Resources) throws(CgroupError) {
        if let memory = resources.memory, CgroupValues.isSet(memory) { try applyV1Memory(memory) }
        if let cpu = resources.cpu { try applyV1CPU(cpu) }
        if let pids = resources.pids {
            try fs.write(need("pids", for: "pids limit") + "/pids.max", CgroupValues.pidsMax(pids.limit))
        }
        if let io = resources.blockIO, CgroupValues.isSet(io) { try applyV1BlockIO(io) }
        if let rules = resources.devices, !rules.isEmpty {
            // In order: a later rule refines an earlier one (deny all, then allow a few).
            let dir = try need("devices", for: "devices")
            for rule in rules {
                try fs.write(dir + (rule.allow ? "/devices.allow" : "/devices.deny"), CgroupValues.deviceLine(rule))
            }
        }
        // Only where the host has hugetlb mounted and that page size.
        if let limits = resources.hugepageLimits, let dir = paths.controllers["hugetlb"] {
            for limit in limits {
                let file = "\(dir)/hugetlb.\(limit.pageSize).limit_in_bytes"
                if fs.exists(file) { try fs.write(file, String(limit.limit)) }
            }
        }
        if let unified = resources.unified, !unified.isEmpty {
            // runc's rule: on hybrid, the cgroup2 files go to the cgroup2 directory.
            guard paths.mode == .hybrid, let dir = paths.unified else {
                throw CgroupError(
                    stage: "apply unified", detail: "cgroup v2 files (\(unified.keys.sorted().joined(separator: ", "))) need cgroup v2, and this host has v1 only")
            }
            try writeUnified(unified, into: dir)
        }
    }

    /// memory.limit_in_bytes must never exceed memory.memsw.limit_in_bytes, so when raising both
    /// memsw goes first and when lowering the limit goes first (runc's order).
    /// Kernel memory (`kernel`, `kernelTCP`) is ignored: deprecated, and refused by kernels since 5.16.
    func applyV1Memory(_ memory: RuntimeSpec.Memory) throws(CgroupError) {
        let dir = try need("memory", for: "memory limits")
        let limitFile = dir + "/memory.limit_in_bytes", swapFile = dir + "/memory.memsw.limit_in_bytes"
        let hasSwapFile = fs.exists(swapFile)
        let limit = memory.limit ?? 0
        var swap = memory.swap ?? 0
        // Unlimited memory with no swap setting means unlimited memory+swap too.
        if limit == -1 && swap == 0 && hasSwapFile { swap = -1 }
        if limit < -1 || swap < -1 {
            throw CgroupError(stage: "apply memory", detail: "invalid limit \(limit) or memory+swap limit \(swap)")
        }
        if limit > 0 && swap > 0 && swap < limit {
            throw CgroupError(stage: "apply memory.swap", detail: "memory+swap limit \(swap) is below the memory limit \(limit)")
        }

        if limit != 0 && swap != 0 && hasSwapFile {
            let current = UInt64(try fs.value(limitFile) ?? "") ?? UInt64.max
            if swap == -1 || current < UInt64(swap) {
                try fs.write(swapFile, String(swap))
                try fs.write(limitFile, String(limit))
            } else {
                try fs.write(limitFile, String(limit))
                try fs.write(swapFile, String(swap))
            }
        } else {
            if limit != 0 { try fs.write(limitFile, String(limit)) }
            if swap != 0 && hasSwapFile { try fs.write(swapFile, String(swap)) }
        }
        if let reservation = memory.reservation, reservation != 0 {
            try fs.write(dir + "/memory.soft_limit_in_bytes", String(reservation))
        }
        if let swappiness = memory.swappiness {
            guard swappiness <= 100 else {
                throw CgroupError(stage: "apply memory.swappiness", detail: "\(swappiness) is not within 0–100")
            }
            try fs.write(dir + "/memory.swappiness", String(swappiness))
        }
        if memory.disableOOMKiller == true {
            try fs.write(dir + "/memory.oom_control", "1")
        }
    }

    func applyV1CPU(_ cpu: RuntimeSpec.CPU) throws(CgroupError) {
        if CgroupValues.isSchedulerSet(cpu) {
            let dir = try need("cpu", for: "cpu limits")
            if let shares = cpu.shares, shares != 0 { try fs.write(dir + "/cpu.shares", String(shares)) }
            // The kernel checks quota/period against the parent: a smaller period or larger burst
            // may be refused (EINVAL) until the new quota is in, so retry those after it (as runc).
            let quota = cpu.quota ?? 0
            var periodLater: String?, burstLater: String?
            if let period = cpu.period, period != 0 {
                do { try fs.write(dir + "/cpu.cfs_period_us", String(period)) } catch {
                    guard error.errno == EINVAL, quota != 0 else { throw error }
                    periodLater = String(period)
                }
            }
            if let burst = cpu.burst {
                do { try fs.write(dir + "/cpu.cfs_burst_us", String(burst)) } catch {
                    if error.errno != ENOENT {  // no burst knob on older kernels
                        guard error.errno == EINVAL, quota != 0 else { throw error }
                        burstLater = String(burst)
                    }
                }
            }
            if quota != 0 {
                try fs.write(dir + "/cpu.cfs_quota_us", String(quota))
                if let periodLater { try fs.write(dir + "/cpu.cfs_period_us", periodLater) }
                if let burstLater { try fs.write(dir + "/cpu.cfs_burst_us", burstLater) }
            }
            if let period = cpu.realtimePeriod, period != 0 { try fs.write(dir + "/cpu.rt_period_us", String(period)) }
            if let runtime = cpu.realtimeRuntime, runtime != 0 { try fs.write(dir + "/cpu.rt_runtime_us", String(runtime)) }
            if let idle = cpu.idle { try fs.write(dir + "/cpu.idle", String(idle)) }
        }
        if CgroupValues.isCpusetSet(cpu) {
            let dir = try need("cpuset", for: "cpuset")
            if let cpus = cpu.cpus, !cpus.isEmpty { try fs.write(dir + "/cpuset.cpus", cpus) }
            if let mems = cpu.mems, !mems.isEmpty { try fs.write(dir + "/cpuset.mems", mems) }
        }
    }

    /// Weights go to blkio.weight, or blkio.bfq.weight on kernels with only BFQ; neither → skipped.
    func applyV1BlockIO(_ io: RuntimeSpec.BlockIO) throws(CgroupError) {
        let dir = try need("blkio", for: "block I/O limits")
        func firstFile(_ names: [String]) -> String? {
            names.map { dir + "/" + $0 }.first(where: fs.exists)
        }
        if let weight = io.weight, weight != 0, let file = firstFile(["blkio.weight", "blkio.bfq.weight"]) {
            try fs.write(file, String(weight))
        }
        if let weight = io.leafWeight, weight != 0, let file = firstFile(["blkio.leaf_weight"]) {
            try fs.write(file, String(weight))
        }
        for device in io.weightDevice ?? [] {
            if let weight = device.weight, let file = firstFile(["blkio.weight_device", "blkio.bfq.weight_device"]) {
                try fs.write(file, "\(device.major):\(device.minor) \(weight)")
            }
            if let weight = device.leafWeight, let file = firstFile(["blkio.leaf_weight_device"]) {
                try fs.write(file, "\(device.major):\(device.minor) \(weight)")
            }
        }
        for (devices, file, _) in CgroupValues.throttles(io) {
            for device in devices {
                try fs.write(dir + "/" + file, "\(device.major):\(device.minor) \(device.rate)")
            }
        }
    }

    func statsV1() throws(CgroupError) -> CgroupStats {
        var stats = CgroupStats()
        if let dir = paths.controllers["memory"] {
            stats.memoryUsage = try fs.value(dir + "/memory.usage_in_bytes").flatMap { UInt64($0) }
            stats.memoryLimit = CgroupValues.limit(try fs.value(dir + "/memory.limit_in_bytes"))
            stats.oomKills = try fs.readIfPresent(dir + "/memory.oom_control").flatMap { CgroupValues.field("oom_kill", in: $0) }
            stats.memoryStat = try fs.readIfPresent(dir + "/memory.stat").map(CgroupValues.fields) ?? [:]
        }
        if let dir = paths.controllers["blkio"], let text = try fs.readIfPresent(dir + "/blkio.throttle.io_service_bytes_recursive") {
            (stats.ioReadBytes, stats.ioWriteBytes) = CgroupValues.ioBytes(text)
        }
        if let dir = paths.controllers["pids"] {
            stats.pidsCurrent = try fs.value(dir + "/pids.current").flatMap { UInt64($0) }
            stats.pidsLimit = CgroupValues.limit(try fs.value(dir + "/pids.max"))
        }
        if let dir = paths.controllers["cpuacct"] {
            stats.cpuUsageNanoseconds = try fs.value(dir + "/cpuacct.usage").flatMap { UInt64($0) }
            if let text = try fs.readIfPresent(dir + "/cpuacct.stat") {
                // USER_HZ ticks (100 per second on Linux).
                let ticks = CgroupValues.fields(text)
                stats.cpuUserNanoseconds = ticks["user"].map { $0 * 10_000_000 }
                stats.cpuSystemNanoseconds = ticks["system"].map { $0 * 10_000_000 }
            }
        }
        return stats
    }
}
