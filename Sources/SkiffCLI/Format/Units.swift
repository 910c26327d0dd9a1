import Glibc

/// A value that does not parse, with docker's wording.
struct ParseError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Sizes, CPU counts and durations as github.com/docker/go-units reads and prints them.
enum Units {
    /// units.RAMInBytes: "512m", "1g", "1.5GiB", "100" (binary multiples).
    static func ramInBytes(_ text: String) throws(ParseError) -> Int64 {
        let bytes = Array(text.utf8)
        guard let sep = bytes.lastIndex(where: { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: " ") }) else {
            throw ParseError("invalid size: '\(text)'")
        }
        let numberEnd = bytes[sep] == UInt8(ascii: " ") ? sep : sep + 1
        let number = String(decoding: bytes[..<numberEnd], as: UTF8.self)
        var suffix = String(decoding: bytes[(sep + 1)...], as: UTF8.self)
        guard let size = GoFloat.parse(number) else {
            throw ParseError("strconv.ParseFloat: parsing \(goQuote(number)): invalid syntax")
        }
        guard size >= 0 else { throw ParseError("invalid size: '\(text)'") }
        if suffix.isEmpty { return Int64(size) }
        let badSuffix = ParseError("invalid suffix: '\(suffix)'")
        guard suffix.utf8.count <= 3 else { throw badSuffix }
        suffix = suffix.lowercased()
        let chars = Array(suffix)
        if chars[0] == "b" {
            guard chars.count == 1 else { throw badSuffix }
            return Int64(size)
        }
        let multipliers: [Character: Double] = ["k": 0x1p10, "m": 0x1p20, "g": 0x1p30, "t": 0x1p40, "p": 0x1p50]
        guard let mul = multipliers[chars[0]] else { throw badSuffix }
        if chars.count == 2 && chars[1] != "b" { throw badSuffix }
        if chars.count == 3 && String(chars[1...]) != "ib" { throw badSuffix }
        return Int64(size * mul)
    }

    /// opts.ParseCPUs: a decimal or a ratio ("1.5", "3/2") in billionths of a CPU.
    static func nanoCPUs(_ text: String) throws(ParseError) -> Int64 {
        let invalid = ParseError("failed to parse \(text) as a rational number")
        if let slash = text.firstIndex(of: "/") {
            guard let num = Int64(text[..<slash]), let den = Int64(text[text.index(after: slash)...]), den != 0 else {
                throw invalid
            }
            let (scaled, overflow) = num.multipliedReportingOverflow(by: 1_000_000_000)
            guard !overflow else { throw invalid }
            guard scaled % den == 0 else { throw ParseError("value is too precise") }
            return scaled / den
        }
        // Decimal: sign, digits, optional fraction, optional exponent.
        var s = Substring(text)
        var negative = false
        if s.first == "+" || s.first == "-" {
            negative = s.first == "-"
            s = s.dropFirst()
        }
        var exponent = 9
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let x = Int(s[s.index(after: e)...]) else { throw invalid }
            exponent += x
            s = s[..<e]
        }
        var digits = ""
        if let dot = s.firstIndex(of: ".") {
            let fraction = s[s.index(after: dot)...]
            digits = String(s[..<dot]) + fraction
            exponent -= fraction.count
        } else {
            digits = String(s)
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { throw invalid }
        while exponent < 0 {
            guard digits.last == "0" else {
                if digits.allSatisfy({ $0 == "0" }) { return 0 }
                throw ParseError("value is too precise")
            }
            digits.removeLast()
            exponent += 1
        }
        guard exponent < 30, var value = Int64(digits) else { throw invalid }
        for _ in 0..<exponent {
            let (v, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw invalid }
            value = v
        }
        return negative ? -value : value
    }

    /// units.HumanSizeWithPrecision: decimal units, `precision` significant digits ("4.26MB").
    static func humanSize(_ size: Double, precision: Int = 3) -> String {
        let abbrs = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        var size = size
        var i = 0
        while size >= 1000 && i < abbrs.count - 1 {
            size /= 1000
            i += 1
        }
        return formatG(size, precision: precision) + abbrs[i]
    }

    /// units.BytesSize: binary units, 4 significant digits ("1.5GiB").
    static func bytesSize(_ size: Double) -> String {
        let abbrs = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
        var size = size
        var i = 0
        while size >= 1024 && i < abbrs.count - 1 {
            size /= 1024
            i += 1
        }
        return formatG(size, precision: 4) + abbrs[i]
    }

    /// printf's `%.*g` (which Go's `%g` matches for these values).
    static func formatG(_ value: Double, precision: Int) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        _ = withVaList([Int32(precision), value]) { vsnprintf(&buf, buf.count, "%.*g", $0) }
        return String(cChars: buf)
    }

    /// units.HumanDuration: "Less than a second", "3 seconds", "About a minute", "2 hours"...
    static func humanDuration(seconds d: Double) -> String {
        let seconds = Int(d)
        if seconds < 1 { return "Less than a second" }
        if seconds == 1 { return "1 second" }
        if seconds < 60 { return "\(seconds) seconds" }
        let minutes = Int(d / 60)
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int((d / 3600).rounded())
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(Int(d / 3600) / 24 / 365) years"
    }
}

/// Go's strconv.ParseFloat for plain decimal text.
enum GoFloat {
    static func parse(_ text: String) -> Double? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCIIDigit || "+-.eE_".contains($0) }) else { return nil }
        return Double(text.filter { $0 != "_" })
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
