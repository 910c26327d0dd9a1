// Go's path/filepath functions (on Linux) that .dockerignore handling depends on.

enum GoFilepath {
    /// `filepath.Clean`: one slash between elements, no `.` elements, `..` removed with
    /// the element before it (or at the root), no trailing slash; "" is ".".
    static func clean(_ path: String) -> String {
        if path.isEmpty { return "." }
        let rooted = path.hasPrefix("/")
        var elements: [Substring] = []
        for element in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch element {
            case ".":
                continue
            case "..":
                if let last = elements.last, last != ".." {
                    elements.removeLast()
                } else if !rooted {
                    elements.append(element)
                }
            default:
                elements.append(element)
            }
        }
        let joined = elements.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// Whether `filepath.Match(pattern, name)` reports `ErrBadPattern`. patternmatcher
    /// checks each pattern this way (with name "."), so what Go's matcher finds
    /// malformed before it stops is refused, and nothing else.
    static func isBadPattern(_ pattern: String, name: String = ".") -> Bool {
        var pattern = pattern.scalars[...]
        var name = name.scalars[...]
        outer: while !pattern.isEmpty {
            let (star, chunk, rest) = scanChunk(pattern)
            pattern = rest
            if star && chunk.isEmpty {
                return false
            }
            let (remainder, ok, bad) = matchChunk(chunk, name)
            if ok && (remainder.isEmpty || !pattern.isEmpty) {
                name = remainder
                continue
            }
            if bad { return true }
            if star {
                var index = name.startIndex
                while index < name.endIndex && name[index] != "/" {
                    let (remainder, ok, bad) = matchChunk(chunk, name[(index + 1)...])
                    if ok {
                        if pattern.isEmpty && !remainder.isEmpty {
                            index += 1
                            continue
                        }
                        name = remainder
                        continue outer
                    }
                    if bad { return true }
                    index += 1
                }
            }
            // No match: the rest of the pattern must still be well formed.
            while !pattern.isEmpty {
                let (_, chunk, rest) = scanChunk(pattern)
                pattern = rest
                if matchChunk(chunk, [][...]).bad { return true }
            }
            return false
        }
        return false
    }

    typealias Slice = ArraySlice<Unicode.Scalar>

    static func scanChunk(_ pattern: Slice) -> (Bool, Slice, Slice) {
        var pattern = pattern
        var star = false
        while pattern.first == "*" {
            pattern = pattern.dropFirst()
            star = true
        }
        var inRange = false
        var index = pattern.startIndex
        scan: while index < pattern.endIndex {
            switch pattern[index] {
            case "\\":
                if index + 1 < pattern.endIndex { index += 1 }
            case "[":
                inRange = true
            case "]":
                inRange = false
            case "*":
                if !inRange { break scan }
            default:
                break
            }
            index += 1
        }
        return (star, pattern[..<index], pattern[index...])
    }

    /// `matchChunk`: the rest of `name` after `chunk`, whether it matched, and whether
    /// the chunk is malformed.
    static func matchChunk(_ chunk: Slice, _ name: Slice) -> (rest: Slice, ok: Bool, bad: Bool) {
        var chunk = chunk
        var name = name
        var failed = false
        while let first = chunk.first {
            if !failed && name.isEmpty { failed = true }
            switch first {
            case "[":
                var scalar: Unicode.Scalar = "\0"
                if !failed { scalar = name.removeFirst() }
                chunk = chunk.dropFirst()
                var negated = false
                if chunk.first == "^" {
                    negated = true
                    chunk = chunk.dropFirst()
                }
                var matched = false
                var ranges = 0
                while true {
                    if chunk.first == "]" && ranges > 0 {
                        chunk = chunk.dropFirst()
                        break
                    }
                    guard let low = escaped(&chunk) else { return (name, false, true) }
                    var high = low
                    if chunk.first == "-" {
                        chunk = chunk.dropFirst()
                        guard let value = escaped(&chunk) else { return (name, false, true) }
                        high = value
                    }
                    if low <= scalar && scalar <= high { matched = true }
                    ranges += 1
                }
                if matched == negated { failed = true }
            case "?":
                if !failed {
                    if name.first == "/" { failed = true }
                    name = name.dropFirst()
                }
                chunk = chunk.dropFirst()
            case "\\":
                chunk = chunk.dropFirst()
                guard let literal = chunk.first else { return (name, false, true) }
                if !failed {
                    if literal != name.first { failed = true }
                    name = name.dropFirst()
                }
                chunk = chunk.dropFirst()
            default:
                if !failed {
                    if first != name.first { failed = true }
                    name = name.dropFirst()
                }
                chunk = chunk.dropFirst()
            }
        }
        return failed ? (name, false, false) : (name, true, false)
    }

    /// `getEsc`: one (possibly escaped) character of a range; nil when malformed
    /// (missing, `-`, `]`, or the last character of the chunk).
    static func escaped(_ chunk: inout Slice) -> Unicode.Scalar? {
        guard let first = chunk.first, first != "-", first != "]" else { return nil }
        if first == "\\" {
            chunk = chunk.dropFirst()
            guard !chunk.isEmpty else { return nil }
        }
        let scalar = chunk.removeFirst()
        return chunk.isEmpty ? nil : scalar
    }
}
