/// A value a template works on: the daemon's JSON, a formatter row (docker's
/// `ContainerContext`, `imageContext`... whose fields are methods), or Go's invalid
/// value (a missing map key, printed as "<no value>").
enum TemplateValue {
    case json(JSON)
    /// JSON decoded as docker decodes it into a typed struct.
    case typed(JSON, GoType)
    case record(any TemplateRecord)
    case noValue

    /// The value without its Go type.
    var plain: TemplateValue {
        if case .typed(let j, _) = self { return .json(j) }
        return self
    }

    static func string(_ s: String) -> TemplateValue { .json(.string(s)) }
    static func int(_ i: Int) -> TemplateValue { .json(.number(String(i))) }
    static func bool(_ b: Bool) -> TemplateValue { .json(.bool(b)) }

    /// A number literal as Go's parser accepts it (integers normalised, floats as written).
    static func number(literal: String) -> JSON? {
        if let i = GoParse.int(literal) { return .number(String(i)) }
        if Double(literal.filter { $0 != "_" }) != nil { return .number(literal) }
        return nil
    }

    /// Go's truth: false, 0, nil, and empty strings, arrays and maps are false.
    var truth: Bool {
        switch self {
        case .typed: return plain.truth
        case .noValue: return false
        case .record: return true
        case .json(let j):
            switch j {
            case .null: return false
            case .bool(let b): return b
            case .number(let n): return (Double(n) ?? 0) != 0
            case .string(let s): return !s.isEmpty
            case .array(let a): return !a.isEmpty
            case .object(let o): return !o.isEmpty
            }
        }
    }

    /// Go's type name for errors ("string", "int", "map[string]interface {}").
    var typeName: String {
        switch self {
        case .typed(let j, let t):
            if case .any = t { return TemplateValue.json(j).typeName }
            return t.name
        case .noValue: return "<nil>"
        case .record(let r): return r.typeName
        case .json(let j):
            switch j {
            case .null: return "<nil>"
            case .bool: return "bool"
            case .number(let n): return isInteger(n) ? "int" : "float64"
            case .string: return "string"
            case .array: return "[]interface {}"
            case .object: return "map[string]interface {}"
            }
        }
    }

    /// Go's `fmt.Sprint` of the value.
    var printed: String {
        switch self {
        case .typed(let j, let t):
            switch (j, t) {
            case (.null, .slice): return "[]"
            case (.null, .map): return "map[]"
            case (.number(let n), .duration): return GoDuration.string(Int64(n) ?? 0)
            case (.string(let s), .time): return GoTime.string(rfc3339: s) ?? s
            case (.object, .emptyStruct): return "{}"
            case (.object(let o), _) where t.structure != nil:
                // fmt's %v of a struct: its fields in order, space-separated (pointers are
                // shown as what they point to: Go's addresses could not match anyway).
                return "{" + t.structure!.fields.map {
                    TemplateValue.typed(o[$0.json] ?? $0.type.zero, $0.type).printed
                }.joined(separator: " ") + "}"
            case (.object(let o), .map(let element)):
                return "map[" + o.members.sorted { $0.key < $1.key }.map {
                    $0.key + ":" + TemplateValue.typed($0.value, element).printed
                }.joined(separator: " ") + "]"
            case (.array(let a), .slice(let element)):
                return "[" + a.map { TemplateValue.typed($0, element).printed }.joined(separator: " ") + "]"
            default: return plain.printed
            }
        case .noValue: return "<no value>"
        case .record(let r): return r.json.compact
        case .json(let j): return TemplateValue.print(j, top: true)
        }
    }

    private static func print(_ j: JSON, top: Bool) -> String {
        switch j {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .string(let s): return s
        case .array(let a): return "[" + a.map { print($0, top: false) }.joined(separator: " ") + "]"
        case .object(let o):
            return "map[" + o.members.sorted { $0.key < $1.key }.map { $0.key + ":" + print($0.value, top: false) }.joined(separator: " ") + "]"
        }
    }

    var string: String? {
        if case .json(.string(let s)) = plain { return s }
        return nil
    }

    var int: Int? {
        if case .json(.number(let n)) = plain, isInteger(n) { return JSON.number(n).int }
        return nil
    }

    var double: Double? {
        if case .json(.number(let n)) = plain { return Double(n) }
        return nil
    }

    /// The value as JSON (records as their marshalled form).
    var jsonValue: JSON {
        switch self {
        case .typed(let j, _): return j
        case .noValue: return .null
        case .record(let r): return r.json
        case .json(let j): return j
        }
    }
}

func isInteger(_ literal: String) -> Bool {
    !literal.contains(".") && !literal.contains("e") && !literal.contains("E")
}

/// A formatter row: docker's per-command context whose exported methods are the
/// template's fields.
protocol TemplateRecord {
    /// Go's name for it in errors ("*formatter.ContainerContext").
    var typeName: String { get }
    /// The field or method `name` called with `args`; nil when there is none.
    func field(_ name: String, args: [TemplateValue]) throws(TemplateExecError) -> TemplateValue?
    /// `{{json .}}`: every argument-less method, keys sorted.
    var json: JSON { get }
}
