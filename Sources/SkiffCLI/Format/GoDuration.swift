/// Go's time.Duration: parsed as time.ParseDuration, printed as Duration.String.
enum GoDuration {
    /// time.ParseDuration: "10s", "1m30s", "1.5h", "300ms", "-2h45m"; in nanoseconds.
    static func parse(_ text: String) throws(ParseError) -> Int64 {
        let invalid = ParseError("time: invalid duration \(goQuote(text))")
        var s = Substring(text)
        var negative = false
        if let c = s.first, c == "-" || c == "+" {
            negative = c == "-"
            s = s.dropFirst()
        }
        if s == "0" { return 0 }
        guard !s.isEmpty else { throw invalid }
        var total: Double = 0
        while !s.isEmpty {
            let numberEnd = s.firstIndex { !($0.isASCIIDigit || $0 == ".") } ?? s.endIndex
            let number = s[..<numberEnd]
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1, let value = Double(number) else {
                throw invalid
            }
            s = s[numberEnd...]
            let unitEnd = s.firstIndex { $0.isASCIIDigit || $0 == "." } ?? s.endIndex
            let unit = String(s[..<unitEnd])
            s = s[unitEnd...]
            let scale: Double
            switch unit {
            case "": throw ParseError("time: missing unit in duration \(goQuote(text))")
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: throw ParseError("time: unknown unit \(goQuote(unit)) in duration \(goQuote(text))")
            }
            total += value * scale
        }
        guard total < 9.3e18 else { throw invalid }
        return Int64(negative ? -total : total)
    }

    /// Duration.String: "1m30s", "500ms", "0s".
    static func string(_ nanos: Int64) -> String {
        if nanos == 0 { return "0s" }
        let negative = nanos < 0
        let u = nanos.magnitude
        var out: String
        if u < 1_000_000_000 {
            if u < 1000 {
                out = "\(u)ns"
            } else if u < 1_000_000 {
                out = fraction(u, 1000) + "µs"
            } else {
                out = fraction(u, 1_000_000) + "ms"
            }
        } else {
            let hours = u / 3_600_000_000_000
            let minutes = u / 60_000_000_000 % 60
            let secondsPart = u % 60_000_000_000
            out = fraction(secondsPart, 1_000_000_000) + "s"
            if hours > 0 || minutes > 0 { out = "\(minutes)m" + out }
            if hours > 0 { out = "\(hours)h" + out }
        }
        return negative ? "-" + out : out
    }

    private static func fraction(_ value: UInt64, _ unit: UInt64) -> String {
        let whole = value / unit
        var rest = value % unit
        guard rest > 0 else { return "\(whole)" }
        var digits = ""
        var scale = unit / 10
        while rest > 0 {
            digits += "\(rest / scale)"
            rest %= scale
            scale /= 10
        }
        return "\(whole).\(digits)"
    }
}
