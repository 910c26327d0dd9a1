import Glibc
import SkiffSystem

/// Wall-clock timestamps as json-file writes them, and a monotonic clock for timers.
public enum Clock {
    /// Now in RFC 3339 with nanoseconds, UTC: `2026-11-26T18:30:00.123456789Z`.
    public static func timestamp() -> String {
        Timestamp.now()
    }

    /// Monotonic nanoseconds.
    public static func monotonic() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
