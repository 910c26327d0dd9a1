// One .dockerignore pattern as moby/patternmatcher compiles it (`Pattern.compile`):
// a pattern without wildcards is compared as is; `prefix/**` is a prefix test;
// `**/suffix` (or `**suffix`) a suffix test; anything else becomes an anchored
// regular expression in which `*` is `[^/]*`, `?` is `[^/]`, `**` is `(.*/)?`
// (or `.*` at the end), `\x` quotes x and `[...]` is a character class.
//
// The expression is matched here without a regexp engine, by an automaton over
// tokens, with the same result, including what Go's regexp syntax makes of text
// patternmatcher passes through unescaped: `^` anchors at the start, `\d`, `\s`,
// `\w` (and `\D`, `\S`, `\W`) are classes, `\b`, `\B`, `\A`, `\z` assertions,
// `\t`-style escapes control characters; other escaped letters and digits (`\x41`,
// `\pL`, `\1`) are refused, where Go accepts some. One difference
// remains: `*` and `?` inside brackets are literal here (patternmatcher expands
// them inside the class, which no one means).

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
        /// `^`, `\\A`: matches nothing, and only at the start.
        case start
        /// `\\z`: matches nothing, and only at the end.
        case end
        /// `\\b` (true) and `\\B` (false): an ASCII word boundary, or not one.
        case wordBoundary(Bool)
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
                    tokens.append(try escape(escaped))
                    kind = .tokens
                } else {
                    tokens.append(.literal("\\"))
                }
            case "^":
                tokens.append(.start)
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

    /// Go's regexp reading of `\x`: punctuation is itself, a few letters are classes or
    /// control characters, any other letter, digit or non-ASCII character is an error.
    static func escape(_ scalar: Unicode.Scalar) throws(CompileError) -> Token {
        if scalar.value < 0x80 && !scalar.properties.isAlphabetic && !scalar.isASCIIDigit { return .literal(scalar) }
        switch scalar {
        case "a": return .literal("\u{07}")
        case "f": return .literal("\u{0C}")
        case "t": return .literal("\t")
        case "n": return .literal("\n")
        case "r": return .literal("\r")
        case "v": return .literal("\u{0B}")
        case "A": return .start
        case "z": return .end
        case "b": return .wordBoundary(true)
        case "B": return .wordBoundary(false)
        case "d", "D", "s", "S", "w", "W":
            let ranges: [ClosedRange<UInt32>]
            switch scalar {
            case "d", "D": ranges = [0x30...0x39]
            case "s", "S": ranges = [0x09...0x0A, 0x0C...0x0D, 0x20...0x20]
            default: ranges = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
            }
            let upper = scalar == "D" || scalar == "S" || scalar == "W"
            return .set(CharacterSet(negated: false, ranges: upper ? complement(ranges) : ranges))
        default:
            throw .badPattern
        }
    }

    /// The code points not in `ranges` (sorted, disjoint).
    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        result.append(next...0x10FFFF)
        return result
    }

    /// A bracket expression starting after `[`: `^` negates, `a-z` ranges, `\x` quotes
    /// (with the escapes of `escape`), a first `]` is literal.
    static func characterSet(_ pattern: Scalars, from start: Int) throws(CompileError) -> (CharacterSet, Int) {
        var index = start
        var set = CharacterSet(negated: false, ranges: [])
        if index < pattern.count, pattern[index] == "^" {
            set.negated = true
            index += 1
        }
        /// One element: a character, or a class (`\d`) whose ranges are added directly.
        func element() throws(CompileError) -> Unicode.Scalar? {
            guard index < pattern.count else { throw .badPattern }
            let scalar = pattern[index]
            index += 1
            guard scalar == "\\" else { return scalar }
            guard index < pattern.count else { throw .badPattern }
            let escaped = pattern[index]
            index += 1
            switch try escape(escaped) {
            case .literal(let literal):
                return literal
            case .set(let escapedSet):
                set.ranges += escapedSet.ranges
                return nil
            default:
                throw .badPattern
            }
        }
        var first = true
        while true {
            guard index < pattern.count else { throw .badPattern }
            if pattern[index] == "]" && !first {
                return (set, index + 1)
            }
            first = false
            guard let low = try element() else { continue }
            var high = low
            if index + 1 < pattern.count, pattern[index] == "-", pattern[index + 1] != "]" {
                index += 1
                guard let value = try element() else { throw .badPattern }
                high = value
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
    /// path for each token, whatever the pattern. States are kept open (zero-width
    /// tokens not yet followed); they are followed once the next character is known.
    struct Machine {
        let tokens: [Token]
        /// `before[t]`: about to match token t (t == count: matched all).
        var before: [Bool]
        /// `inside[t]`: within the `.*` of a `**/` token t.
        var inside: [Bool]
        /// The last character consumed (nil at the start).
        var previous: Unicode.Scalar?

        enum Next { case character(Unicode.Scalar), end, unknown }

        init(_ tokens: [Token]) {
            self.tokens = tokens
            before = Array(repeating: false, count: tokens.count + 1)
            inside = Array(repeating: false, count: tokens.count + 1)
            before[0] = true
        }

        /// Whether the text consumed so far is matched.
        var accepts: Bool { closed(.end)[tokens.count] }
        var isDead: Bool { !before.contains(true) && !inside.contains(true) }
        /// Some live state can still consume a character.
        var canConsumeMore: Bool { closed(.unknown).dropLast().contains(true) || inside.contains(true) }

        static func isWord(_ scalar: Unicode.Scalar?) -> Bool {
            guard let scalar, scalar.value < 0x80 else { return false }
            return scalar.isASCIIDigit || scalar.properties.isAlphabetic || scalar == "_"
        }

        /// `before` with the zero-width steps taken: tokens that may match nothing, and
        /// assertions that hold between `previous` and `next` (an unknown next passes).
        func closed(_ next: Next) -> [Bool] {
            var states = before
            for index in tokens.indices where states[index] {
                let passes: Bool
                switch tokens[index] {
                case .star, .anything, .directories: passes = true
                case .start: passes = previous == nil
                case .end:
                    if case .character = next { passes = false } else { passes = true }
                case .wordBoundary(let boundary):
                    switch next {
                    case .unknown: passes = true
                    case .end: passes = Self.isWord(previous) == boundary
                    case .character(let scalar): passes = (Self.isWord(previous) != Self.isWord(scalar)) == boundary
                    }
                default: passes = false
                }
                if passes { states[index + 1] = true }
            }
            return states
        }

        mutating func step(_ scalar: Unicode.Scalar) {
            let current = closed(.character(scalar))
            var nextBefore = Array(repeating: false, count: tokens.count + 1)
            var nextInside = Array(repeating: false, count: tokens.count + 1)
            for index in tokens.indices {
                if current[index] {
                    switch tokens[index] {
                    case .literal(let literal): if scalar == literal { nextBefore[index + 1] = true }
                    case .one: if scalar != "/" { nextBefore[index + 1] = true }
                    case .set(let set): if set.contains(scalar) { nextBefore[index + 1] = true }
                    case .star: if scalar != "/" { nextBefore[index] = true }
                    case .anything: if scalar != "\n" { nextBefore[index] = true }
                    case .directories:
                        if scalar == "/" { nextBefore[index + 1] = true }
                        if scalar != "\n" { nextInside[index] = true }
                    case .start, .end, .wordBoundary:
                        break
                    }
                }
                if inside[index] {
                    if scalar == "/" { nextBefore[index + 1] = true }
                    if scalar != "\n" { nextInside[index] = true }
                }
            }
            before = nextBefore
            inside = nextInside
            previous = scalar
        }
    }
}
