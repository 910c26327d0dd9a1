/// Parses Go template text into nodes, with text/template's checks: functions must
/// exist, variables must be declared, control structures must be closed.
struct TemplateParser {
    private let tokens: [TemplateToken]
    private let lexer: TemplateLexer
    private let functions: Set<String>
    private var index = 0
    private var variables: [String] = ["$"]
    private var rangeDepth = 0

    private init(source: String, tokens: [TemplateToken], functions: Set<String>) {
        self.tokens = tokens
        self.lexer = TemplateLexer(source)
        self.functions = functions
    }

    static func parse(_ source: String, functions: Set<String>) throws(TemplateParseError) -> [TemplateNode] {
        var parser = TemplateParser(source: source, tokens: try TemplateLexer.tokenize(source), functions: functions)
        let (nodes, end) = try parser.list()
        if let end {
            throw parser.error("unexpected \(end)", at: parser.tokens[parser.index - 1].position)
        }
        return nodes
    }

    private func error(_ message: String, at position: Int) -> TemplateParseError {
        TemplateParseError(line: lexer.line(at: position), message: message)
    }

    private var current: TemplateToken { tokens[index] }

    private mutating func next() -> TemplateToken {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    private mutating func skipSpace() {
        while case .space = current.kind { index += 1 }
    }

    /// Nodes up to end of input, `{{end}}` or `{{else}}` (returned as "{{end}}"/"{{else}}").
    private mutating func list() throws(TemplateParseError) -> ([TemplateNode], String?) {
        var nodes: [TemplateNode] = []
        while true {
            let t = next()
            switch t.kind {
            case .eof:
                return (nodes, nil)
            case .text(let s):
                nodes.append(.text(s))
            case .leftDelim:
                skipSpace()
                if case .identifier(let word) = current.kind {
                    switch word {
                    case "end":
                        index += 1
                        try closeAction("end")
                        return (nodes, "{{end}}")
                    case "else":
                        index += 1
                        skipSpace()
                        return (nodes, "{{else}}")
                    case "if", "range", "with":
                        index += 1
                        nodes.append(try control(word, position: t.position))
                        continue
                    case "break", "continue":
                        guard rangeDepth > 0 else { throw error("{{\(word)}} outside {{range}}", at: current.position) }
                        let p = current.position
                        index += 1
                        try closeAction(word)
                        nodes.append(word == "break" ? .break(position: p) : .continue(position: p))
                        continue
                    case "define", "template", "block":
                        throw error("{{\(word)}} is not supported", at: current.position)
                    default: break
                    }
                }
                let pipe = try pipeline(context: "command", position: t.position)
                nodes.append(.action(pipe))
            default:
                throw error("unexpected \(describe(t)) in input", at: t.position)
            }
        }
    }

    private mutating func closeAction(_ what: String) throws(TemplateParseError) {
        skipSpace()
        guard case .rightDelim = current.kind else {
            throw error("unexpected \(describe(current)) in \(what)", at: current.position)
        }
        index += 1
    }

    /// if / range / with, after the keyword.
    private mutating func control(_ word: String, position: Int) throws(TemplateParseError) -> TemplateNode {
        let saved = variables.count
        defer { variables.removeLast(variables.count - saved) }
        let pipe = try pipeline(context: word, position: position)
        if word == "range" { rangeDepth += 1 }
        var (body, end) = try list()
        if word == "range" { rangeDepth -= 1 }
        var elseBody: [TemplateNode]?
        if end == "{{else}}" {
            // `{{else if ...}}` / `{{else with ...}}` nests a new control.
            if case .identifier(let w) = current.kind, (w == "if" && word == "if") || (w == "with" && word == "with") {
                index += 1
                elseBody = [try control(w, position: current.position)]
                end = "{{end}}"
            } else {
                try closeAction("else")
                let (e, end2) = try list()
                elseBody = e
                end = end2
            }
        }
        guard end == "{{end}}" else {
            throw error(end == nil ? "unexpected EOF" : "expected end; found \(end!)", at: tokens[index].position)
        }
        switch word {
        case "if": return .if(pipe, list: body, else: elseBody)
        case "range": return .range(pipe, list: body, else: elseBody)
        default: return .with(pipe, list: body, else: elseBody)
        }
    }

    private mutating func pipeline(context: String, position: Int) throws(TemplateParseError) -> Pipeline {
        var pipe = Pipeline(position: position)
        skipSpace()
        // Declarations: $x := ..., $k, $v := ... (range), $x = ...
        let save = index
        if case .variable(let v) = current.kind {
            index += 1
            skipSpace()
            var names = [v]
            if case .comma = current.kind, context == "range" {
                index += 1
                skipSpace()
                if case .variable(let v2) = current.kind {
                    names.append(v2)
                    index += 1
                    skipSpace()
                }
            }
            switch current.kind {
            case .declare:
                index += 1
                pipe.declarations = names
            case .assign where names.count == 1:
                index += 1
                guard variables.contains(v) else { throw error("undefined variable \(goQuote(v))", at: position) }
                pipe.declarations = names
                pipe.isAssign = true
            default:
                index = save
            }
        }
        while true {
            skipSpace()
            switch current.kind {
            case .rightDelim:
                index += 1
                guard !pipe.commands.isEmpty else { throw error("missing value for \(context)", at: current.position) }
                if !pipe.isAssign { variables.append(contentsOf: pipe.declarations) }
                return pipe
            case .rightParen where context == "parenthesized pipeline":
                guard !pipe.commands.isEmpty else { throw error("missing value for \(context)", at: current.position) }
                return pipe
            case .eof:
                throw error("unclosed action", at: current.position)
            default:
                pipe.commands.append(try command())
                skipSpace()
                if case .pipe = current.kind {
                    index += 1
                    continue
                }
            }
        }
    }

    private mutating func command() throws(TemplateParseError) -> Command {
        var cmd = Command(position: current.position, args: [])
        while true {
            skipSpace()
            switch current.kind {
            case .rightDelim, .rightParen, .pipe:
                guard !cmd.args.isEmpty else { throw error("empty command", at: current.position) }
                return cmd
            case .eof:
                throw error("unclosed action", at: current.position)
            default:
                cmd.args.append(try operand())
                // Operands must be separated by spaces.
                switch current.kind {
                case .space, .rightDelim, .rightParen, .pipe: continue
                default: throw error("unexpected \(describe(current)) in operand", at: current.position)
                }
            }
        }
    }

    private mutating func operand() throws(TemplateParseError) -> Operand {
        let t = next()
        var chainPosition: Int? {
            if case .field = current.kind { return current.position }
            return nil
        }
        var base: Operand
        switch t.kind {
        case .field(let name):
            // A chain takes the position of its second field, as Go's parser gives it.
            let position = chainPosition ?? t.position
            var names = [name]
            while case .field(let more) = current.kind {
                names.append(more)
                index += 1
            }
            return .field(names: names, position: names.count > 1 ? position : t.position)
        case .variable(let name):
            guard variables.contains(name) else { throw error("undefined variable \(goQuote(name))", at: t.position) }
            let position = chainPosition ?? t.position
            var fields: [String] = []
            while case .field(let more) = current.kind {
                fields.append(more)
                index += 1
            }
            return .variable(name: name, fields: fields, position: position)
        case .identifier(let name):
            guard functions.contains(name) else { throw error("function \(goQuote(name)) not defined", at: t.position) }
            base = .function(name, position: t.position)
        case .dot: base = .dot(position: t.position)
        case .nil: base = .nil(position: t.position)
        case .bool(let b): base = .bool(b, position: t.position)
        case .number(let n):
            guard TemplateValue.number(literal: n) != nil else { throw error("bad number syntax: \(goQuote(n))", at: t.position) }
            base = .number(n, position: t.position)
        case .char(let c):
            base = .number(String(c.unicodeScalars.first.map { Int($0.value) } ?? 0), position: t.position)
        case .string(let s): base = .string(s, position: t.position)
        case .leftParen:
            let pipe = try pipeline(context: "parenthesized pipeline", position: t.position)
            guard case .rightParen = current.kind else { throw error("unclosed left paren", at: t.position) }
            index += 1
            base = .pipeline(pipe, position: t.position)
        default:
            throw error("unexpected \(describe(t)) in operand", at: t.position)
        }
        let position = chainPosition ?? t.position
        var fields: [String] = []
        while case .field(let more) = current.kind {
            fields.append(more)
            index += 1
        }
        if !fields.isEmpty {
            switch base {
            case .bool, .string, .number, .nil, .dot:
                throw error("unexpected . after term \(goQuote(base.description))", at: t.position)
            default:
                return .chain(base, fields: fields, position: position)
            }
        }
        return base
    }

    private func describe(_ t: TemplateToken) -> String {
        switch t.kind {
        case .text(let s): return goQuote(s)
        case .leftDelim: return "\"{{\""
        case .rightDelim: return "\"}}\""
        case .identifier(let s), .field(let s), .variable(let s), .number(let s): return "<\(s)>"
        case .dot: return "<.>"
        case .string(let s): return goQuote(s)
        case .char(let s): return "'\(s)'"
        case .bool(let b): return "<\(b)>"
        case .nil: return "<nil>"
        case .pipe: return "\"|\""
        case .leftParen: return "\"(\""
        case .rightParen: return "\")\""
        case .declare: return "\":=\""
        case .assign: return "\"=\""
        case .comma: return "\",\""
        case .space: return "space"
        case .eof: return "EOF"
        }
    }
}
