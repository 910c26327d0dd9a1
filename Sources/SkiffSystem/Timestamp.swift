import Glibc

/// RFC 3339 timestamps in UTC (`2026-11-26T18:30:00.123456789Z`): one
/// formatter for the image store, the monitor's logs and the API.
public enum Timestamp {
    /// How the fraction of a second is written.
    public enum Fraction: Sendable {
        /// Nine digits (none when it is zero): containerd's and json-file's form.
        case nanoseconds
        /// Trailing zeros dropped: Go's time.RFC3339Nano.
        case trimmed
    }

    public static func format(seconds: Int64, nanoseconds: Int = 0, fraction: Fraction = .nanoseconds) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        var out = "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))"
            + "T\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))"
        if nanoseconds > 0 {
            var digits = pad(nanoseconds, 9)
            if fraction == .trimmed { while digits.hasSuffix("0") { digits.removeLast() } }
            out += "." + digits
        }
        return out + "Z"
    }

    /// The wall clock now.
    public static func now(fraction: Fraction = .nanoseconds) -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return format(seconds: Int64(ts.tv_sec), nanoseconds: Int(ts.tv_nsec), fraction: fraction)
    }
}
