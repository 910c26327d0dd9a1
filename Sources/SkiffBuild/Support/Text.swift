// Text as BuildKit (Go) sees it: lines and words are sequences of Unicode
// scalars (Go runes), never Swift Characters (a Character would glue "\r\n"
// into one element and combine marks with their base).

typealias Scalars = [Unicode.Scalar]

extension String {
    init(scalars: some Sequence<Unicode.Scalar>) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self = String(view)
    }

    var scalars: Scalars { Array(unicodeScalars) }
}

extension Unicode.Scalar {
    /// Go's `unicode.IsSpace`: ASCII and Latin-1 spaces, then Unicode White_Space.
    var isGoSpace: Bool {
        switch value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0: true
        case 0..<0x100: false
        default: properties.isWhitespace
        }
    }

    /// `unicode.IsSpace(rune(b))` over single bytes, as BuildKit tests flags and the
    /// HEALTHCHECK type: ASCII spaces only (other bytes of multi-byte characters that Go
    /// would take for spaces split the character; here they do not).
    var isByteSpace: Bool { value < 0x80 && isGoSpace }

    /// The characters of BuildKit's `reWhitespace` (`[\t\v\f\r ]`).
    var isBlank: Bool {
        switch value {
        case 0x09, 0x0B, 0x0C, 0x0D, 0x20: true
        default: false
        }
    }

    /// Go's `unicode.IsLetter`.
    var isGoLetter: Bool {
        if value < 0x80 { return (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// Go's `unicode.IsDigit` (decimal digits of any script).
    var isGoDigit: Bool {
        if value < 0x80 { return (0x30...0x39).contains(value) }
        return properties.generalCategory == .decimalNumber
    }

    var isASCIIDigit: Bool { (0x30...0x39).contains(value) }

    /// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    var isGoPrintable: Bool {
        if value == 0x20 { return true }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }
}

extension BidirectionalCollection<Unicode.Scalar> {
    /// Go's `strings.TrimSpace`.
    func trimmingGoSpace() -> SubSequence {
        guard let first = firstIndex(where: { !$0.isGoSpace }), let last = lastIndex(where: { !$0.isGoSpace }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

extension Collection<Unicode.Scalar> {
    /// Go's `strings.TrimLeftFunc(s, unicode.IsSpace)`.
    func trimmingLeadingGoSpace() -> SubSequence {
        self[(firstIndex(where: { !$0.isGoSpace }) ?? endIndex)...]
    }

    /// `reWhitespace.Split(s, 2)`: the text before the first run of blanks and the text after it.
    func splitAtFirstBlankRun() -> (SubSequence, SubSequence?) {
        guard let start = firstIndex(where: \.isBlank) else { return (self[...], nil) }
        let end = self[start...].firstIndex(where: { !$0.isBlank }) ?? endIndex
        return (self[..<start], self[end...])
    }

    /// `reWhitespace.Split(s, -1)`.
    func splitAtBlankRuns() -> [SubSequence] {
        var parts: [SubSequence] = []
        var start = startIndex
        var index = startIndex
        while index != endIndex {
            if self[index].isBlank {
                parts.append(self[start..<index])
                while index != endIndex, self[index].isBlank { index = self.index(after: index) }
                start = index
            } else {
                index = self.index(after: index)
            }
        }
        parts.append(self[start..<endIndex])
        return parts
    }
}

enum GoText {
    /// Go's `strconv.Quote` (and so `%q` and `%#v` of a string).
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.isGoPrintable: out.unicodeScalars.append(scalar)
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex(scalar.value, width: 2)
                } else if scalar.value < 0x10000 {
                    out += "\\u" + hex(scalar.value, width: 4)
                } else {
                    out += "\\U" + hex(scalar.value, width: 8)
                }
            }
        }
        return out + "\""
    }

    /// The `time` package's own quoting in its error messages: non-ASCII and control
    /// characters become `\x` escapes of their UTF-8 bytes.
    static func timeQuote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            if scalar.value >= 0x80 || scalar.value < 0x20 {
                for byte in String(scalar).utf8 { out += "\\x" + hex(UInt32(byte), width: 2) }
            } else {
                if scalar == "\"" || scalar == "\\" { out += "\\" }
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Go's `strconv.ParseBool`.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }

    /// Go's `strconv.ParseUint(text, base, 32)` for base 8 or 10: digits only.
    static func parseUInt32(_ text: String, radix: Int) -> UInt32? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 < 0x30 + UInt8(radix) }) else { return nil }
        return UInt32(text, radix: radix)
    }

    /// Go's `strconv.Atoi`: an optional sign and decimal digits that fit an Int64.
    static func atoi(_ text: String) -> Int? {
        var digits = Substring(text)
        if let sign = digits.first, sign == "+" || sign == "-" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text.hasPrefix("+") ? String(text.dropFirst()) : text)
    }
}

/// BuildKit's `suggest.Search`: the option within edit distance 2 of `value`, for
/// "(did you mean ...?)". Ties go to the first option.
enum Suggestion {
    static func search(_ value: String, in options: [String], caseSensitive: Bool) -> String? {
        let target = caseSensitive ? value : value.lowercased()
        var best: String?
        var bestDistance = 3
        for option in options {
            let candidate = caseSensitive ? option : option.lowercased()
            if candidate == target { return nil }
            let distance = levenshtein(target.scalars, candidate.scalars)
            if distance < bestDistance {
                bestDistance = distance
                best = caseSensitive ? candidate : matchCase(candidate, like: value)
            }
        }
        return best
    }

    /// `message` with BuildKit's suggestion appended when one is close enough.
    static func wrap(_ message: String, value: String, options: [String], caseSensitive: Bool) -> String {
        guard let match = search(value, in: options, caseSensitive: caseSensitive) else { return message }
        return message + " (did you mean \(match)?)"
    }

    private static func matchCase(_ value: String, like original: String) -> String {
        if original == original.lowercased() { return value.lowercased() }
        if original == original.uppercased() { return value.uppercased() }
        return value
    }

    private static func levenshtein(_ a: Scalars, _ b: Scalars) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
