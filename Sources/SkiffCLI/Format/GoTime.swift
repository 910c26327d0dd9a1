import Glibc

/// Times as Go formats and parses them for docker: `Time.String`, RFC 3339, and the
/// `--since`/`--until` values of `docker logs`.
enum GoTime {
    /// Go's `time.Unix(s, ns).String()` in the local zone: "2006-01-02 15:04:05.999999999 -0700 MST".
    static func string(seconds: Int64, nanos: Int64 = 0) -> String {
        let tm = local(seconds)
        var s = date(tm) + " " + clock(tm)
        if nanos > 0 {
            var frac = String(nanos)
            frac = String(repeating: "0", count: 9 - frac.count) + frac
            while frac.hasSuffix("0") { frac.removeLast() }
            s += "." + frac
        }
        return s + " " + offset(tm, colon: false) + " " + zoneName(tm)
    }

    /// A time decoded from JSON as Go prints it (`Time.String`), in the zone it was written
    /// with: "Z" is UTC; an offset is the local zone when it is the local offset at that
    /// instant, else a zone named by the offset ("+0100 +0100"). Nil if not RFC 3339.
    static func string(rfc3339 text: String) -> String? {
        guard let (seconds, nanos) = parse(text), text.utf8.count >= 20 else { return nil }
        var s = String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(8))
        if nanos > 0 {
            var frac = String(nanos)
            frac = String(repeating: "0", count: 9 - frac.count) + frac
            while frac.hasSuffix("0") { frac.removeLast() }
            s += "." + frac
        }
        let zone = text.dropFirst(19).drop { $0 == "." || $0.isASCII && $0.isNumber }
        guard zone.count == 6, let h = Int(zone.dropFirst().prefix(2)), let m = Int(zone.suffix(2)) else { return s + " +0000 UTC" }
        let offset = (zone.first == "-" ? -1 : 1) * (h * 3600 + m * 60)
        let tm = local(seconds)
        if Int(tm.tm_gmtoff) == offset { return s + " " + self.offset(tm, colon: false) + " " + zoneName(tm) }
        let name = String(zone.first!) + two(Int32(h)) + two(Int32(m))
        return s + " " + name + " " + name
    }

    /// RFC 3339 in the local zone ("2006-01-02T15:04:05Z07:00").
    static func rfc3339(seconds: Int64) -> String {
        let tm = local(seconds)
        return date(tm) + "T" + clock(tm) + (tm.tm_gmtoff == 0 ? "Z" : offset(tm, colon: true))
    }

    /// Go's "2006-01-02T15:04:05.000000000Z07:00" (nine digits always) in the local zone: `docker events`.
    static func rfc3339NanoFixed(nanoseconds: Int64) -> String {
        var seconds = nanoseconds / 1_000_000_000
        var nanos = nanoseconds % 1_000_000_000
        if nanos < 0 {
            seconds -= 1
            nanos += 1_000_000_000
        }
        let tm = local(seconds)
        let fraction = String(nanos)
        return date(tm) + "T" + clock(tm) + "." + String(repeating: "0", count: 9 - fraction.count) + fraction
            + (tm.tm_gmtoff == 0 ? "Z" : offset(tm, colon: true))
    }

    /// Parses RFC 3339 with an optional fraction ("2024-05-01T10:00:00.123456789Z",
    /// "...+02:00"); without a zone the local one is assumed. Dates alone mean midnight.
    static func parse(_ text: String) -> (seconds: Int64, nanos: Int64)? {
        let chars = Array(text.utf8)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= chars.count else { return nil }
            var v = 0
            for k in 0..<digits {
                let c = chars[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += digits
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < chars.count, chars[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2) else { return nil }
        var hour = 0, minute = 0, second = 0
        var nanos: Int64 = 0
        if expect("T") {
            guard let h = number(2) else { return nil }
            hour = h
            if expect(":") {
                guard let m = number(2) else { return nil }
                minute = m
                if expect(":") {
                    guard let s = number(2) else { return nil }
                    second = s
                    if expect(".") {
                        var digits = 0
                        while i < chars.count, chars[i] >= 48 && chars[i] <= 57 {
                            if digits < 9 { nanos = nanos * 10 + Int64(chars[i] - 48) }
                            digits += 1
                            i += 1
                        }
                        guard digits > 0 else { return nil }
                        for _ in digits..<max(digits, 9) { nanos *= 10 }
                    }
                }
            }
        }
        var tm = tm()
        tm.tm_year = Int32(year - 1900)
        tm.tm_mon = Int32(month - 1)
        tm.tm_mday = Int32(day)
        tm.tm_hour = Int32(hour)
        tm.tm_min = Int32(minute)
        tm.tm_sec = Int32(second)
        if i == chars.count {
            tm.tm_isdst = -1
            return (Int64(mktime(&tm)), nanos)
        }
        var offsetSeconds = 0
        if expect("Z") || expect("z") {
            offsetSeconds = 0
        } else if i < chars.count, chars[i] == UInt8(ascii: "+") || chars[i] == UInt8(ascii: "-") {
            let sign = chars[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = number(2), expect(":"), let om = number(2) else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == chars.count else { return nil }
        return (Int64(timegm(&tm)) - Int64(offsetSeconds), nanos)
    }

    /// docker's `GetTimestamp` for `--since`/`--until`: a duration before `now`, an RFC 3339
    /// date or time, or a unix timestamp passed through.
    static func apiTimestamp(_ value: String, now: Double) throws(CLIError) -> String {
        if value != "0", let d = try? GoDuration.parse(value) {
            return String(Int64((now - Double(d) / 1e9).rounded(.down)))
        }
        if let (s, n) = parse(value) {
            var frac = String(n)
            frac = String(repeating: "0", count: 9 - frac.count) + frac
            return "\(s).\(frac)"
        }
        if value.contains("-") {
            throw CLIError("parsing time \(goQuote(value)): cannot parse as RFC 3339")
        }
        let parts = value.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard Int64(parts[0]) != nil, parts.count == 1 || Int64(parts[1]) != nil else {
            throw CLIError("failed to parse value as time or duration: \(goQuote(value))")
        }
        return value
    }

    private static func local(_ seconds: Int64) -> tm {
        var t = time_t(seconds)
        var result = tm()
        localtime_r(&t, &result)
        return result
    }

    private static func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }

    private static func date(_ tm: tm) -> String {
        "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))"
    }

    private static func clock(_ tm: tm) -> String {
        "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))"
    }

    private static func offset(_ tm: tm, colon: Bool) -> String {
        let off = Int(tm.tm_gmtoff)
        let sign = off < 0 ? "-" : "+"
        let h = Int32(abs(off) / 3600), m = Int32(abs(off) % 3600 / 60)
        return sign + two(h) + (colon ? ":" : "") + two(m)
    }

    private static func zoneName(_ tm: tm) -> String {
        guard let zone = tm.tm_zone else { return "UTC" }
        let name = String(cString: zone)
        return name == "GMT" && tm.tm_gmtoff == 0 ? "UTC" : name
    }
}
