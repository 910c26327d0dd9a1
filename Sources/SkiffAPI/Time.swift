import Glibc
import SkiffSystem

/// RFC 3339 timestamps in UTC, as Go's time.RFC3339Nano writes them
/// (fraction without trailing zeros).
enum RFC3339 {
    static func format(seconds: Int64, nanoseconds: Int = 0) -> String {
        Timestamp.format(seconds: seconds, nanoseconds: nanoseconds, fraction: .trimmed)
    }

    /// Unix seconds of an RFC 3339 timestamp ("2024-05-01T10:00:00.5+02:00"); nil if malformed.
    static func parse(_ text: String) -> Int64? {
        Timestamp.parse(text).map { Int64($0.rounded(.down)) }
    }
}

/// A point in time as Docker's filters and `--since`/`--until` take it:
/// unix seconds ("1700000000", "1700000000.5"), RFC 3339, a date
/// ("2024-05-01"), or a duration before now ("10m", "1h30m", "24h").
func dockerTimestamp(_ value: String, now: Int64 = Int64(time(nil))) -> Int64? {
    if let seconds = Double(value), seconds.isFinite { return Int64(seconds) }
    if let date = RFC3339.parse(value) { return date }
    if value.count == 10, let date = RFC3339.parse(value + "T00:00:00Z") { return date }
    if value.count == 19, let date = RFC3339.parse(value + "Z") { return date }
    return goDuration(value).map { now - $0 }
}

/// Seconds in a Go duration ("1h30m", "90s", "1.5h", "500ms"); nil if malformed.
func goDuration(_ text: String) -> Int64? {
    let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
    var rest = Substring(text)
    var total = 0.0
    guard !rest.isEmpty else { return nil }
    while !rest.isEmpty {
        let number = rest.prefix { $0.isNumber || $0 == "." }
        guard let value = Double(number) else { return nil }
        rest = rest.dropFirst(number.count)
        let unit = rest.prefix { !$0.isNumber && $0 != "." }
        guard let scale = units.first(where: { $0.0 == unit })?.1 else { return nil }
        rest = rest.dropFirst(unit.count)
        total += value * scale
    }
    return Int64(total)
}
