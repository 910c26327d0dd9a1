extension JSON {
    /// Compact text as Go's encoder writes it with HTML escaping off (docker's `json`
    /// template function and request bodies).
    public var compact: String {
        var out: [UInt8] = []
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Compact text with `<`, `>` and `&` escaped, as Go's json.Marshal writes it (docker's
    /// formatter rows marshal themselves that way).
    public var compactEscapingHTML: String {
        var out: [UInt8] = []
        write(to: &out, escapeHTML: true)
        return String(decoding: out, as: UTF8.self)
    }

    func write(to out: inout [UInt8], escapeHTML: Bool = false) {
        switch self {
        case .null: out.append(contentsOf: Array("null".utf8))
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .number(let n): out.append(contentsOf: Array(n.utf8))
        case .string(let s): JSON.writeString(s, to: &out, escapeHTML: escapeHTML)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                e.write(to: &out, escapeHTML: escapeHTML)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, m) in o.members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(m.key, to: &out, escapeHTML: escapeHTML)
                out.append(UInt8(ascii: ":"))
                m.value.write(to: &out, escapeHTML: escapeHTML)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, to out: inout [UInt8], escapeHTML: Bool = false) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: [0x5C, 0x22])
            case "\\": out.append(contentsOf: [0x5C, 0x5C])
            case "\n": out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case "\r": out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case "\t": out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case "\u{08}": out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case "\u{0C}": out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case "<", ">", "&":
                if escapeHTML {
                    out.append(contentsOf: Array("\\u00".utf8))
                    out.append(hex[Int(scalar.value >> 4)])
                    out.append(hex[Int(scalar.value & 0xF)])
                } else {
                    out.append(UInt8(scalar.value))
                }
            case "\u{2028}", "\u{2029}":
                out.append(contentsOf: Array("\\u202".utf8))
                out.append(hex[Int(scalar.value & 0xF)])
            default:
                if scalar.value < 0x20 {
                    out.append(contentsOf: Array("\\u00".utf8))
                    out.append(hex[Int(scalar.value >> 4)])
                    out.append(hex[Int(scalar.value & 0xF)])
                } else {
                    out.append(contentsOf: Array(String(scalar).utf8))
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Re-indents JSON text token by token, keeping strings and numbers exactly as written
    /// (Go's `json.Indent`, used by `docker inspect` on the daemon's raw bytes).
    /// With `indent` nil the text is compacted instead (Go's `json.Compact`).
    public static func reformat(_ raw: [UInt8], indent: String?) -> [UInt8] {
        let unit = indent.map { Array($0.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count * 2)
        var depth = 0
        var pendingOpen = false  // an opening bracket waits to see if its value is empty
        var i = 0
        func newline() {
            guard let unit else { return }
            out.append(0x0A)
            for _ in 0..<depth { out.append(contentsOf: unit) }
        }
        while i < raw.count {
            let c = raw[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                i += 1
                continue
            }
            if pendingOpen {
                pendingOpen = false
                if c != UInt8(ascii: "]") && c != UInt8(ascii: "}") {
                    depth += 1
                    newline()
                }  else {
                    out.append(c)
                    i += 1
                    continue
                }
            }
            switch c {
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < raw.count, raw[i] != UInt8(ascii: "\"") {
                    i += raw[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                i = min(i + 1, raw.count)
                out.append(contentsOf: raw[start..<i])
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                out.append(c)
                pendingOpen = true
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                newline()
                out.append(c)
            case UInt8(ascii: ","):
                out.append(c)
                newline()
            case UInt8(ascii: ":"):
                out.append(c)
                if unit != nil { out.append(0x20) }
            default:
                out.append(c)
            }
            i += 1
        }
        return out
    }
}
