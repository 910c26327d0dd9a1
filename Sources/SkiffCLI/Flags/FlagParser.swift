/// A flag-parsing failure, worded as pflag words it.
enum FlagError: Error {
    case unknownFlag(String)
    case unknownShorthand(Character, in: String)
    case needsArgument(String)
    case needsArgumentShort(Character, in: String)
    case badSyntax(String)
    case invalidValue(String, flag: String, reason: String)

    var message: String {
        switch self {
        case .unknownFlag(let name): return "unknown flag: --\(name)"
        case .unknownShorthand(let c, let arg): return "unknown shorthand flag: '\(c)' in -\(arg)"
        case .needsArgument(let arg): return "flag needs an argument: \(arg)"
        case .needsArgumentShort(let c, let arg): return "flag needs an argument: '\(c)' in -\(arg)"
        case .badSyntax(let arg): return "bad flag syntax: \(arg)"
        case .invalidValue(let value, let flag, let reason):
            return "invalid argument \(goQuote(value)) for \(goQuote(flag)) flag: \(reason)"
        }
    }

    /// The error alone, for contexts that add no usage (filters parsed by commands).
    var cliError: CLIError { CLIError(message, status: 125) }
}

/// The flags and arguments of one command line.
struct ParsedFlags {
    /// Values by flag name, in the order given (bools as "true"/"false").
    private(set) var values: [String: [String]] = [:]
    /// Positional arguments.
    var args: [String] = []
    /// `--help` was given.
    var help = false
    /// pflag's notices for deprecated flags used ("Flag --time has been deprecated, ...").
    var deprecations: [String] = []

    func isSet(_ name: String) -> Bool { values[name] != nil }

    func bool(_ name: String) -> Bool { values[name]?.last == "true" }

    func string(_ name: String) -> String? { values[name]?.last }

    func strings(_ name: String) -> [String] { values[name] ?? [] }

    /// A StringSlice flag's values: every occurrence split as a CSV record (already checked
    /// while parsing).
    func slice(_ name: String) -> [String] { strings(name).flatMap { (try? CSV.record($0)) ?? [] } }

    /// A map flag's values (`--opt k=v`, `--label k`: empty value) as a JSON object, the last
    /// value of a key winning, keys sorted as Go marshals a map.
    func map(_ name: String) -> JSON {
        var values: [String: String] = [:]
        for entry in strings(name) {
            let (k, v) = cut(entry, "=")
            values[k] = v ?? ""
        }
        return .object(JSONObject(values.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSON.string($0.value)) }))
    }

    /// The value of an int flag (already checked while parsing).
    func int(_ name: String) -> Int? { string(name).flatMap(GoParse.int) }

    mutating func set(_ name: String, _ value: String) { values[name, default: []].append(value) }
}

/// pflag's parsing rules: `--name=value`, `--name value`, `-abc` (bools combined, the
/// last may take the rest or the next argument), `-e=X`, `-eX`, `--` ending the flags;
/// without interspersing, the first argument ends the flags (`run IMAGE CMD -x`).
struct FlagParser {
    let flags: [Flag]
    let interspersed: Bool
    /// Whether `-h` means help (it is `--hostname` for run and create).
    let shortHelp: Bool

    func parse(_ arguments: [String]) throws(FlagError) -> ParsedFlags {
        var result = ParsedFlags()
        var rest = arguments[...]
        while let arg = rest.popFirst() {
            if arg.count < 2 || !arg.hasPrefix("-") {
                result.args.append(arg)
                if !interspersed {
                    result.args.append(contentsOf: rest)
                    return result
                }
                continue
            }
            if arg == "--" {
                result.args.append(contentsOf: rest)
                return result
            }
            if arg.hasPrefix("--") {
                try parseLong(arg, &rest, &result)
            } else {
                try parseShort(arg, &rest, &result)
            }
        }
        return result
    }

    private func parseLong(_ arg: String, _ rest: inout ArraySlice<String>, _ result: inout ParsedFlags) throws(FlagError) {
        let body = arg.dropFirst(2)
        guard let first = body.first, first != "-", first != "=" else { throw .badSyntax(arg) }
        let name: String
        var value: String?
        if let eq = body.firstIndex(of: "=") {
            name = String(body[..<eq])
            value = String(body[body.index(after: eq)...])
        } else {
            name = String(body)
        }
        guard let flag = flags.first(where: { $0.name == name }) else {
            if name == "help" {
                result.help = true
                return
            }
            throw .unknownFlag(name)
        }
        if value == nil {
            if flag.takesValue {
                guard let next = rest.popFirst() else { throw .needsArgument(arg) }
                value = next
            } else {
                value = "true"
            }
        }
        try set(flag, value!, &result)
    }

    private func parseShort(_ arg: String, _ rest: inout ArraySlice<String>, _ result: inout ParsedFlags) throws(FlagError) {
        var shorthands = Substring(arg.dropFirst())
        while let c = shorthands.first {
            guard let flag = flags.first(where: { $0.short == c }) else {
                if c == "h" && shortHelp {
                    result.help = true
                    result.deprecations.append("Flag shorthand -h has been deprecated, use --help")
                    shorthands = shorthands.dropFirst()
                    continue
                }
                throw .unknownShorthand(c, in: String(shorthands))
            }
            let value: String
            if shorthands.count > 2, shorthands.dropFirst().first == "=" {
                value = String(shorthands.dropFirst(2))
                shorthands = ""
            } else if !flag.takesValue {
                value = "true"
                shorthands = shorthands.dropFirst()
            } else if shorthands.count > 1 {
                value = String(shorthands.dropFirst())
                shorthands = ""
            } else if let next = rest.popFirst() {
                value = next
                shorthands = ""
            } else {
                throw .needsArgumentShort(c, in: String(shorthands))
            }
            try set(flag, value, &result)
        }
    }

    private func set(_ flag: Flag, _ value: String, _ result: inout ParsedFlags) throws(FlagError) {
        if let note = flag.deprecated { result.deprecations.append("Flag --\(flag.name) has been deprecated, \(note)") }
        switch flag.kind {
        case .bool:
            guard let b = GoParse.bool(value) else {
                throw .invalidValue(value, flag: flag.displayName, reason: "strconv.ParseBool: parsing \(goQuote(value)): invalid syntax")
            }
            result.set(flag.key, b ? "true" : "false")
        case .value(let type), .list(let type):
            if let reason = type.check(value) {
                throw .invalidValue(value, flag: flag.displayName, reason: reason)
            }
            result.set(flag.key, value)
        }
    }
}

/// Go's strconv parsing rules where flags follow them.
enum GoParse {
    /// strconv.ParseBool.
    static func bool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }

    /// strconv.ParseInt(s, 0, 64): optional sign, 0x/0o/0b/0 prefixes, underscores after a prefix.
    static func int(_ s: String) -> Int? {
        var text = Substring(s)
        var negative = false
        if text.first == "+" || text.first == "-" {
            negative = text.first == "-"
            text = text.dropFirst()
        }
        var radix = 10
        let lower = text.lowercased()
        if lower.hasPrefix("0x") { radix = 16; text = text.dropFirst(2) }
        else if lower.hasPrefix("0o") { radix = 8; text = text.dropFirst(2) }
        else if lower.hasPrefix("0b") { radix = 2; text = text.dropFirst(2) }
        else if text.count > 1 && text.first == "0" { radix = 8; text = text.dropFirst() }
        if radix != 10 { text = Substring(text.filter { $0 != "_" }) }
        guard !text.isEmpty, let magnitude = Int(text, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }
}
