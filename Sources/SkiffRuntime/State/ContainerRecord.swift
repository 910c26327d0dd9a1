import FoundationEssentials
import Glibc
import SkiffCgroups
import SkiffOCI

/// What the runtime remembers about a container between commands
/// (`<root>/<id>/state.json`): small, because every command reads it.
struct ContainerRecord: Codable, Sendable {
    var id: String
    var bundle: String
    var rootfs: String
    var pid: Int32
    /// Start time of `pid` in clock ticks since boot (/proc/PID/stat field 22),
    /// so a reused pid is never mistaken for the container.
    var pidStartTime: UInt64
    /// RFC 3339.
    var created: String
    var owner: String
    var cgroup: CgroupPaths?
    /// Namespace files `exec` joins, by OCI type.
    var namespaces: [String: String]
    var annotations: [String: String]?
    /// The hooks later commands run; the whole config is kept beside this
    /// record as the bytes read (`config.json`), for `exec`.
    var poststart: [RuntimeSpec.Hook]?
    var poststop: [RuntimeSpec.Hook]?

    func ociState(status: RuntimeState.Status) -> RuntimeState {
        RuntimeState(id: id, status: status, pid: status == .stopped ? nil : pid, bundle: bundle, annotations: annotations)
    }
}

/// A process identity that survives pid reuse.
enum ProcessInfo {
    /// Field 22 of /proc/PID/stat, nil if the process is gone.
    static func startTime(_ pid: Int32) -> UInt64? {
        guard let stat = try? FileIO.readString("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3); start time is field 22.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The process state letter (R, S, Z, ...), nil if gone.
    static func state(_ pid: Int32) -> Character? {
        guard let stat = try? FileIO.readString("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ").first?.first
    }

    /// True while `pid` is the process recorded and has not exited.
    static func isAlive(_ pid: Int32, startTime: UInt64) -> Bool {
        guard pid > 0, Self.startTime(pid) == startTime else { return false }
        return state(pid) != "Z" && state(pid) != "X"
    }
}

enum Clock {
    /// Now, as RFC 3339 with nanoseconds (`2026-11-26T15:40:00.123456789Z`).
    static func rfc3339() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var tm = tm()
        var secs = ts.tv_sec
        gmtime_r(&secs, &tm)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%S", &tm)
        let base = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var nanos = String(ts.tv_nsec)
        while nanos.count < 9 { nanos = "0" + nanos }
        return "\(base).\(nanos)Z"
    }
}
