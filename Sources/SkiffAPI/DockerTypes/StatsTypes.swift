import SkiffOCI

/// Docker's `ContainerStatsResponse` (API v1.47), in dockerd's snake_case.
struct StatsResponse: Encodable, Sendable {
    var name: String
    var id: String
    var read: String
    var preread: String
    var pidsStats: PidsStats
    var blkioStats: BlkioStats
    var numProcs = 0
    var storageStats = EmptyObject()
    var cpuStats: CPUStats
    var precpuStats: CPUStats
    var memoryStats: MemoryStats
    var networks: [String: NetworkStats]?

    enum CodingKeys: String, CodingKey {
        case name, id, read, preread, networks
        case pidsStats = "pids_stats", blkioStats = "blkio_stats", numProcs = "num_procs", storageStats = "storage_stats"
        case cpuStats = "cpu_stats", precpuStats = "precpu_stats", memoryStats = "memory_stats"
    }

    struct PidsStats: Encodable, Sendable {
        var current: UInt64?
        var limit: UInt64?
    }

    struct BlkioStats: Encodable, Sendable {
        var ioServiceBytesRecursive: [BlkioEntry]?
        enum CodingKeys: String, CodingKey { case ioServiceBytesRecursive = "io_service_bytes_recursive" }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: AnyKey.self)
            try c.encode(ioServiceBytesRecursive, forKey: AnyKey("io_service_bytes_recursive"))
            for key in ["io_serviced_recursive", "io_queue_recursive", "io_service_time_recursive", "io_wait_time_recursive",
                        "io_merged_recursive", "io_time_recursive", "sectors_recursive"] {
                try c.encodeNil(forKey: AnyKey(key))
            }
        }
    }

    struct BlkioEntry: Encodable, Sendable {
        var major: UInt64 = 0
        var minor: UInt64 = 0
        var op: String
        var value: UInt64
    }

    struct CPUStats: Encodable, Sendable {
        var cpuUsage = CPUUsage()
        var systemCPUUsage: UInt64?
        var onlineCPUs: Int?
        var throttlingData = Throttling()

        enum CodingKeys: String, CodingKey {
            case cpuUsage = "cpu_usage", systemCPUUsage = "system_cpu_usage", onlineCPUs = "online_cpus"
            case throttlingData = "throttling_data"
        }
    }

    struct CPUUsage: Encodable, Sendable {
        var totalUsage: UInt64 = 0
        var usageInKernelmode: UInt64 = 0
        var usageInUsermode: UInt64 = 0
        enum CodingKeys: String, CodingKey {
            case totalUsage = "total_usage", usageInKernelmode = "usage_in_kernelmode", usageInUsermode = "usage_in_usermode"
        }
    }

    struct Throttling: Encodable, Sendable {
        var periods: UInt64 = 0
        var throttledPeriods: UInt64 = 0
        var throttledTime: UInt64 = 0
        enum CodingKeys: String, CodingKey {
            case periods, throttledPeriods = "throttled_periods", throttledTime = "throttled_time"
        }
    }

    struct MemoryStats: Encodable, Sendable {
        var usage: UInt64?
        var stats: [String: UInt64]?
        var limit: UInt64?
    }

    struct NetworkStats: Encodable, Sendable {
        var rxBytes: UInt64, rxPackets: UInt64, rxErrors: UInt64, rxDropped: UInt64
        var txBytes: UInt64, txPackets: UInt64, txErrors: UInt64, txDropped: UInt64
        enum CodingKeys: String, CodingKey {
            case rxBytes = "rx_bytes", rxPackets = "rx_packets", rxErrors = "rx_errors", rxDropped = "rx_dropped"
            case txBytes = "tx_bytes", txPackets = "tx_packets", txErrors = "tx_errors", txDropped = "tx_dropped"
        }
    }
}

/// A coding key from a string (for keys Docker spells per case).
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// `GET /containers/{id}/top`.
struct TopResponse: Encodable, Sendable {
    var titles: [String]
    var processes: [[String]]
    enum CodingKeys: String, CodingKey { case titles = "Titles", processes = "Processes" }
}

/// `POST /containers/{id}/update` body (the resource fields and RestartPolicy).
struct UpdateRequest: Decodable, Sendable {
    var memory: Int64?
    var memoryReservation: Int64?
    var memorySwap: Int64?
    var nanoCpus: Int64?
    var cpuShares: Int64?
    var cpuQuota: Int64?
    var cpuPeriod: Int64?
    var cpusetCpus: String?
    var cpusetMems: String?
    var pidsLimit: Int64?
    var restartPolicy: RestartPolicy?

    enum CodingKeys: String, CodingKey {
        case memory = "Memory", memoryReservation = "MemoryReservation", memorySwap = "MemorySwap", nanoCpus = "NanoCpus"
        case cpuShares = "CpuShares", cpuQuota = "CpuQuota", cpuPeriod = "CpuPeriod", cpusetCpus = "CpusetCpus"
        case cpusetMems = "CpusetMems", pidsLimit = "PidsLimit", restartPolicy = "RestartPolicy"
    }
}

struct UpdateResponse: Encodable, Sendable {
    var warnings: [String] = []
    enum CodingKeys: String, CodingKey { case warnings = "Warnings" }
}
