// Variable substitution and word splitting exactly as BuildKit's shell lexer
// (frontend/dockerfile/shell/lex.go): `$VAR`, `${VAR}`, `${VAR:-w}`, `${VAR-w}`,
// `${VAR:+w}`, `${VAR+w}`, `${VAR:?w}`, `${VAR?w}`, `${VAR#p}`, `${VAR##p}`,
// `${VAR%p}`, `${VAR%%p}`, `${VAR/p/r}`, `${VAR//p/r}`; single quotes keep
// everything literal, double quotes keep all but `$` and escapes of `"`, `$` and
// the escape character; the escape character (`\` or the Dockerfile's `escape`)
// quotes the next character. Positional and special parameters (`$1`, `$@`, ...)
// are names that are never set.
//
// One BuildKit quirk is kept on purpose, as the same Dockerfile must give the
// same result here: the buffer of the word being split is shared with nested
// `${VAR:-...}` processing, so in `processWords` text before such a substitution
// in the same word is lost (`a${X:-b}` splits to `["b"]`, as BuildKit does).

/// Where substitution looks variables up.
public protocol VariableLookup {
    func value(of name: String) -> String?
}

extension Dictionary: VariableLookup where Key == String, Value == String {
    public func value(of name: String) -> String? { self[name] }
}

/// BuildKit's `shell.Lex`.
public struct ShellLexer: Sendable {
    /// The escape character: `\`, or the Dockerfile's `# escape=` directive.
    public var escape: Unicode.Scalar
    /// Keep quote characters in the result (their meaning still applies).
    public var rawQuotes = false
    /// Keep escape characters in the result (their meaning still applies).
    public var rawEscapes = false
    /// Treat quotes as ordinary characters (heredoc bodies).
    public var skipProcessQuotes = false
    /// Leave references to unset variables as written.
    public var skipUnsetVariables = false

    /// Nested `${...}` deeper than this is refused (BuildKit has no limit; this keeps
    /// hostile input from exhausting the stack).
    static let maximumNesting = 64

    public init(escape: Unicode.Scalar = "\\") {
        self.escape = escape
    }

    /// One word, variables substituted and quotes removed, spaces kept (`ProcessWord`).
    public func processWord(_ word: String, _ variables: some VariableLookup) throws(ExpansionError) -> String {
        try run(word, variables).result
    }

    /// The words of `word` after substitution, split at unquoted whitespace (`ProcessWords`).
    public func processWords(_ word: String, _ variables: some VariableLookup) throws(ExpansionError) -> [String] {
        try run(word, variables).words
    }

    private func run(_ word: String, _ variables: some VariableLookup) throws(ExpansionError) -> (result: String, words: [String]) {
        var state = ShellWord(lexer: self, input: word.scalars, variables: variables)
        do {
            let (result, words) = try state.processStopOn(nil, rawEscapes: rawEscapes)
            return (String(scalars: result), words)
        } catch {
            throw ExpansionError("failed to process \(GoText.quote(word)): \(error.message)")
        }
    }
}

/// One run of the lexer over one input (BuildKit's `shellWord`).
private struct ShellWord {
    let lexer: ShellLexer
    let input: Scalars
    let variables: any VariableLookup
    var position = 0
    var rawEscapes: Bool
    var depth = 0
    /// Shared by every nesting level, as in BuildKit (see the file comment).
    var wordsBuffer: Scalars = []

    init(lexer: ShellLexer, input: Scalars, variables: any VariableLookup) {
        self.lexer = lexer
        // text/scanner drops a byte order mark at the very start.
        self.input = input.first == "\u{FEFF}" ? Array(input.dropFirst()) : input
        self.variables = variables
        self.rawEscapes = lexer.rawEscapes
    }

    func peek() -> Unicode.Scalar? {
        position < input.count ? input[position] : nil
    }

    mutating func next() -> Unicode.Scalar? {
        guard position < input.count else { return nil }
        position += 1
        return input[position - 1]
    }

    /// Go renders the scanner's EOF (-1) as U+FFFD in messages.
    static func describe(_ scalar: Unicode.Scalar?) -> String {
        String(scalar ?? "\u{FFFD}")
    }

    // MARK: Words

    struct Words {
        var words: [String] = []
        var inWord = false
    }

    mutating func addChar(_ scalar: Unicode.Scalar, to words: inout Words) {
        if scalar.isGoSpace {
            if words.inWord, !wordsBuffer.isEmpty {
                words.words.append(String(scalars: wordsBuffer))
                wordsBuffer.removeAll(keepingCapacity: true)
                words.inWord = false
            }
        } else {
            addRawChar(scalar, to: &words)
        }
    }

    mutating func addRawChar(_ scalar: Unicode.Scalar, to words: inout Words) {
        wordsBuffer.append(scalar)
        words.inWord = true
    }

    mutating func addString(_ text: Scalars, to words: inout Words) {
        for scalar in text { addChar(scalar, to: &words) }
    }

    mutating func addRawString(_ text: Scalars, to words: inout Words) {
        wordsBuffer.append(contentsOf: text)
        words.inWord = true
    }

    mutating func finish(_ words: inout Words) -> [String] {
        if !wordsBuffer.isEmpty {
            words.words.append(String(scalars: wordsBuffer))
            wordsBuffer.removeAll(keepingCapacity: true)
            words.inWord = false
        }
        return words.words
    }

    // MARK: Processing

    /// Reads up to `stop` (consumed) or the end, returning the processed text and its words.
    mutating func processStopOn(_ stop: Unicode.Scalar?, rawEscapes raw: Bool) throws(ExpansionError) -> (Scalars, [String]) {
        depth += 1
        defer { depth -= 1 }
        if depth > ShellLexer.maximumNesting { throw ExpansionError("substitutions nested too deeply") }
        var result: Scalars = []
        wordsBuffer.removeAll(keepingCapacity: true)
        var words = Words()
        let saved = rawEscapes
        rawEscapes = raw
        defer { rawEscapes = saved }

        while let scalar = peek() {
            if let stop, scalar == stop {
                position += 1
                return (result, finish(&words))
            }
            switch scalar {
            case "$":
                let value = try processDollar()
                result += value
                addString(value, to: &words)
            case "<":
                let value = processPossibleHeredoc()
                result += value
                addRawString(value, to: &words)
            case "'" where !lexer.skipProcessQuotes:
                let value = try processSingleQuote()
                result += value
                addRawString(value, to: &words)
            case "\"" where !lexer.skipProcessQuotes:
                let value = try processDoubleQuote()
                result += value
                addRawString(value, to: &words)
            default:
                var character = next()!
                if character == lexer.escape {
                    if rawEscapes {
                        addRawChar(character, to: &words)
                        result.append(character)
                    }
                    guard let escaped = next() else { break }
                    character = escaped
                    addRawChar(character, to: &words)
                } else {
                    addChar(character, to: &words)
                }
                result.append(character)
            }
        }
        if let stop {
            throw ExpansionError("unexpected end of statement while looking for matching \(stop)")
        }
        return (result, finish(&words))
    }

    mutating func processSingleQuote() throws(ExpansionError) -> Scalars {
        var result: Scalars = []
        let open = next()!
        if lexer.rawQuotes { result.append(open) }
        while true {
            guard let scalar = next() else {
                throw ExpansionError("unexpected end of statement while looking for matching single-quote")
            }
            if scalar == "'" {
                if lexer.rawQuotes { result.append(scalar) }
                return result
            }
            result.append(scalar)
        }
    }

    mutating func processDoubleQuote() throws(ExpansionError) -> Scalars {
        var result: Scalars = []
        let open = next()!
        if lexer.rawQuotes { result.append(open) }
        while true {
            guard let scalar = peek() else {
                throw ExpansionError("unexpected end of statement while looking for matching double-quote")
            }
            switch scalar {
            case "\"":
                position += 1
                if lexer.rawQuotes { result.append(scalar) }
                return result
            case "$":
                result += try processDollar()
            default:
                var character = next()!
                if character == lexer.escape {
                    if rawEscapes { result.append(character) }
                    guard let following = peek() else { continue }
                    if following == "\"" || following == "$" || following == lexer.escape {
                        character = next()!
                    }
                }
                result.append(character)
            }
        }
    }

    mutating func processDollar() throws(ExpansionError) -> Scalars {
        position += 1
        if peek() != "{" {
            let name = processName()
            if name.isEmpty { return ["$"] }
            guard let value = variables.value(of: name) else {
                return lexer.skipUnsetVariables ? ("$" + name).scalars : []
            }
            return value.scalars
        }
        position += 1
        switch peek() {
        case nil:
            throw ExpansionError("syntax error: missing '}'")
        case "{", "}", ":":
            throw ExpansionError("syntax error: bad substitution")
        default:
            break
        }
        let name = processName()
        var modifier = next()
        var modifierText = Self.describe(modifier)
        var nullIsUnset = false

        switch modifier {
        case "}":
            guard let value = variables.value(of: name) else {
                return lexer.skipUnsetVariables ? "${\(name)}".scalars : []
            }
            return value.scalars
        case ":", "+", "-", "?", "#", "%":
            if modifier == ":" {
                nullIsUnset = true
                modifier = next()
                modifierText += Self.describe(modifier)
            }
            let raw = modifier == "#" || modifier == "%"
            if nullIsUnset && raw {
                throw ExpansionError("unsupported modifier (\(modifierText)) in substitution")
            }
            let word: Scalars
            do {
                word = try processStopOn("}", rawEscapes: raw).0
            } catch {
                if peek() == nil { throw ExpansionError("syntax error: missing '}'") }
                throw error
            }
            let value = variables.value(of: name)
            if lexer.skipUnsetVariables && value == nil {
                return "${\(name)\(modifierText)".scalars + word + ["}"]
            }
            let unsetOrNull = value == nil || (nullIsUnset && value == "")
            switch modifier {
            case "-":
                return unsetOrNull ? word : value!.scalars
            case "+":
                return unsetOrNull ? [] : word
            case "?":
                guard let value else {
                    throw ExpansionError("\(name): \(word.isEmpty ? "is not allowed to be unset" : String(scalars: word))")
                }
                if nullIsUnset && value.isEmpty {
                    throw ExpansionError("\(name): \(word.isEmpty ? "is not allowed to be empty" : String(scalars: word))")
                }
                return value.scalars
            case "%", "#":
                var pattern = word
                let greedy = pattern.first == modifier
                if greedy { pattern.removeFirst() }
                let text = (value ?? "").scalars
                return modifier == "%"
                    ? try ShellPattern.trimSuffix(pattern, from: text, greedy: greedy)
                    : try ShellPattern.trimPrefix(pattern, from: text, greedy: greedy)
            default:
                throw ExpansionError("unsupported modifier (\(modifierText)) in substitution")
            }
        case "/":
            let replaceAll = peek() == "/"
            if replaceAll { position += 1 }
            let pattern: Scalars
            do {
                pattern = try processStopOn("/", rawEscapes: true).0
            } catch {
                if peek() == nil { throw ExpansionError("syntax error: missing '/' in ${}") }
                throw error
            }
            let replacement: Scalars
            do {
                replacement = try processStopOn("}", rawEscapes: true).0
            } catch {
                if peek() == nil { throw ExpansionError("syntax error: missing '}'") }
                throw error
            }
            let value = variables.value(of: name)
            if lexer.skipUnsetVariables && value == nil {
                return "${\(name)/".scalars + pattern + ["/"] + replacement + ["}"]
            }
            return try ShellPattern.replace(pattern, with: replacement, in: (value ?? "").scalars, all: replaceAll)
        default:
            throw ExpansionError("unsupported modifier (\(modifierText)) in substitution")
        }
    }

    /// A variable name: digits (a positional parameter), one special parameter
    /// character, or letters, digits and `_`.
    mutating func processName() -> String {
        var name: Scalars = []
        while let scalar = peek() {
            if name.isEmpty && scalar.isGoDigit {
                while let digit = peek(), digit.isGoDigit {
                    name.append(digit)
                    position += 1
                }
                return String(scalars: name)
            }
            if name.isEmpty && Self.isSpecialParameter(scalar) {
                position += 1
                return String(scalar)
            }
            guard scalar.isGoLetter || scalar.isGoDigit || scalar == "_" else { break }
            name.append(scalar)
            position += 1
        }
        return String(scalars: name)
    }

    static func isSpecialParameter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "@", "*", "#", "?", "-", "$", "!", "0": true
        default: false
        }
    }

    /// `<<` and the blanks after it stay together, so a heredoc word survives splitting.
    mutating func processPossibleHeredoc() -> Scalars {
        position += 1
        guard peek() == "<" else { return ["<"] }
        position += 1
        var result: Scalars = ["<", "<"]
        while let scalar = peek(), scalar == "\t" || scalar == "\r" || scalar == " " {
            result.append(scalar)
            position += 1
        }
        return result
    }
}
