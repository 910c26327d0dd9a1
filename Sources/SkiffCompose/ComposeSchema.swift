import Foundation

/// A draft-07 JSON Schema validator for the keywords the Compose schema uses (type, properties,
/// patternProperties, additionalProperties, required, items, oneOf, anyOf, allOf, not, $ref,
/// enum, const, uniqueItems, minimum, maximum, minItems, minProperties, pattern; format is
/// accepted). Strings where only a boolean or number fits are cast, as compose-go casts
/// interpolated values.
enum ComposeSchema {
    /// The parsed schema (JSON is YAML).
    static let root: ComposeValue = (try? ComposeYAML.parse(json, file: "compose-spec.json")) ?? .mapping(ComposeMapping())

    struct Issue: Error {
        var path: [String]
        var message: String
        /// A type mismatch at `path` (the value itself is the wrong kind), with the types wanted.
        var wantedTypes: [String]?

        var text: String {
            let p = ComposePath.text(path)
            return message.hasPrefix(":") ? p + message : p + " " + message
        }
    }

    /// Validates a whole file's tree; returns it with casts applied.
    static func validate(_ value: ComposeValue, file: String) throws -> ComposeValue {
        var v = Validator(root: root)
        do {
            return try v.check(value, root, path: [])
        } catch let issue as Issue {
            throw ComposeError("\(file): \(issue.text)")
        }
    }

    struct Validator {
        let root: ComposeValue
        var regexes: [String: NSRegularExpression] = [:]

        init(root: ComposeValue) { self.root = root }

        mutating func matches(_ pattern: String, _ s: String) -> Bool {
            let re: NSRegularExpression
            if let r = regexes[pattern] {
                re = r
            } else {
                guard let r = try? NSRegularExpression(pattern: pattern) else { return true }
                regexes[pattern] = r
                re = r
            }
            return re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
        }

        func resolve(_ ref: String) -> ComposeValue? {
            guard ref.hasPrefix("#/") else { return nil }
            var cur: ComposeValue? = root
            for part in ref.dropFirst(2).split(separator: "/") {
                cur = cur?[String(part)]
            }
            return cur
        }

        static func typeName(_ v: ComposeValue) -> String {
            switch v {
            case .null: return "null"
            case .bool: return "boolean"
            case .int: return "integer"
            case .double: return "number"
            case .string: return "string"
            case .array: return "array"
            case .mapping: return "object"
            }
        }

        static func fits(_ v: ComposeValue, _ type: String) -> Bool {
            switch (type, v) {
            case ("null", .null), ("boolean", .bool), ("integer", .int), ("number", .int), ("number", .double),
                 ("string", .string), ("array", .array), ("object", .mapping):
                return true
            case ("integer", .double(let d)):
                return d.rounded() == d
            default:
                return false
            }
        }

        /// compose-go's casts for interpolated text where the schema wants a scalar of another kind.
        static func cast(_ s: String, to type: String) -> ComposeValue? {
            switch type {
            case "boolean":
                switch s.lowercased() {
                case "true", "yes", "y", "on": return .bool(true)
                case "false", "no", "n", "off": return .bool(false)
                default: return nil
                }
            case "integer":
                return Int(s).map(ComposeValue.int)
            case "number":
                if let i = Int(s) { return .int(i) }
                return Double(s).map(ComposeValue.double)
            case "null":
                return s.isEmpty ? .null : nil
            default:
                return nil
            }
        }

        static func describeTypes(_ types: [String]) -> String {
            let names = types.map { t -> String in
                switch t {
                case "object": return "mapping"
                case "array": return "list"
                default: return t
                }
            }
            var unique: [String] = []
            for n in names where !unique.contains(n) { unique.append(n) }
            if unique.count == 1 { return "a " + unique[0] }
            return "a " + unique.dropLast().joined(separator: ", ") + " or " + unique.last!
        }

        mutating func check(_ value: ComposeValue, _ schema: ComposeValue, path: [String], depth: Int = 0) throws -> ComposeValue {
            guard depth < 200 else { throw Issue(path: path, message: "is nested too deeply") }
            if case .bool(let b) = schema {
                if b { return value }
                throw Issue(path: path, message: "is not allowed")
            }
            guard case .mapping(let s) = schema else { return value }
            var value = value

            if let ref = s["$ref"]?.string {
                guard let target = resolve(ref) else { return value }
                value = try check(value, target, path: path, depth: depth + 1)
            }

            if let t = s["type"] {
                let types: [String] = t.string.map { [$0] } ?? (t.array ?? []).compactMap(\.string)
                if !types.isEmpty, !types.contains(where: { Self.fits(value, $0) }) {
                    var casted: ComposeValue?
                    if case .string(let str) = value {
                        for type in types { if let c = Self.cast(str, to: type) { casted = c; break } }
                    }
                    guard let casted else {
                        throw Issue(path: path, message: "must be \(Self.describeTypes(types))", wantedTypes: types)
                    }
                    value = casted
                } else if case .string(let str) = value, let first = types.first, first != "string",
                          types.contains("string"), let casted = Self.cast(str, to: first) {
                    // `["boolean", "string"]` and the like exist for `${VAR}`: the value is the scalar.
                    value = casted
                }
            }

            if let e = s["enum"]?.array, !e.contains(where: { $0 == value || ($0.scalarText != nil && $0.scalarText == value.scalarText) }) {
                let list = e.map { $0.scalarText.map { "\"\($0)\"" } ?? "null" }.joined(separator: ", ")
                throw Issue(path: path, message: "must be one of the following: \(list)")
            }
            if let c = s["const"], c != value {
                throw Issue(path: path, message: "must be \(c.scalarText ?? "a constant")")
            }

            switch value {
            case .mapping(var m):
                if let req = s["required"]?.array {
                    for r in req.compactMap(\.string) where m[r] == nil {
                        throw Issue(path: path, message: ": missing property '\(r)'")
                    }
                }
                if let min = s["minProperties"]?.int, m.entries.count < min {
                    throw Issue(path: path, message: "must have at least \(min) properties")
                }
                let props = s["properties"]?.mapping
                let patterns = s["patternProperties"]?.mapping
                let additional = s["additionalProperties"]
                for (k, v) in m.entries {
                    var handled = false
                    var newValue = v
                    if let p = props?[k] {
                        handled = true
                        newValue = try check(newValue, p, path: path + [k], depth: depth + 1)
                    }
                    if let patterns {
                        for (pat, sub) in patterns.entries where matches(pat, k) {
                            handled = true
                            newValue = try check(newValue, sub, path: path + [k], depth: depth + 1)
                        }
                    }
                    if !handled, let additional {
                        if case .bool(false) = additional {
                            throw Issue(path: path, message: ": additional property '\(k)' is not allowed")
                        }
                        newValue = try check(newValue, additional, path: path + [k], depth: depth + 1)
                    }
                    if newValue != v { m[k] = newValue }
                }
                value = .mapping(m)
            case .array(var a):
                if let min = s["minItems"]?.int, a.count < min {
                    throw Issue(path: path, message: "must have at least \(min) items")
                }
                if let items = s["items"] {
                    if let list = items.array {
                        for (i, sub) in list.enumerated() where i < a.count {
                            a[i] = try check(a[i], sub, path: path + ["[\(i)]"], depth: depth + 1)
                        }
                    } else {
                        for i in a.indices {
                            a[i] = try check(a[i], items, path: path + ["[\(i)]"], depth: depth + 1)
                        }
                    }
                }
                if s["uniqueItems"]?.bool == true {
                    for i in a.indices {
                        for j in a.indices where j > i && a[i] == a[j] {
                            throw Issue(path: path, message: "array items[\(i),\(j)] must be unique")
                        }
                    }
                }
                value = .array(a)
            case .string(let str):
                if let p = s["pattern"]?.string, !matches(p, str) {
                    throw Issue(path: path, message: "does not match pattern \"\(p)\"")
                }
            case .int, .double:
                let d: Double = { if case .int(let i) = value { return Double(i) }; if case .double(let x) = value { return x }; return 0 }()
                if let min = s["minimum"], let m = Self.number(min), d < m {
                    throw Issue(path: path, message: "must be >= \(min.scalarText ?? "")")
                }
                if let max = s["maximum"], let m = Self.number(max), d > m {
                    throw Issue(path: path, message: "must be <= \(max.scalarText ?? "")")
                }
            default:
                break
            }

            if let all = s["allOf"]?.array {
                for sub in all { value = try check(value, sub, path: path, depth: depth + 1) }
            }
            if let any = s["anyOf"]?.array {
                value = try firstMatch(value, any, path: path, depth: depth)
            }
            if let one = s["oneOf"]?.array {
                value = try firstMatch(value, one, path: path, depth: depth)
            }
            if let not = s["not"] {
                var probe = self
                if (try? probe.check(value, not, path: path, depth: depth + 1)) != nil {
                    throw Issue(path: path, message: "must not be valid against the excluded schema")
                }
            }
            return value
        }

        static func number(_ v: ComposeValue) -> Double? {
            switch v {
            case .int(let i): return Double(i)
            case .double(let d): return d
            default: return nil
            }
        }

        /// The first branch that accepts the value wins (the Compose schema's branches are
        /// disjoint); if none does, the most relevant failure is reported: the deepest one,
        /// or, when every branch wanted another kind of value, one message listing the kinds.
        mutating func firstMatch(_ value: ComposeValue, _ branches: [ComposeValue], path: [String], depth: Int) throws -> ComposeValue {
            var issues: [Issue] = []
            // Exact kinds first, so a string is not cast to a number when a string branch exists.
            for b in branches where Self.kindFits(value, b, root: self) {
                do { return try check(value, b, path: path, depth: depth + 1) } catch let i as Issue { issues.append(i) }
            }
            for b in branches where !Self.kindFits(value, b, root: self) {
                do { return try check(value, b, path: path, depth: depth + 1) } catch let i as Issue { issues.append(i) }
            }
            let typeIssues = issues.filter { $0.wantedTypes != nil && $0.path == path }
            if typeIssues.count == issues.count, !issues.isEmpty {
                let types = typeIssues.flatMap { $0.wantedTypes! }
                throw Issue(path: path, message: "must be \(Self.describeTypes(types))", wantedTypes: types)
            }
            let relevant = issues.filter { !($0.wantedTypes != nil && $0.path == path) }
            throw relevant.max(by: { $0.path.count < $1.path.count }) ?? Issue(path: path, message: "is invalid")
        }

        /// Whether the branch's declared `type` (following a `$ref`) admits the value as it is.
        static func kindFits(_ value: ComposeValue, _ schema: ComposeValue, root: Validator) -> Bool {
            var s = schema
            for _ in 0..<8 {
                if let ref = s["$ref"]?.string, let t = root.resolve(ref) { s = t } else { break }
            }
            guard let t = s["type"] else { return true }
            let types: [String] = t.string.map { [$0] } ?? (t.array ?? []).compactMap(\.string)
            return types.isEmpty || types.contains { fits(value, $0) }
        }
    }
}
