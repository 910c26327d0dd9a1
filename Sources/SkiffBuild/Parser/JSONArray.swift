/// The exec form's JSON array as BuildKit reads it (`json.Unmarshal` into `[]any`):
/// the whole text must be one valid JSON value, and every element of the array a
/// string. Iterative, so deep nesting cannot exhaust the stack; Go's nesting limit
/// (10000) makes deeper input invalid, as there.
enum JSONArray {
    enum Result: Equatable {
        /// A JSON array of strings.
        case strings([String])
        /// Valid JSON, but an element is not a string.
        case notStringArray
        /// Not valid JSON: BuildKit then reads the text as the shell form.
        case invalid
    }

    static let maximumDepth = 10_000

    static func parse(_ text: ArraySlice<Unicode.Scalar>) -> Result {
        var parser = Parser(text: Array(text))
        guard parser.run() else { return .invalid }
        return parser.allStrings ? .strings(parser.strings) : .notStringArray
    }

    private struct Parser {
        enum Container { case array, object }

        let text: Scalars
        var index = 0
        var stack: [Container] = []
        var strings: [String] = []
        var allStrings = true

        init(text: Scalars) {
            self.text = text
        }

        var current: Unicode.Scalar? { index < text.count ? text[index] : nil }

        mutating func skipSpace() {
            while let scalar = current, scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                index += 1
            }
        }

        /// Whether the text is exactly one JSON value (an array: the caller checked `[`).
        mutating func run() -> Bool {
            var expectingValue = true
            while true {
                if expectingValue {
                    skipSpace()
                    guard let scalar = current else { return false }
                    let direct = stack.count == 1
                    switch scalar {
                    case "[", "{":
                        if direct { allStrings = false }
                        stack.append(scalar == "[" ? .array : .object)
                        if stack.count > JSONArray.maximumDepth { return false }
                        index += 1
                        skipSpace()
                        if current == (scalar == "[" ? "]" : "}") {
                            index += 1
                            stack.removeLast()
                            expectingValue = false
                        } else if scalar == "{" {
                            guard objectKey() else { return false }
                        }
                        continue
                    case "\"":
                        guard let string = parseString() else { return false }
                        if direct { strings.append(string) }
                    case "t":
                        guard literal("true") else { return false }
                        if direct { allStrings = false }
                    case "f":
                        guard literal("false") else { return false }
                        if direct { allStrings = false }
                    case "n":
                        guard literal("null") else { return false }
                        if direct { allStrings = false }
                    default:
                        guard number() else { return false }
                        if direct { allStrings = false }
                    }
                    expectingValue = false
                    continue
                }
                skipSpace()
                guard let container = stack.last else { return current == nil }
                switch (container, current) {
                case (_, ","):
                    index += 1
                    if container == .object {
                        skipSpace()
                        guard objectKey() else { return false }
                    }
                    expectingValue = true
                case (.array, "]"), (.object, "}"):
                    index += 1
                    stack.removeLast()
                default:
                    return false
                }
            }
        }

        /// `"key" :` of an object member.
        mutating func objectKey() -> Bool {
            guard current == "\"", parseString() != nil else { return false }
            skipSpace()
            guard current == ":" else { return false }
            index += 1
            return true
        }

        mutating func literal(_ word: String) -> Bool {
            for scalar in word.unicodeScalars {
                guard current == scalar else { return false }
                index += 1
            }
            return true
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        mutating func number() -> Bool {
            if current == "-" { index += 1 }
            guard let first = current, first.isASCIIDigit else { return false }
            index += 1
            if first != "0" { digits() }
            if current == "." {
                index += 1
                guard current?.isASCIIDigit == true else { return false }
                digits()
            }
            if current == "e" || current == "E" {
                index += 1
                if current == "+" || current == "-" { index += 1 }
                guard current?.isASCIIDigit == true else { return false }
                digits()
            }
            return true
        }

        mutating func digits() {
            while current?.isASCIIDigit == true { index += 1 }
        }

        /// A string, unescaped as Go does (a lone surrogate becomes U+FFFD).
        mutating func parseString() -> String? {
            index += 1
            var out: Scalars = []
            while let scalar = current {
                index += 1
                switch scalar {
                case "\"":
                    return String(scalars: out)
                case "\\":
                    guard let escaped = current else { return nil }
                    index += 1
                    switch escaped {
                    case "\"", "\\", "/": out.append(escaped)
                    case "b": out.append("\u{08}")
                    case "f": out.append("\u{0C}")
                    case "n": out.append("\n")
                    case "r": out.append("\r")
                    case "t": out.append("\t")
                    case "u":
                        guard let unit = hex4() else { return nil }
                        out.append(decodeUTF16(unit))
                    default: return nil
                    }
                default:
                    if scalar.value < 0x20 { return nil }
                    out.append(scalar)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= text.count else { return nil }
            var value: UInt32 = 0
            for scalar in text[index..<index + 4] {
                guard let digit = Int(String(scalar), radix: 16) else { return nil }
                value = value * 16 + UInt32(digit)
            }
            index += 4
            return value
        }

        /// A `\u` unit, joined with a following `\u` low surrogate when it is a high one.
        mutating func decodeUTF16(_ unit: UInt32) -> Unicode.Scalar {
            guard (0xD800...0xDFFF).contains(unit) else { return Unicode.Scalar(unit)! }
            if unit < 0xDC00, index + 6 <= text.count, text[index] == "\\", text[index + 1] == "u" {
                let saved = index
                index += 2
                if let low = hex4(), (0xDC00...0xDFFF).contains(low) {
                    return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
                }
                index = saved
            }
            return "\u{FFFD}"
        }
    }
}
