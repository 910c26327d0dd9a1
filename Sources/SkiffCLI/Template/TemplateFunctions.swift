/// text/template's built-in functions and docker's additions (json, split, join, title,
/// lower, upper, pad, truncate), with Go's argument checks.
enum TemplateFunctions {
    static let names: Set<String> = [
        "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge",
        "html", "js", "urlquery", "call", "json", "split", "join", "title", "lower", "upper", "pad", "truncate",
    ]

    /// Docker's header functions return their first argument unchanged so a table's header
    /// row shows the column names.
    private static let headerIdentity: Set<String> = ["json", "split", "join", "title", "lower", "upper", "truncate"]

    static func call(_ name: String, _ typedArgs: [TemplateValue], header: Bool) throws(TemplateExecError) -> TemplateValue {
        // Go types matter to printing, len and index; the other functions see plain values.
        let args = ["print", "println", "printf", "len", "index"].contains(name) ? typedArgs : typedArgs.map(\.plain)
        if header && headerIdentity.contains(name) {
            try count(name, args, name == "split" || name == "join" || name == "truncate" ? 2 : 1)
            return .string(try string(args, 0))
        }
        switch name {
        case "not":
            try count(name, args, 1)
            return .bool(!args[0].truth)
        case "len":
            try count(name, args, 1)
            if case .typed(.null, let t) = args[0] {
                switch t {
                case .slice, .map: return .int(0)
                default: break
                }
            }
            switch args[0].plain {
            case .json(.string(let s)): return .int(s.utf8.count)
            case .json(.array(let a)): return .int(a.count)
            case .json(.object(let o)): return .int(o.members.count)
            default: throw TemplateExecError("error calling len: len of type \(args[0].typeName)")
            }
        case "index":
            guard !args.isEmpty else { throw TemplateExecError("wrong number of args for index: want at least 1 got 0") }
            var item = args[0]
            for key in args.dropFirst().map(\.plain) {
                if case .typed(let j, let t) = item {
                    switch (j, t) {
                    case (.null, .map(let element)), (.object, .map(let element)):
                        guard let k = key.string else {
                            throw TemplateExecError("error calling index: value has type \(key.typeName); should be string")
                        }
                        item = j[k].map { .typed($0, element) } ?? .typed(element.zero, element)
                        continue
                    case (.array(let a), .slice(let element)):
                        guard let i = key.int else {
                            throw TemplateExecError("error calling index: cannot index slice/array with type \(key.typeName)")
                        }
                        guard i >= 0 && i < a.count else { throw TemplateExecError("error calling index: index out of range: \(i)") }
                        item = .typed(a[i], element)
                        continue
                    default:
                        item = item.plain
                    }
                }
                switch item {
                case .json(.array(let a)):
                    guard let i = key.int else { throw TemplateExecError("error calling index: cannot index slice/array with type \(key.typeName)") }
                    guard i >= 0 && i < a.count else { throw TemplateExecError("error calling index: index out of range: \(i)") }
                    item = .json(a[i])
                case .json(.string(let s)):
                    guard let i = key.int else { throw TemplateExecError("error calling index: cannot index slice/array with type \(key.typeName)") }
                    let bytes = Array(s.utf8)
                    guard i >= 0 && i < bytes.count else { throw TemplateExecError("error calling index: index out of range: \(i)") }
                    item = .int(Int(bytes[i]))
                case .json(.object(let o)):
                    guard let k = key.string else { throw TemplateExecError("error calling index: value has type \(key.typeName); should be string") }
                    item = o[k].map { .json($0) } ?? .string("")
                case .json(.null), .noValue:
                    throw TemplateExecError("error calling index: index of untyped nil")
                default:
                    throw TemplateExecError("error calling index: can't index item of type \(item.typeName)")
                }
            }
            return item
        case "slice":
            guard !args.isEmpty else { throw TemplateExecError("wrong number of args for slice: want at least 1 got 0") }
            var bounds: [Int] = []
            for (i, a) in args.dropFirst().enumerated() {
                guard let v = a.int else { throw TemplateExecError("error calling slice: cannot index slice/array with type \(a.typeName)", argument: i + 1) }
                bounds.append(v)
            }
            switch args[0] {
            case .json(.string(let s)):
                let bytes = Array(s.utf8)
                let (lo, hi) = try sliceBounds(bounds, bytes.count)
                return .string(String(decoding: bytes[lo..<hi], as: UTF8.self))
            case .json(.array(let a)):
                let (lo, hi) = try sliceBounds(bounds, a.count)
                return .json(.array(Array(a[lo..<hi])))
            default:
                throw TemplateExecError("error calling slice: can't slice item of type \(args[0].typeName)")
            }
        case "print":
            return .string(sprint(args))
        case "println":
            return .string(args.map(\.printed).joined(separator: " ") + "\n")
        case "printf":
            guard !args.isEmpty else { throw TemplateExecError("wrong number of args for printf: want at least 1 got 0") }
            return .string(GoFormat.sprintf(try string(args, 0), Array(args.dropFirst())))
        case "eq":
            guard args.count >= 2 else { throw TemplateExecError("missing argument for comparison") }
            for other in args.dropFirst() where try equal(args[0], other) { return .bool(true) }
            return .bool(false)
        case "ne":
            try count(name, args, 2)
            return .bool(!(try equal(args[0], args[1])))
        case "lt", "le", "gt", "ge":
            try count(name, args, 2)
            let less = try lessThan(args[0], args[1])
            let eq = try equal(args[0], args[1])
            switch name {
            case "lt": return .bool(less)
            case "le": return .bool(less || eq)
            case "gt": return .bool(!less && !eq)
            default: return .bool(!less)
            }
        case "html":
            var out = ""
            for c in sprint(args).unicodeScalars {
                switch c {
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "&": out += "&amp;"
                case "'": out += "&#39;"
                case "\"": out += "&#34;"
                case "\0": out += "\u{FFFD}"
                default: out.unicodeScalars.append(c)
                }
            }
            return .string(out)
        case "js":
            var out = ""
            for c in sprint(args).unicodeScalars {
                switch c {
                case "\\": out += "\\\\"
                case "'": out += "\\'"
                case "\"": out += "\\\""
                case "<": out += "\\u003C"
                case ">": out += "\\u003E"
                case "&": out += "\\u0026"
                case "=": out += "\\u003D"
                default:
                    if c.value < 0x20 {
                        let hex = String(c.value, radix: 16, uppercase: true)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(c)
                    }
                }
            }
            return .string(out)
        case "urlquery":
            return .string(Query.escape(sprint(args)))
        case "call":
            throw TemplateExecError("error calling call: non-function of type \(args.first?.typeName ?? "<nil>")")
        case "json":
            try count(name, args, 1)
            if case .record(let r) = args[0] { return .string(r.json.compactEscapingHTML) }
            if case .typed(let j, let t) = typedArgs[0] { return .string(t.marshal(j).compact) }
            return .string(args[0].jsonValue.compact)
        case "split":
            try count(name, args, 2)
            let s = try string(args, 0), sep = try string(args, 1)
            let parts: [String] = sep.isEmpty ? s.map(String.init) : s.components(separatedBy: sep)
            return .json(.array(parts.map { .string($0) }))
        case "join":
            try count(name, args, 2)
            guard case .json(.array(let a)) = args[0], a.allSatisfy({ $0.string != nil }) else {
                throw TemplateExecError("wrong type for value; expected []string; got \(args[0].typeName)", argument: 0)
            }
            return .string(a.compactMap(\.string).joined(separator: try string(args, 1)))
        case "title":
            try count(name, args, 1)
            var out = ""
            var previousIsLetter = false
            for c in try string(args, 0) {
                out += previousIsLetter ? String(c) : c.uppercased()
                previousIsLetter = c.isLetter || c.isNumber || c == "_" || c == "'"
            }
            return .string(out)
        case "lower":
            try count(name, args, 1)
            return .string(try string(args, 0).lowercased())
        case "upper":
            try count(name, args, 1)
            return .string(try string(args, 0).uppercased())
        case "pad":
            try count(name, args, 3)
            let s = try string(args, 0)
            guard let prefix = args[1].int else { throw TemplateExecError("wrong type for value; expected int; got \(args[1].typeName)", argument: 1) }
            guard let suffix = args[2].int else { throw TemplateExecError("wrong type for value; expected int; got \(args[2].typeName)", argument: 2) }
            if s.isEmpty { return .string(s) }
            return .string(String(repeating: " ", count: max(0, prefix)) + s + String(repeating: " ", count: max(0, suffix)))
        case "truncate":
            try count(name, args, 2)
            let s = try string(args, 0)
            guard let n = args[1].int else { throw TemplateExecError("wrong type for value; expected int; got \(args[1].typeName)", argument: 1) }
            let bytes = Array(s.utf8)
            if bytes.count < n { return .string(s) }
            return .string(String(decoding: bytes[0..<max(0, n)], as: UTF8.self))
        default:
            throw TemplateExecError("function \(goQuote(name)) not defined")
        }
    }

    private static func count(_ name: String, _ args: [TemplateValue], _ n: Int) throws(TemplateExecError) {
        guard args.count == n else { throw TemplateExecError("wrong number of args for \(name): want \(n) got \(args.count)") }
    }

    private static func string(_ args: [TemplateValue], _ i: Int) throws(TemplateExecError) -> String {
        guard let s = args[i].string else {
            throw TemplateExecError("wrong type for value; expected string; got \(args[i].typeName)", argument: i)
        }
        return s
    }

    private static func sliceBounds(_ bounds: [Int], _ length: Int) throws(TemplateExecError) -> (Int, Int) {
        guard bounds.count <= 2 else { throw TemplateExecError("error calling slice: too many slice indexes: \(bounds.count)") }
        let lo = bounds.first ?? 0
        let hi = bounds.count > 1 ? bounds[1] : length
        guard lo >= 0, hi <= length else { throw TemplateExecError("error calling slice: index out of range: \(lo < 0 ? lo : hi)") }
        guard lo <= hi else { throw TemplateExecError("error calling slice: invalid slice index: \(lo) > \(hi)") }
        return (lo, hi)
    }

    /// fmt.Sprint: spaces only between operands when neither is a string.
    static func sprint(_ args: [TemplateValue]) -> String {
        var out = ""
        for (i, a) in args.enumerated() {
            if i > 0, args[i - 1].string == nil, a.string == nil { out += " " }
            out += a.printed
        }
        return out
    }

    private static func equal(_ a: TemplateValue, _ b: TemplateValue) throws(TemplateExecError) -> Bool {
        switch (a, b) {
        case (.json(.string(let x)), .json(.string(let y))): return x == y
        case (.json(.bool(let x)), .json(.bool(let y))): return x == y
        case (.json(.number(let x)), .json(.number(let y))):
            if isInteger(x), isInteger(y) { return JSON.number(x).int == JSON.number(y).int }
            return Double(x) == Double(y)
        case (.json(.null), _), (.noValue, _), (_, .json(.null)), (_, .noValue):
            // Comparing with nil: only nil is equal to it.
            return (a.jsonValue.isNull) && (b.jsonValue.isNull)
        case (.json(.array), _), (.json(.object), _), (_, .json(.array)), (_, .json(.object)):
            throw TemplateExecError("error calling eq: non-comparable type")
        default:
            throw TemplateExecError("error calling eq: incompatible types for comparison")
        }
    }

    private static func lessThan(_ a: TemplateValue, _ b: TemplateValue) throws(TemplateExecError) -> Bool {
        switch (a, b) {
        case (.json(.string(let x)), .json(.string(let y))): return x < y
        case (.json(.number(let x)), .json(.number(let y))): return (Double(x) ?? 0) < (Double(y) ?? 0)
        case (.json(.bool), _), (.json(.array), _), (.json(.object), _), (.json(.null), _), (.noValue, _):
            throw TemplateExecError("error calling lt: invalid type for comparison")
        default:
            throw TemplateExecError("error calling lt: incompatible types for comparison")
        }
    }
}

extension String {
    /// Go's strings.Split with a non-empty separator.
    func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}
