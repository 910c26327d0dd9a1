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

    /// Unix seconds (with the fraction) of an RFC 3339 timestamp
    /// ("2024-05-01T10:00:00.5+02:00"); nil if malformed.
    public static func parse(_ text: String) -> Double? {
        let chars = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= chars.count else { return nil }
            var value = 0
            for c in chars[from..<(from + count)] {
                guard c >= 0x30, c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            return value
        }
        guard chars.count >= 20, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return nil }
        var tm = tm()
        tm.tm_year = Int32(year - 1900)
        tm.tm_mon = Int32(month - 1)
        tm.tm_mday = Int32(day)
        tm.tm_hour = Int32(hour)
        tm.tm_min = Int32(minute)
        tm.tm_sec = Int32(second)
        var seconds = Double(timegm(&tm))
        var i = 19
        if i < chars.count, chars[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < chars.count, chars[i] >= 0x30, chars[i] <= 0x39 {
                seconds += Double(chars[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
        }
        guard i < chars.count else { return nil }
        switch chars[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            return seconds
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = number(i + 1, 2), let om = number(i + 4, 2) else { return nil }
            let offset = Double(oh * 3600 + om * 60)
            seconds += chars[i] == UInt8(ascii: "+") ? -offset : offset
            return seconds
        default:
            return nil
        }
    }
}
