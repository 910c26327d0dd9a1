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
    /// State letter (field 3) and start time in clock ticks (field 22) of
    /// /proc/PID/stat, nil if the process is gone.
    static func stat(_ pid: Int32) -> (state: Character, startTime: UInt64)? {
        guard let text = try? FileIO.readString("/proc/\(pid)/stat"),
              let close = text.lastIndex(of: ")") else { return nil }
        // After the command name: fields[0] is field 3, fields[19] field 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return (state, start)
    }

    static func startTime(_ pid: Int32) -> UInt64? {
        stat(pid)?.startTime
    }

    /// True while `pid` is the process recorded and has not exited.
    static func isAlive(_ pid: Int32, startTime: UInt64) -> Bool {
        guard pid > 0, let info = stat(pid), info.startTime == startTime else { return false }
        return info.state != "Z" && info.state != "X"
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
