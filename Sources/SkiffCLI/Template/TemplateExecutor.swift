/// A failure while running a template, worded as Go's text/template words it:
/// `template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"`.
struct TemplateExecError: Error, CustomStringConvertible {
    var message: String
    /// Set once the failing node is known.
    var location: (line: Int, column: Int, node: String)?
    /// The function argument at fault (Go reports the argument's node, not the call's).
    var argument: Int?
    /// The template's name.
    var name = ""

    init(_ message: String, argument: Int? = nil) {
        self.message = message
        self.argument = argument
    }

    var description: String {
        guard let location else { return "template: \(name):\(message)" }
        return "template: \(name):\(location.line):\(location.column): executing \"\(name)\" at <\(location.node)>: \(message)"
    }
}

/// A parsed template with docker's functions, ready to run on values.
struct GoTemplate {
    let source: String
    let name: String
    let nodes: [TemplateNode]

    /// Parses `source` with text/template's syntax and docker's function set; `name` is
    /// the template's name in error messages.
    init(_ source: String, name: String = "") throws(TemplateParseError) {
        self.source = source
        self.name = name
        do {
            self.nodes = try TemplateParser.parse(source, functions: TemplateFunctions.names)
        } catch {
            var e = error
            e.name = name
            throw e
        }
    }

    /// Runs the template on `data`. `missingKeyIsError` is Go's `missingkey=error` (docker's
    /// inspect); `header` swaps in docker's header functions (table headers).
    func execute(_ data: TemplateValue, missingKeyIsError: Bool = false, header: Bool = false) throws(TemplateExecError) -> String {
        var state = ExecutionState(source: Array(source.utf8), root: data, missingKeyIsError: missingKeyIsError, header: header)
        do {
            try state.walk(nodes, dot: data)
        } catch .error(var e) {
            e.name = name
            throw e
        } catch {
            // break/continue cannot escape a range: the parser refuses them outside one.
        }
        return state.output
    }

    /// Runs the template and returns what it wrote before any error (docker's table headers).
    func executePartial(_ data: TemplateValue, header: Bool = false) -> String {
        var state = ExecutionState(source: Array(source.utf8), root: data, missingKeyIsError: false, header: header)
        try? state.walk(nodes, dot: data)
        return state.output
    }
}

/// Control flow out of a walk: an error, or break/continue inside range.
enum TemplateFlow: Error {
    case error(TemplateExecError)
    case breakLoop, continueLoop
}

struct ExecutionState {
    let source: [UInt8]
    let root: TemplateValue
    let missingKeyIsError: Bool
    let header: Bool
    var output = ""
    var variables: [(name: String, value: TemplateValue)] = []

    init(source: [UInt8], root: TemplateValue, missingKeyIsError: Bool, header: Bool) {
        self.source = source
        self.root = root
        self.missingKeyIsError = missingKeyIsError
        self.header = header
        variables = [("$", root)]
    }

    func fail(_ message: String, at position: Int, node: String) -> TemplateFlow {
        var e = TemplateExecError(message)
        e.location = locate(position, node)
        return .error(e)
    }

    private func locate(_ position: Int, _ node: String) -> (Int, Int, String) {
        let before = source[0..<min(position, source.count)]
        let line = 1 + before.filter { $0 == 0x0A }.count
        let column = position - ((before.lastIndex(of: 0x0A)).map { $0 + 1 } ?? 0)
        return (line, column, node)
    }

    /// Attaches the node's location to an error that has none.
    private func located(_ error: TemplateExecError, _ position: Int, _ node: String) -> TemplateFlow {
        guard error.location == nil else { return .error(error) }
        var e = error
        e.location = locate(position, node)
        return .error(e)
    }

    mutating func walk(_ nodes: [TemplateNode], dot: TemplateValue) throws(TemplateFlow) {
        for node in nodes {
            switch node {
            case .text(let s):
                output += s
            case .action(let pipe):
                let value = try evalPipeline(pipe, dot: dot)
                if pipe.declarations.isEmpty { output += value.printed }
            case .if(let pipe, let list, let elseList):
                let mark = variables.count
                let value = try evalPipeline(pipe, dot: dot)
                if value.truth { try walk(list, dot: dot) } else if let elseList { try walk(elseList, dot: dot) }
                variables.removeLast(variables.count - mark)
            case .with(let pipe, let list, let elseList):
                let mark = variables.count
                let value = try evalPipeline(pipe, dot: dot)
                if value.truth { try walk(list, dot: value) } else if let elseList { try walk(elseList, dot: dot) }
                variables.removeLast(variables.count - mark)
            case .range(let pipe, let list, let elseList):
                try walkRange(pipe, list, elseList, dot: dot)
            case .break:
                throw .breakLoop
            case .continue:
                throw .continueLoop
            }
        }
    }

    private mutating func walkRange(_ pipe: Pipeline, _ list: [TemplateNode], _ elseList: [TemplateNode]?, dot: TemplateValue) throws(TemplateFlow) {
        let mark = variables.count
        defer { variables.removeLast(variables.count - mark) }
        var bare = pipe
        bare.declarations = []
        let value = try evalPipeline(bare, dot: dot)
        var items: [(key: TemplateValue, value: TemplateValue)] = []
        switch value {
        case .typed(.array(let a), .slice(let t)): items = a.enumerated().map { (.int($0.offset), .typed($0.element, t)) }
        case .typed(.object(let o), .map(let t)): items = o.members.sorted { $0.key < $1.key }.map { (.string($0.key), .typed($0.value, t)) }
        case .typed(.null, _): items = []
        case .json(.array(let a)): items = a.enumerated().map { (.int($0.offset), .json($0.element)) }
        case .json(.object(let o)): items = o.members.sorted { $0.key < $1.key }.map { (.string($0.key), .json($0.value)) }
        case .json(.number(let n)) where isInteger(n):
            items = (0..<max(0, JSON.number(n).int ?? 0)).map { (.int($0), .int($0)) }
        case .json(.null), .noValue: items = []
        case .typed(let j, _):
            guard case .json(.number(let n)) = TemplateValue.json(j), isInteger(n) else {
                throw fail("range can't iterate over \(value.printed)", at: pipe.position, node: "{{range " + pipe.description + "}}")
            }
            items = (0..<max(0, JSON.number(n).int ?? 0)).map { (.int($0), .int($0)) }
        default:
            throw fail("range can't iterate over \(value.printed)", at: pipe.position, node: "{{range " + pipe.description + "}}")
        }
        if items.isEmpty {
            if let elseList { try walk(elseList, dot: dot) }
            return
        }
        let varMark = variables.count
        for item in items {
            variables.removeLast(variables.count - varMark)
            switch pipe.declarations.count {
            case 1: variables.append((pipe.declarations[0], item.value))
            case 2:
                variables.append((pipe.declarations[0], item.key))
                variables.append((pipe.declarations[1], item.value))
            default: break
            }
            do {
                try walk(list, dot: item.value)
            } catch .breakLoop {
                break
            } catch .continueLoop {
                continue
            }
        }
    }

    mutating func evalPipeline(_ pipe: Pipeline, dot: TemplateValue) throws(TemplateFlow) -> TemplateValue {
        var value: TemplateValue?
        for command in pipe.commands {
            value = try evalCommand(command, dot: dot, final: value)
        }
        let result = value ?? .noValue
        if pipe.isAssign {
            if let i = variables.lastIndex(where: { $0.name == pipe.declarations[0] }) { variables[i].value = result }
        } else {
            for name in pipe.declarations { variables.append((name, result)) }
        }
        return result
    }

    private mutating func evalCommand(_ command: Command, dot: TemplateValue, final: TemplateValue?) throws(TemplateFlow) -> TemplateValue {
        let first = command.args[0]
        switch first {
        case .field(let names, let position):
            return try evalFieldChain(dot, names, position: position, node: first.description, args: Array(command.args.dropFirst()), dot: dot, final: final)
        case .variable(let name, let fields, let position):
            let value = try variable(name, position: position)
            if fields.isEmpty {
                try notAFunction(command, final: final)
                return value
            }
            return try evalFieldChain(value, fields, position: position, node: first.description, args: Array(command.args.dropFirst()), dot: dot, final: final)
        case .chain(let base, let fields, let position):
            let value = try evalOperand(base, dot: dot)
            return try evalFieldChain(value, fields, position: position, node: first.description, args: Array(command.args.dropFirst()), dot: dot, final: final)
        case .function(let name, let position):
            let operands = Array(command.args.dropFirst())
            if name == "and" || name == "or" {
                return try shortCircuit(name, operands, final: final, dot: dot)
            }
            var args: [TemplateValue] = []
            for a in operands { args.append(try evalOperand(a, dot: dot)) }
            if let final { args.append(final) }
            do {
                return try TemplateFunctions.call(name, args, header: header)
            } catch {
                if let i = error.argument, i < operands.count {
                    var e = error
                    e.argument = nil
                    throw located(e, operands[i].position, operands[i].description)
                }
                throw located(error, position, command.description)
            }
        case .pipeline(let pipe, _):
            try notAFunction(command, final: final)
            return try evalPipeline(pipe, dot: dot)
        case .nil(let position):
            throw fail("nil is not a command", at: position, node: "nil")
        default:
            try notAFunction(command, final: final)
            return try evalOperand(first, dot: dot)
        }
    }

    private func notAFunction(_ command: Command, final: TemplateValue?) throws(TemplateFlow) {
        if command.args.count > 1 || final != nil {
            throw fail("can't give argument to non-function \(command.args[0].description)", at: command.args[0].position, node: command.args[0].description)
        }
    }

    /// `and`/`or`: arguments evaluated left to right until the result is known.
    private mutating func shortCircuit(_ name: String, _ operands: [Operand], final: TemplateValue?, dot: TemplateValue) throws(TemplateFlow) -> TemplateValue {
        var last = TemplateValue.noValue
        for op in operands {
            last = try evalOperand(op, dot: dot)
            if (name == "and" && !last.truth) || (name == "or" && last.truth) { return last }
        }
        return final ?? last
    }

    private func variable(_ name: String, position: Int) throws(TemplateFlow) -> TemplateValue {
        guard let v = variables.last(where: { $0.name == name }) else {
            throw fail("undefined variable: \(name)", at: position, node: name)
        }
        return v.value
    }

    mutating func evalOperand(_ op: Operand, dot: TemplateValue) throws(TemplateFlow) -> TemplateValue {
        switch op {
        case .field(let names, let position):
            return try evalFieldChain(dot, names, position: position, node: op.description, args: [], dot: dot, final: nil)
        case .variable(let name, let fields, let position):
            let value = try variable(name, position: position)
            return fields.isEmpty ? value : try evalFieldChain(value, fields, position: position, node: op.description, args: [], dot: dot, final: nil)
        case .chain(let base, let fields, let position):
            let value = try evalOperand(base, dot: dot)
            return try evalFieldChain(value, fields, position: position, node: op.description, args: [], dot: dot, final: nil)
        case .function(let name, let position):
            do { return try TemplateFunctions.call(name, [], header: header) } catch { throw located(error, position, name) }
        case .dot: return dot
        case .nil: return .json(.null)
        case .bool(let b, _): return .bool(b)
        case .number(let n, _): return .json(TemplateValue.number(literal: n) ?? .number(n))
        case .string(let s, _): return .string(s)
        case .pipeline(let pipe, _): return try evalPipeline(pipe, dot: dot)
        }
    }

    /// `.A.B.C args...`: fields in turn; the last one gets the arguments (a method call).
    private mutating func evalFieldChain(
        _ receiver: TemplateValue, _ names: [String], position: Int, node: String, args: [Operand], dot: TemplateValue,
        final: TemplateValue?
    ) throws(TemplateFlow) -> TemplateValue {
        var value = receiver
        for (i, name) in names.enumerated() {
            let isLast = i == names.count - 1
            var evaluated: [TemplateValue] = []
            if isLast {
                for a in args { evaluated.append(try evalOperand(a, dot: dot)) }
                if let final { evaluated.append(final) }
            }
            value = try field(value, name, args: evaluated, hasArgs: isLast && (!args.isEmpty || final != nil), position: position, node: node)
        }
        return value
    }

    private func field(_ receiver: TemplateValue, _ name: String, args: [TemplateValue], hasArgs: Bool, position: Int, node: String) throws(TemplateFlow) -> TemplateValue {
        switch receiver {
        case .typed(let j, let type):
            if let s = type.structure {
                guard case .object(let o) = j else {
                    throw fail("nil pointer evaluating \(type.name).\(name)", at: position, node: node)
                }
                guard let f = s.field(name) else {
                    throw fail("can't evaluate field \(name) in type \(type.name)", at: position, node: node)
                }
                if hasArgs { throw fail("\(name) has arguments but cannot be invoked as function", at: position, node: node) }
                return .typed(o[f.json] ?? f.type.zero, f.type)
            }
            if case .map(let element) = type {
                if hasArgs { throw fail("\(name) is not a method but has arguments", at: position, node: node) }
                guard case .object(let o) = j, let v = o[name] else { return .noValue }
                return .typed(v, element)
            }
            return try field(.json(j), name, args: args, hasArgs: hasArgs, position: position, node: node)
        case .record(let record):
            let result: TemplateValue?
            do { result = try record.field(name, args: args) } catch { throw located(error, position, node) }
            guard let result else {
                throw fail("can't evaluate field \(name) in type \(record.typeName)", at: position, node: node)
            }
            return result
        case .json(.object(let o)):
            if hasArgs { throw fail("\(name) is not a method but has arguments", at: position, node: node) }
            if let v = o[name] ?? GoFieldNames.jsonKeys[name].flatMap({ o[$0] }) { return .json(v) }
            if missingKeyIsError { throw fail("map has no entry for key \(goQuote(name))", at: position, node: node) }
            return .noValue
        case .json(.null), .noValue:
            throw fail("nil pointer evaluating interface {}.\(name)", at: position, node: node)
        default:
            throw fail("can't evaluate field \(name) in type \(receiver.typeName)", at: position, node: node)
        }
    }
}
