import Glibc
import SkiffOCI

/// OCI resource values turned into what cgroup files take. Pure functions.
enum CgroupValues {
    /// v2 `cpu.weight` (1–10000) for v1 `cpu.shares` (2–262144), by runc's formula
    /// `1 + ((shares - 2) * 9999) / 262142`; shares are first clamped to the v1 range (the kernel
    /// clamps them the same way), so 0 and 1 do not wrap around.
    static func cpuWeight(shares: UInt64) -> UInt64 {
        let shares = min(max(shares, 2), 262_144)
        return 1 + ((shares - 2) * 9999) / 262_142
    }

    /// v2 `io.weight` (1–10000) for v1 `blkio.weight` (10–1000), by runc's formula.
    static func ioWeight(blkioWeight: UInt16) -> UInt64 {
        let weight = UInt64(min(max(blkioWeight, 10), 1000))
        return 1 + (weight - 10) * 9999 / 990
    }

    /// v2 `memory.swap.max` (swap alone) for OCI `swap` (memory plus swap, as v1's memsw) and
    /// `limit`; nil leaves it alone. 0 is "unset" for both, -1 "unlimited", as in runc.
    static func swapMax(swap: Int64?, limit: Int64?) throws(CgroupError) -> String? {
        let memory = limit ?? 0, memorySwap = swap ?? 0
        // As v1: unlimited memory with no swap setting means unlimited swap too.
        if memory == -1 && memorySwap == 0 { return "max" }
        if memorySwap == -1 { return "max" }
        if memorySwap == 0 { return nil }
        let stage = "apply memory.swap"
        if memory == 0 || memory == -1 {
            throw CgroupError(stage: stage, detail: "a swap limit (\(memorySwap)) needs a memory limit")
        }
        if memory < 0 { throw CgroupError(stage: stage, detail: "invalid memory limit \(memory)") }
        if memorySwap < memory {
            throw CgroupError(stage: stage, detail: "memory+swap limit \(memorySwap) is below the memory limit \(memory)")
        }
        return String(memorySwap - memory)
    }

    /// A byte limit for v2 files: -1 is `max`.
    static func bytes(_ value: Int64) -> String {
        value == -1 ? "max" : String(value)
    }

    /// `pids.max`: a positive limit, else `max`.
    static func pidsMax(_ limit: Int64) -> String {
        limit > 0 ? String(limit) : "max"
    }

    /// A v1 `devices.allow`/`devices.deny` line: `c 1:3 rwm`; absent or -1 numbers are `*`.
    static func deviceLine(_ rule: RuntimeSpec.DeviceRule) throws(CgroupError) -> String {
        let type = rule.type ?? "a"
        let access = (rule.access ?? "").isEmpty ? "rwm" : rule.access!
        guard ["a", "c", "b"].contains(type) else {
            throw CgroupError(stage: "apply devices", detail: "device type \"\(type)\" is not a, c or b")
        }
        guard access.allSatisfy({ "rwm".contains($0) }) else {
            throw CgroupError(stage: "apply devices", detail: "device access \"\(access)\" is not made of r, w and m")
        }
        func number(_ value: Int64?) -> String {
            guard let value, value >= 0 else { return "*" }
            return String(value)
        }
        return "\(type) \(number(rule.major)):\(number(rule.minor)) \(access)"
    }

    /// Whether any memory setting is given (0 counts as unset, as in runc).
    static func isSet(_ memory: RuntimeSpec.Memory) -> Bool {
        [memory.limit, memory.reservation, memory.swap].contains { ($0 ?? 0) != 0 }
            || memory.swappiness != nil || memory.disableOOMKiller == true
    }

    /// Whether any scheduler setting (not cpuset) is given.
    static func isSchedulerSet(_ cpu: RuntimeSpec.CPU) -> Bool {
        (cpu.shares ?? 0) != 0 || (cpu.quota ?? 0) != 0 || (cpu.period ?? 0) != 0 || cpu.burst != nil
            || (cpu.realtimeRuntime ?? 0) != 0 || (cpu.realtimePeriod ?? 0) != 0 || cpu.idle != nil
    }

    /// Whether cpuset.cpus or cpuset.mems is given.
    static func isCpusetSet(_ cpu: RuntimeSpec.CPU) -> Bool {
        !(cpu.cpus ?? "").isEmpty || !(cpu.mems ?? "").isEmpty
    }

    /// Whether any block I/O setting is given.
    static func isSet(_ io: RuntimeSpec.BlockIO) -> Bool {
        (io.weight ?? 0) != 0 || (io.leafWeight ?? 0) != 0 || !(io.weightDevice ?? []).isEmpty
            || !throttles(io).allSatisfy { $0.devices.isEmpty }
    }

    /// The four throttle lists with their v1 file and v2 `io.max` key.
    static func throttles(_ io: RuntimeSpec.BlockIO) -> [(devices: [RuntimeSpec.ThrottleDevice], v1File: String, v2Key: String)] {
        [
            (io.throttleReadBpsDevice ?? [], "blkio.throttle.read_bps_device", "rbps"),
            (io.throttleWriteBpsDevice ?? [], "blkio.throttle.write_bps_device", "wbps"),
            (io.throttleReadIOPSDevice ?? [], "blkio.throttle.read_iops_device", "riops"),
            (io.throttleWriteIOPSDevice ?? [], "blkio.throttle.write_iops_device", "wiops"),
        ]
    }

    /// The v2 controllers `resources` cannot do without.
    static func requiredV2Controllers(_ resources: RuntimeSpec.Resources?) -> Set<String> {
        guard let resources else { return [] }
        var needed: Set<String> = []
        if let memory = resources.memory, isSet(memory) { needed.insert("memory") }
        if let cpu = resources.cpu {
            if isSchedulerSet(cpu) { needed.insert("cpu") }
            if isCpusetSet(cpu) { needed.insert("cpuset") }
        }
        if resources.pids != nil { needed.insert("pids") }
        if let io = resources.blockIO, isSet(io) { needed.insert("io") }
        for key in (resources.unified ?? [:]).keys {
            if let dot = key.firstIndex(of: "."), key[..<dot] != "cgroup" { needed.insert(String(key[..<dot])) }
        }
        return needed
    }

    /// v2 controllers in the kernel's order (the order `cgroup.controllers` lists them).
    static func ordered(_ controllers: Set<String>) -> [String] {
        let order = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"]
        return order.filter(controllers.contains) + controllers.subtracting(order).sorted()
    }

    /// A controller list file (`cgroup.controllers`, `cgroup.subtree_control`) as a set.
    /// A leading `+` is dropped, so a plain-file stand-in that keeps what was written reads the same.
    static func controllerSet(_ text: String) -> Set<String> {
        Set(text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map {
            $0.hasPrefix("+") ? String($0.dropFirst()) : String($0)
        })
    }

    /// The number after `key` in a `key value` per line file (`cpu.stat`, `memory.events`).
    /// Every `key value` line of a flat-keyed file (memory.stat, cpu.stat).
    static func fields(_ text: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = UInt64(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }

    /// Read and write bytes summed over devices: v1 `8:0 Read 123` lines, v2 `8:0 rbytes=1 wbytes=2 ...` lines.
    static func ioBytes(_ text: String) -> (read: UInt64, write: UInt64) {
        var read: UInt64 = 0, write: UInt64 = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 3, let value = UInt64(parts[2]) {
                if parts[1] == "Read" { read += value } else if parts[1] == "Write" { write += value }
            } else {
                for part in parts.dropFirst() {
                    let kv = part.split(separator: "=", maxSplits: 1)
                    guard kv.count == 2, let value = UInt64(kv[1]) else { continue }
                    if kv[0] == "rbytes" { read += value } else if kv[0] == "wbytes" { write += value }
                }
            }
        }
        return (read, write)
    }

    static func field(_ key: String, in text: String) -> UInt64? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == key { return UInt64(parts[1]) }
        }
        return nil
    }

    /// A byte or count value; `max` and v1's page-rounded `LONG_MAX` are unlimited (nil).
    static func limit(_ text: String?) -> UInt64? {
        guard let text, text != "max", let value = UInt64(text) else { return nil }
        return value >= 0x7FFF_FFFF_FFFF_F000 ? nil : value
    }
}
