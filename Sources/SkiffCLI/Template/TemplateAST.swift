/// A parsed Go template: the node kinds of text/template/parse that docker users write.
indirect enum TemplateNode {
    case text(String)
    case action(Pipeline)
    case `if`(Pipeline, list: [TemplateNode], else: [TemplateNode]?)
    case range(Pipeline, list: [TemplateNode], else: [TemplateNode]?)
    case with(Pipeline, list: [TemplateNode], else: [TemplateNode]?)
    case `break`(position: Int)
    case `continue`(position: Int)
}

/// `$x := cmd1 | cmd2 arg`.
struct Pipeline {
    var position: Int
    var declarations: [String] = []
    /// `=` rather than `:=`.
    var isAssign = false
    var commands: [Command] = []

    var description: String {
        var s = ""
        if !declarations.isEmpty {
            s = declarations.joined(separator: ", ") + (isAssign ? " = " : " := ")
        }
        return s + commands.map(\.description).joined(separator: " | ")
    }
}

/// One command of a pipeline: an operand followed by arguments.
struct Command {
    var position: Int
    var args: [Operand]

    var description: String { args.map(\.description).joined(separator: " ") }
}

/// An operand: a term with an optional chain of fields (`(index .X 0).Name`).
indirect enum Operand {
    case field(names: [String], position: Int)
    case variable(name: String, fields: [String], position: Int)
    case chain(Operand, fields: [String], position: Int)
    case function(String, position: Int)
    case dot(position: Int)
    case `nil`(position: Int)
    case bool(Bool, position: Int)
    case number(String, position: Int)
    case string(String, position: Int)
    case pipeline(Pipeline, position: Int)

    var position: Int {
        switch self {
        case .field(_, let p), .variable(_, _, let p), .chain(_, _, let p), .function(_, let p), .dot(let p), .nil(let p),
            .bool(_, let p), .number(_, let p), .string(_, let p), .pipeline(_, let p):
            return p
        }
    }

    /// The operand as Go prints a node in error contexts (`<.Foo>`).
    var description: String {
        switch self {
        case .field(let names, _): return names.map { "." + $0 }.joined()
        case .variable(let name, let fields, _): return name + fields.map { "." + $0 }.joined()
        case .chain(let base, let fields, _): return base.description + fields.map { "." + $0 }.joined()
        case .function(let name, _): return name
        case .dot: return "."
        case .nil: return "nil"
        case .bool(let b, _): return b ? "true" : "false"
        case .number(let n, _): return n
        case .string(let s, _): return goQuote(s)
        case .pipeline(let p, _): return "(" + p.description + ")"
        }
    }
}
