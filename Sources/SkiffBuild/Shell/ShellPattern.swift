// The patterns of `${VAR#p}`, `${VAR%p}` and `${VAR/p/r}`: BuildKit turns them
// into Go regular expressions (`*` → `.*` or `.*?`, `?` → `.`, the rest literal)
// and lets RE2 find the leftmost match, preferring longer or shorter stars as
// Perl would. Matching here computes that same preferred match directly: for each
// pattern position, the end of the preferred match from every text position,
// built from the last token back (linear in text length per token, no
// backtracking). As in Go's regexp, `.` does not match a newline.

enum ShellPattern {
    enum Token: Equatable {
        case literal(Unicode.Scalar)
        case any
        case star
    }

    /// `${VAR#pattern}` (`##` when greedy): the value without its shortest (longest) matching prefix.
    static func trimPrefix(_ pattern: Scalars, from value: Scalars, greedy: Bool) throws(ExpansionError) -> Scalars {
        let tokens = try compile(pattern)
        guard let end = preferredEnds(tokens, value, greedy: greedy)[0] else { return value }
        return Array(value[end...])
    }

    /// `${VAR%pattern}` (`%%` when greedy): BuildKit reverses pattern and value and trims a prefix.
    static func trimSuffix(_ pattern: Scalars, from value: Scalars, greedy: Bool) throws(ExpansionError) -> Scalars {
        try trimPrefix(reversed(pattern), from: value.reversed(), greedy: greedy).reversed()
    }

    /// `${VAR/pattern/replacement}` and `${VAR//pattern/replacement}`; greedy stars.
    static func replace(_ pattern: Scalars, with replacement: Scalars, in value: Scalars, all: Bool) throws(ExpansionError) -> Scalars {
        let tokens = try compile(pattern)
        let ends = preferredEnds(tokens, value, greedy: true)
        func match(from start: Int) -> (Int, Int)? {
            guard start <= value.count else { return nil }
            for position in start...value.count {
                if let end = ends[position] { return (position, end) }
            }
            return nil
        }
        guard all else {
            guard let (start, end) = match(from: 0) else { return value }
            return Array(value[..<start]) + replacement + Array(value[end...])
        }
        // Go's Regexp.ReplaceAllString: empty matches right after a match are skipped,
        // and the replacement is a template (`$0` is the match, `$$` a dollar).
        var output: Scalars = []
        var lastMatchEnd = 0
        var searchPosition = 0
        while searchPosition <= value.count, let (start, end) = match(from: searchPosition) {
            output += value[lastMatchEnd..<start]
            if end > lastMatchEnd || start == 0 {
                output += expandTemplate(replacement, match: value[start..<end])
            }
            lastMatchEnd = end
            let width = searchPosition < value.count ? 1 : 0
            if searchPosition + width > end {
                searchPosition += width
            } else if searchPosition + 1 > end {
                searchPosition += 1
            } else {
                searchPosition = end
            }
        }
        return output + value[lastMatchEnd...]
    }

    /// BuildKit's `convertShellPatternToRegex`, as tokens.
    static func compile(_ pattern: Scalars) throws(ExpansionError) -> [Token] {
        var scalars = pattern[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        var tokens: [Token] = []
        while let scalar = scalars.popFirst() {
            switch scalar {
            case "*":
                tokens.append(.star)
            case "?":
                tokens.append(.any)
            case "\\":
                // `\}` and `\/` are escapes of ${} syntax, not of the pattern.
                if scalars.first == "}" || scalars.first == "/" { continue }
                let escaped = scalars.popFirst()
                guard let escaped, escaped == "*" || escaped == "?" || escaped == "\\" else {
                    let shown = escaped.map { String($0) } ?? "\u{FFFD}"
                    throw ExpansionError("invalid pattern (\(String(scalars: pattern))) in substitution: invalid escape '\\\(shown)'")
                }
                tokens.append(.literal(escaped))
            default:
                tokens.append(.literal(scalar))
            }
        }
        return tokens
    }

    /// BuildKit's `reversePattern`: reversed, but each `\x` escape kept in order.
    static func reversed(_ pattern: Scalars) -> Scalars {
        var out = pattern
        let last = pattern.count - 1
        var index = 0
        while index <= last {
            let outIndex = last - index
            if pattern[index] == "\\" && index != last {
                out[outIndex - 1] = pattern[index]
                out[outIndex] = pattern[index + 1]
                index += 2
            } else {
                out[outIndex] = pattern[index]
                index += 1
            }
        }
        return out
    }

    /// For every start position in `value`, where the preferred match of `tokens`
    /// starting there ends (nil: no match starts there).
    static func preferredEnds(_ tokens: [Token], _ value: Scalars, greedy: Bool) -> [Int?] {
        let count = value.count
        var row: [Int?] = Array(0...count)
        // runEnd[p]: the first newline at or after p (or the end): how far a star reaches.
        var runEnd = Array(repeating: count, count: count + 1)
        if count > 0 {
            for position in stride(from: count - 1, through: 0, by: -1) {
                runEnd[position] = value[position] == "\n" ? position : runEnd[position + 1]
            }
        }
        for token in tokens.reversed() {
            var next: [Int?] = Array(repeating: nil, count: count + 1)
            switch token {
            case .literal(let scalar):
                for position in 0..<count where value[position] == scalar {
                    next[position] = row[position + 1]
                }
            case .any:
                for position in 0..<count where value[position] != "\n" {
                    next[position] = row[position + 1]
                }
            case .star:
                if greedy {
                    // The last matching position at or before q, for q from the start.
                    var lastMatch = Array(repeating: -1, count: count + 1)
                    var latest = -1
                    for position in 0...count {
                        if row[position] != nil { latest = position }
                        lastMatch[position] = latest
                    }
                    for position in 0...count {
                        let candidate = lastMatch[runEnd[position]]
                        if candidate >= position { next[position] = row[candidate] }
                    }
                } else {
                    var firstMatch = Array(repeating: Int.max, count: count + 2)
                    for position in stride(from: count, through: 0, by: -1) {
                        firstMatch[position] = row[position] != nil ? position : firstMatch[position + 1]
                    }
                    for position in 0...count {
                        let candidate = firstMatch[position]
                        if candidate <= runEnd[position] { next[position] = row[candidate] }
                    }
                }
            }
            row = next
        }
        return row
    }

    /// Go's `Regexp.Expand` for a pattern without groups: `$$` is `$`, `$0`/`${0}` the
    /// match, any other reference nothing, a malformed one the `$` itself.
    static func expandTemplate(_ template: Scalars, match: ArraySlice<Unicode.Scalar>) -> Scalars {
        var output: Scalars = []
        var rest = template[...]
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            if rest.first == "$" {
                output.append("$")
                rest = rest.dropFirst()
                continue
            }
            var name = rest
            let braced = name.first == "{"
            if braced { name = name.dropFirst() }
            let nameEnd = name.firstIndex(where: { !($0.isGoLetter || $0.isGoDigit || $0 == "_") }) ?? name.endIndex
            let reference = name[..<nameEnd]
            if reference.isEmpty || (braced && (nameEnd == name.endIndex || name[nameEnd] != "}")) {
                output.append("$")
                continue
            }
            rest = name[(braced ? name.index(after: nameEnd) : nameEnd)...]
            if reference.count == 1 && reference.first == "0" { output += match }
        }
        return output + rest
    }
}
