// One .dockerignore pattern as moby/patternmatcher compiles it (`Pattern.compile`):
// a pattern without wildcards is compared as is; `prefix/**` is a prefix test;
// `**/suffix` (or `**suffix`) a suffix test; anything else becomes an anchored
// regular expression in which `*` is `[^/]*`, `?` is `[^/]`, `**` is `(.*/)?`
// (or `.*` at the end), `\x` quotes x and `[...]` is a character class.
//
// The expression is matched here without a regexp engine, by an automaton over
// tokens, with the same result. Where patternmatcher passes pattern text straight into Go's regexp
// syntax by accident (`^` left unescaped, `*` or `?` inside brackets, `\d`-style
// escapes) this matcher reads them as the pattern means them: `^` and a bracketed
// `*` are literal, `\d` is a `d`.

struct PathPattern: Sendable, Equatable {
    enum Token: Equatable, Sendable {
        case literal(Unicode.Scalar)
        /// `?`: one character other than `/`.
        case one
        /// `*`: any run of characters other than `/`.
        case star
        /// `**` at the end: anything (not newlines, as Go's `.`).
        case anything
        /// `**` before more pattern: nothing, or anything ending with `/`.
        case directories
        case set(CharacterSet)
    }

    struct CharacterSet: Equatable, Sendable {
        var negated: Bool
        var ranges: [ClosedRange<UInt32>]

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            ranges.contains { $0.contains(scalar.value) } != negated
        }
    }

    enum Match: Equatable, Sendable {
        case exact(String)
        case prefix(String)
        case suffix(String)
        case tokens([Token])
    }

    /// The cleaned pattern, without its `!`.
    let text: String
    let isException: Bool
    let match: Match

    enum CompileError: Error { case badPattern }

    init(_ text: String, isException: Bool) throws(CompileError) {
        self.text = text
        self.isException = isException
        match = try Self.compile(text.scalars)
    }

    /// patternmatcher's `compile`, producing the match kind it would choose.
    static func compile(_ pattern: Scalars) throws(CompileError) -> Match {
        enum Kind { case exact, prefix, suffix, tokens }
        var kind = Kind.exact
        var tokens: [Token] = []
        var index = 0
        var position = 0
        func peek() -> Unicode.Scalar? { index < pattern.count ? pattern[index] : nil }
        while index < pattern.count {
            defer { position += 1 }
            let scalar = pattern[index]
            index += 1
            switch scalar {
            case "*":
                guard peek() == "*" else {
                    tokens.append(.star)
                    kind = .tokens
                    continue
                }
                index += 1
                if peek() == "/" { index += 1 }
                if peek() == nil {
                    if kind == .exact {
                        kind = .prefix
                    } else {
                        tokens.append(.anything)
                        kind = .tokens
                    }
                } else {
                    tokens.append(.directories)
                    kind = .tokens
                }
                if position == 0 { kind = .suffix }
            case "?":
                tokens.append(.one)
                kind = .tokens
            case "\\":
                if let escaped = peek() {
                    index += 1
                    tokens.append(.literal(escaped))
                    kind = .tokens
                } else {
                    tokens.append(.literal("\\"))
                }
            case "[":
                let (set, end) = try characterSet(pattern, from: index)
                tokens.append(.set(set))
                index = end
                kind = .tokens
            case "]":
                // An unmatched `]` is literal in Go's regexp.
                tokens.append(.literal("]"))
                kind = .tokens
            default:
                tokens.append(.literal(scalar))
            }
        }
        let text = String(scalars: pattern)
        switch kind {
        case .exact: return .exact(text)
        case .prefix: return .prefix(String(text.dropLast(2)))
        case .suffix: return .suffix(String(text.dropFirst(2)))
        case .tokens: return .tokens(tokens)
        }
    }

    /// A bracket expression starting after `[`: `^` negates, `a-z` ranges, `\x` quotes,
    /// `[:alpha:]`-style classes are not supported (Go's filepath.Match refuses them).
    static func characterSet(_ pattern: Scalars, from start: Int) throws(CompileError) -> (CharacterSet, Int) {
        var index = start
        var set = CharacterSet(negated: false, ranges: [])
        if index < pattern.count, pattern[index] == "^" {
            set.negated = true
            index += 1
        }
        func element() throws(CompileError) -> Unicode.Scalar {
            guard index < pattern.count else { throw .badPattern }
            var scalar = pattern[index]
            index += 1
            if scalar == "\\" {
                guard index < pattern.count else { throw .badPattern }
                scalar = pattern[index]
                index += 1
            }
            return scalar
        }
        var first = true
        while true {
            guard index < pattern.count else { throw .badPattern }
            if pattern[index] == "]" && !first {
                return (set, index + 1)
            }
            first = false
            let low = try element()
            var high = low
            if index + 1 < pattern.count, pattern[index] == "-", pattern[index + 1] != "]" {
                index += 1
                high = try element()
                if high.value < low.value { throw .badPattern }
            }
            set.ranges.append(low.value...high.value)
        }
    }

    /// Whether the pattern matches `path` (cleaned, `/`-separated, relative) or, with
    /// `orParents`, one of its parent directories.
    func matches(_ path: String, orParents: Bool = false) -> Bool {
        switch match {
        case .exact(let text):
            return path == text || (orParents && path.hasPrefix(text + "/"))
        case .prefix(let start):
            // A parent with the prefix makes the path have it too.
            return path.hasPrefix(start)
        case .suffix(let suffix):
            let ends = orParents ? Self.boundaries(path) : [path.unicodeScalars.count]
            let scalars = path.scalars
            for end in ends {
                let candidate = String(scalars: scalars[..<end])
                if candidate.hasSuffix(suffix) { return true }
                if suffix.first == "/" && candidate == suffix.dropFirst() { return true }
            }
            return false
        case .tokens(let tokens):
            var machine = Machine(tokens)
            for scalar in path.unicodeScalars {
                if orParents && scalar == "/" && machine.accepts { return true }
                machine.step(scalar)
                if machine.isDead { return false }
            }
            return machine.accepts
        }
    }

    /// The lengths of the path's parents (up to each `/`) and of the path itself.
    static func boundaries(_ path: String) -> [Int] {
        var ends: [Int] = []
        for (index, scalar) in path.unicodeScalars.enumerated() where scalar == "/" { ends.append(index) }
        ends.append(path.unicodeScalars.count)
        return ends
    }

    /// Whether the pattern could match some path below `directory` (`directory/...`).
    func couldMatchBelow(_ directory: String) -> Bool {
        let prefix = directory + "/"
        switch match {
        case .exact(let text):
            return text.hasPrefix(prefix)
        case .prefix(let start):
            return start.hasPrefix(prefix) || prefix.hasPrefix(start)
        case .suffix:
            return true
        case .tokens(let tokens):
            var machine = Machine(tokens)
            for scalar in prefix.unicodeScalars {
                machine.step(scalar)
                if machine.isDead { return false }
            }
            return machine.canConsumeMore
        }
    }

    /// The pattern as a Thompson automaton: one "before token t" state per token, plus
    /// an "inside" state for `**/` (consuming the `.*` before its `/`). Linear in the
    /// path for each token, whatever the pattern.
    struct Machine {
        let tokens: [Token]
        /// `before[t]`: about to match token t (t == count: matched all).
        var before: [Bool]
        /// `inside[t]`: within the `.*` of a `**/` token t.
        var inside: [Bool]

        init(_ tokens: [Token]) {
            self.tokens = tokens
            before = Array(repeating: false, count: tokens.count + 1)
            inside = Array(repeating: false, count: tokens.count + 1)
            before[0] = true
            closeOver()
        }

        var accepts: Bool { before[tokens.count] }
        var isDead: Bool { !before.contains(true) && !inside.contains(true) }
        /// Some live state can still consume a character.
        var canConsumeMore: Bool { before.dropLast().contains(true) || inside.contains(true) }

        /// Tokens that may match nothing lead on without consuming.
        mutating func closeOver() {
            for index in tokens.indices where before[index] {
                switch tokens[index] {
                case .star, .anything, .directories: before[index + 1] = true
                default: break
                }
            }
        }

        mutating func step(_ scalar: Unicode.Scalar) {
            var nextBefore = Array(repeating: false, count: tokens.count + 1)
            var nextInside = Array(repeating: false, count: tokens.count + 1)
            for index in tokens.indices {
                if before[index] {
                    switch tokens[index] {
                    case .literal(let literal): if scalar == literal { nextBefore[index + 1] = true }
                    case .one: if scalar != "/" { nextBefore[index + 1] = true }
                    case .set(let set): if set.contains(scalar) { nextBefore[index + 1] = true }
                    case .star: if scalar != "/" { nextBefore[index] = true }
                    case .anything: if scalar != "\n" { nextBefore[index] = true }
                    case .directories:
                        if scalar == "/" { nextBefore[index + 1] = true }
                        if scalar != "\n" { nextInside[index] = true }
                    }
                }
                if inside[index] {
                    if scalar == "/" { nextBefore[index + 1] = true }
                    if scalar != "\n" { nextInside[index] = true }
                }
            }
            before = nextBefore
            inside = nextInside
            closeOver()
        }
    }
}
