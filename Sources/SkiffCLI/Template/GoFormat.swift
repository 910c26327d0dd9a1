import Glibc

/// Go's fmt.Sprintf for the verbs templates use: %v %s %q %d %x %X %o %b %c %f %e %g %t %T
/// %% with flags, width and precision; mismatches print as Go prints them (`%!d(string=hi)`).
enum GoFormat {
    static func sprintf(_ format: String, _ args: [TemplateValue]) -> String {
        var out = ""
        let chars = Array(format.unicodeScalars)
        var i = 0
        var argIndex = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "%" else {
                out.unicodeScalars.append(c)
                i += 1
                continue
            }
            i += 1
            var spec = Spec()
            flags: while i < chars.count {
                switch chars[i] {
                case "-": spec.minus = true
                case "+": spec.plus = true
                case "#": spec.sharp = true
                case " ": spec.space = true
                case "0": spec.zero = true
                default: break flags
                }
                i += 1
            }
            var width = ""
            while i < chars.count, ("0"..."9").contains(chars[i]) { width.unicodeScalars.append(chars[i]); i += 1 }
            spec.width = Int(width)
            if i < chars.count, chars[i] == "." {
                i += 1
                var precision = ""
                while i < chars.count, ("0"..."9").contains(chars[i]) { precision.unicodeScalars.append(chars[i]); i += 1 }
                spec.precision = Int(precision) ?? 0
            }
            guard i < chars.count else {
                out += "%!(NOVERB)"
                break
            }
            let verb = Character(chars[i])
            i += 1
            if verb == "%" {
                out += "%"
                continue
            }
            guard argIndex < args.count else {
                out += "%!\(verb)(MISSING)"
                continue
            }
            out += formatOne(args[argIndex], verb: verb, spec: spec)
            argIndex += 1
        }
        if argIndex < args.count {
            out += "%!(EXTRA " + args[argIndex...].map { "\($0.typeName)=\($0.printed)" }.joined(separator: ", ") + ")"
        }
        return out
    }

    struct Spec {
        var minus = false, plus = false, sharp = false, space = false, zero = false
        var width: Int?
        var precision: Int?
    }

    private static func formatOne(_ value: TemplateValue, verb: Character, spec: Spec) -> String {
        let bad = "%!\(verb)(\(value.typeName)=\(value.printed))"
        var body: String
        var numeric = false
        switch verb {
        case "v":
            body = value.printed
            if spec.plus, let i = value.int, i >= 0 { body = "+" + body }
        case "s":
            guard let s = value.string else {
                switch value {
                case .json(.array), .json(.object), .json(.null), .record: return pad(value.printed, spec)
                default: return bad
                }
            }
            body = spec.precision.map { String(s.prefix($0)) } ?? s
        case "q":
            if let s = value.string { body = goQuote(s) }
            else if let i = value.int, let scalar = Unicode.Scalar(UInt32(clamping: i)) { body = "'" + String(Character(scalar)) + "'" }
            else { return bad }
        case "d", "x", "X", "o", "b", "c":
            if verb == "x" || verb == "X", let s = value.string {
                body = s.utf8.map { b in let h = String(b, radix: 16, uppercase: verb == "X"); return h.count < 2 ? "0" + h : h }.joined()
                break
            }
            guard let i = value.int else { return bad }
            numeric = true
            switch verb {
            case "d": body = String(i.magnitude)
            case "x": body = (spec.sharp ? "0x" : "") + String(i.magnitude, radix: 16)
            case "X": body = (spec.sharp ? "0X" : "") + String(i.magnitude, radix: 16, uppercase: true)
            case "o": body = (spec.sharp ? "0" : "") + String(i.magnitude, radix: 8)
            case "b": body = String(i.magnitude, radix: 2)
            default:
                numeric = false
                body = Unicode.Scalar(UInt32(clamping: i)).map { String(Character($0)) } ?? "\u{FFFD}"
            }
            if numeric {
                if i < 0 { body = "-" + body } else if spec.plus { body = "+" + body } else if spec.space { body = " " + body }
            }
        case "f", "F", "e", "E", "g", "G":
            guard let d = value.double else { return bad }
            numeric = true
            let p = spec.precision ?? (verb == "g" || verb == "G" ? -1 : 6)
            if p < 0 {
                body = shortest(d)
            } else {
                var buf = [CChar](repeating: 0, count: 512)
                let fmt = "%" + (spec.plus ? "+" : "") + (spec.space ? " " : "") + ".*" + String(verb)
                _ = withVaList([Int32(p), d]) { vsnprintf(&buf, buf.count, fmt, $0) }
                body = String(cChars: buf)
            }
        case "t":
            guard case .json(.bool(let b)) = value else { return bad }
            body = b ? "true" : "false"
        case "T":
            body = value.typeName
        default:
            return "%!\(verb)(\(value.typeName)=\(value.printed))"
        }
        return pad(body, spec, numeric: numeric)
    }

    private static func shortest(_ d: Double) -> String {
        var s = "\(d)"
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }

    private static func pad(_ body: String, _ spec: Spec, numeric: Bool = false) -> String {
        guard let width = spec.width else { return body }
        let n = width - body.unicodeScalars.count
        guard n > 0 else { return body }
        if spec.minus { return body + String(repeating: " ", count: n) }
        if spec.zero && numeric {
            if let sign = body.first, sign == "-" || sign == "+" {
                return String(sign) + String(repeating: "0", count: n) + body.dropFirst()
            }
            return String(repeating: "0", count: n) + body
        }
        return String(repeating: " ", count: n) + body
    }
}
