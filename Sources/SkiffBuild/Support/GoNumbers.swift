// Go's number parsers as BuildKit uses them for flag values, with Go's error
// messages (they reach the user verbatim).

enum GoNumbers {
    /// `time.ParseDuration`, in nanoseconds; the error is Go's message.
    static func parseDuration(_ text: String) -> Result<Int64, ExpansionError> {
        let original = text
        var s = Array(text.utf8)[...]
        func invalid() -> Result<Int64, ExpansionError> {
            .failure(ExpansionError("time: invalid duration " + GoText.timeQuote(original)))
        }
        var negative = false
        if let sign = s.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            s = s.dropFirst()
        }
        if s.elementsEqual([UInt8(ascii: "0")]) { return .success(0) }
        if s.isEmpty { return invalid() }
        let limit: UInt64 = 1 << 63
        var total: UInt64 = 0
        while !s.isEmpty {
            guard s.first == UInt8(ascii: ".") || isDigit(s.first!) else { return invalid() }
            // Integer part.
            var whole: UInt64 = 0
            let before = s.count
            while let c = s.first, isDigit(c) {
                if whole > limit / 10 { return invalid() }
                whole = whole * 10 + UInt64(c - 0x30)
                if whole > limit { return invalid() }
                s = s.dropFirst()
            }
            let hadWhole = s.count != before
            // Fraction.
            var fraction: UInt64 = 0
            var scale: Double = 1
            var hadFraction = false
            if s.first == UInt8(ascii: ".") {
                s = s.dropFirst()
                let start = s.count
                var overflow = false
                while let c = s.first, isDigit(c) {
                    s = s.dropFirst()
                    if overflow { continue }
                    if fraction > (limit - 1) / 10 {
                        overflow = true
                        continue
                    }
                    let next = fraction * 10 + UInt64(c - 0x30)
                    if next > limit {
                        overflow = true
                        continue
                    }
                    fraction = next
                    scale *= 10
                }
                hadFraction = s.count != start
            }
            if !hadWhole && !hadFraction { return invalid() }
            // Unit.
            let unitEnd = s.firstIndex(where: { $0 == UInt8(ascii: ".") || isDigit($0) }) ?? s.endIndex
            let unitText = String(decoding: s[..<unitEnd], as: UTF8.self)
            s = s[unitEnd...]
            if unitText.isEmpty {
                return .failure(ExpansionError("time: missing unit in duration " + GoText.timeQuote(original)))
            }
            guard let unit = units[unitText] else {
                return .failure(ExpansionError(
                    "time: unknown unit " + GoText.timeQuote(unitText) + " in duration " + GoText.timeQuote(original)))
            }
            if whole > limit / unit { return invalid() }
            whole *= unit
            if fraction > 0 {
                whole += UInt64(Double(fraction) * (Double(unit) / scale))
                if whole > limit { return invalid() }
            }
            total += whole
            if total > limit { return invalid() }
        }
        if negative { return .success(total == limit ? Int64.min : -Int64(total)) }
        if total > limit - 1 { return invalid() }
        return .success(Int64(total))
    }

    static let units: [String: UInt64] = [
        "ns": 1, "us": 1_000, "\u{00B5}s": 1_000, "\u{03BC}s": 1_000, "ms": 1_000_000,
        "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// `strconv.ParseInt(text, 10, 32)`; the error is Go's message.
    static func parseInt32(_ text: String) -> Result<Int, ExpansionError> {
        func failure(_ reason: String) -> Result<Int, ExpansionError> {
            .failure(ExpansionError("strconv.ParseInt: parsing \(GoText.quote(text)): \(reason)"))
        }
        var digits = Array(text.utf8)[...]
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        if digits.isEmpty { return failure("invalid syntax") }
        let maximum: UInt64 = (1 << 32) - 1
        var value: UInt64 = 0
        for c in digits {
            guard isDigit(c) else { return failure("invalid syntax") }
            value = value * 10 + UInt64(c - 0x30)
            if value > maximum { return failure("value out of range") }
        }
        let cutoff: UInt64 = 1 << 31
        if !negative && value >= cutoff { return failure("value out of range") }
        if negative && value > cutoff { return failure("value out of range") }
        return .success(negative ? -Int(value) : Int(value))
    }

    /// docker/go-units `RAMInBytes`: a number with an optional binary unit
    /// (`64m`, `1.5GiB`, `512 kb`).
    static func ramInBytes(_ text: String) -> Int64? {
        let scalars = text.scalars
        guard let separator = scalars.lastIndex(where: { $0.isASCIIDigit || $0 == "." || $0 == " " }) else { return nil }
        let number = scalars[separator] == " " ? scalars[..<separator] : scalars[...separator]
        let suffix = String(scalars: scalars[(separator + 1)...]).lowercased()
        guard let size = parseFloat(String(scalars: number)), size >= 0 else { return nil }
        var multiplier: Double = 1
        if !suffix.isEmpty {
            let units: [Character: Double] = ["k": 0x1p10, "m": 0x1p20, "g": 0x1p30, "t": 0x1p40, "p": 0x1p50]
            let characters = Array(suffix)
            guard characters.count <= 3 else { return nil }
            if characters[0] == "b" {
                guard characters.count == 1 else { return nil }
            } else {
                guard let unit = units[characters[0]] else { return nil }
                multiplier = unit
                if characters.count == 2 && characters[1] != "b" { return nil }
                if characters.count == 3 && String(characters[1...]) != "ib" { return nil }
            }
        }
        let bytes = size * multiplier
        return bytes >= 9.2e18 ? Int64.max : Int64(bytes)
    }

    /// A decimal `strconv.ParseFloat`: `[+-]digits[.digits][e[+-]digits]`.
    static func parseFloat(_ text: String) -> Double? {
        var rest = Substring(text)
        if rest.first == "+" || rest.first == "-" { rest = rest.dropFirst() }
        let mantissa = rest.prefix(while: { $0 != "e" && $0 != "E" })
        let digits = mantissa.filter { $0 != "." }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
              mantissa.count(where: { $0 == "." }) <= 1 else { return nil }
        let exponent = rest.dropFirst(mantissa.count)
        if !exponent.isEmpty {
            var exponentDigits = exponent.dropFirst()
            if exponentDigits.first == "+" || exponentDigits.first == "-" { exponentDigits = exponentDigits.dropFirst() }
            guard !exponentDigits.isEmpty, exponentDigits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        }
        return Double(text)
    }
}
