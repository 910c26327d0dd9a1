/// The Go type behind a JSON value, for templates that docker runs on its typed API
/// structs: a missing field is its zero value, a nil slice prints `[]`, a nil map `map[]`,
/// a duration `1m30s`, a time as `Time.String`, and the Go field names (`.ID`) name the
/// JSON keys (`Id`).
indirect enum GoType: Sendable {
    case string, int, bool, float, any, duration, time, emptyStruct
    case slice(GoType)
    case map(GoType)
    case pointer(GoType)
    case structure(String)

    /// The struct behind pointers, if any.
    var structure: GoStruct? {
        switch self {
        case .structure(let name): return DockerTypes.structs[name]
        case .pointer(let t): return t.structure
        default: return nil
        }
    }

    /// The zero value's JSON.
    var zero: JSON {
        switch self {
        case .string: return .string("")
        case .int, .duration: return .number("0")
        case .time: return .string("0001-01-01T00:00:00Z")
        case .float: return .number("0")
        case .bool: return .bool(false)
        case .structure: return .object(JSONObject())
        default: return .null
        }
    }

    /// Go's name for errors: "*container.Health", "[]string".
    var name: String {
        switch self {
        case .string: return "string"
        case .int: return "int"
        case .bool: return "bool"
        case .float: return "float64"
        case .any: return "interface {}"
        case .duration: return "time.Duration"
        case .time: return "time.Time"
        case .emptyStruct: return "struct {}"
        case .slice(let t): return "[]" + t.name
        case .map(let t): return "map[string]" + t.name
        case .pointer(let t): return "*" + t.name
        case .structure(let n): return DockerTypes.structs[n]?.goName ?? n
        }
    }

    /// Parses the schema notation: s i b f any dur time {} [T] {T} *T Name.
    static func parse(_ text: Substring) -> GoType {
        switch text {
        case "s": return .string
        case "i": return .int
        case "b": return .bool
        case "f": return .float
        case "any": return .any
        case "dur": return .duration
        case "time": return .time
        case "{}": return .emptyStruct
        default:
            if text.hasPrefix("*") { return .pointer(parse(text.dropFirst())) }
            if text.hasPrefix("[") { return .slice(parse(text.dropFirst().dropLast())) }
            if text.hasPrefix("{") { return .map(parse(text.dropFirst().dropLast())) }
            return .structure(String(text))
        }
    }
}

/// A struct's fields: Go name, JSON key and type, in declaration order; those tagged
/// `omitempty`; whether the list is complete (then it marshals as Go marshals it).
struct GoStruct: Sendable {
    let goName: String
    let fields: [(go: String, json: String, type: GoType)]
    var omitEmpty: Set<String> = []
    var complete = false

    func field(_ goName: String) -> (go: String, json: String, type: GoType)? {
        fields.first { $0.go == goName }
    }
}

extension GoType {
    /// `value` as encoding/json marshals it from this type: complete structs' fields in
    /// declaration order (missing ones as zero values, empty `omitempty` ones left out),
    /// typed maps' keys sorted; other values (interfaces, incomplete structs) as they are.
    func marshal(_ value: JSON) -> JSON {
        switch (self, value) {
        case (_, .null): return self.structure?.complete == true && !isPointer ? marshal(zero) : .null
        case (.pointer(let t), _): return t.marshal(value)
        case (.slice(let t), .array(let a)): return .array(a.map(t.marshal))
        case (.map(let t), .object(let o)):
            return .object(JSONObject(o.members.sorted { $0.key < $1.key }.map { (key: $0.key, value: t.marshal($0.value)) }))
        case (.structure, .object(let o)):
            guard let s = structure, s.complete else { return value }
            var out = JSONObject()
            for f in s.fields {
                let v = f.type.marshal(o[f.json] ?? f.type.zero)
                if s.omitEmpty.contains(f.go) && (f.type.isPointer ? v.isNull : GoType.isEmpty(v)) { continue }
                out[f.json] = v
            }
            return .object(out)
        default: return value
        }
    }

    private var isPointer: Bool {
        if case .pointer = self { return true }
        return false
    }

    /// encoding/json's empty values for `omitempty`.
    private static func isEmpty(_ v: JSON) -> Bool {
        switch v {
        case .null, .bool(false), .string(""): return true
        case .number(let n): return Double(n) == 0
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        default: return false
        }
    }
}
