/// The Go type behind a JSON value, for templates that docker runs on its typed API
/// structs: a missing field is its zero value, a nil slice prints `[]`, a nil map `map[]`,
/// a duration `1m30s`, and the Go field names (`.ID`) name the JSON keys (`Id`).
indirect enum GoType: Sendable {
    case string, int, bool, float, any, duration, emptyStruct
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
        case .emptyStruct: return "struct {}"
        case .slice(let t): return "[]" + t.name
        case .map(let t): return "map[string]" + t.name
        case .pointer(let t): return "*" + t.name
        case .structure(let n): return DockerTypes.structs[n]?.goName ?? n
        }
    }

    /// Parses the schema notation: s i b f any dur {} [T] {T} *T Name.
    static func parse(_ text: Substring) -> GoType {
        switch text {
        case "s": return .string
        case "i": return .int
        case "b": return .bool
        case "f": return .float
        case "any": return .any
        case "dur": return .duration
        case "{}": return .emptyStruct
        default:
            if text.hasPrefix("*") { return .pointer(parse(text.dropFirst())) }
            if text.hasPrefix("[") { return .slice(parse(text.dropFirst().dropLast())) }
            if text.hasPrefix("{") { return .map(parse(text.dropFirst().dropLast())) }
            return .structure(String(text))
        }
    }
}

/// A struct's fields: Go name, JSON key and type, in declaration order.
struct GoStruct: Sendable {
    let goName: String
    let fields: [(go: String, json: String, type: GoType)]

    func field(_ goName: String) -> (go: String, json: String, type: GoType)? {
        fields.first { $0.go == goName }
    }
}
