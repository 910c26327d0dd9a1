// One logical line split into keyword, flags and arguments, as BuildKit's
// parser does before instructions are typed (frontend/dockerfile/parser:
// split_command.go and line_parsers.go). Each keyword has its own argument
// rules: JSON or a single string (CMD, ENTRYPOINT, RUN, SHELL), JSON or a
// blank-separated list (ADD, COPY, VOLUME), words keeping their quotes (ARG),
// `k=v` pairs or the legacy `k v` (ENV, LABEL), a type then a command
// (HEALTHCHECK), a nested instruction (ONBUILD), the rest as one string
// (MAINTAINER, STOPSIGNAL, USER, WORKDIR), blank-separated (EXPOSE, FROM).

/// An instruction as the parser sees it, before its arguments are checked.
struct RawInstruction: Equatable {
    /// The keyword as written (`RUN`, `run`).
    var keyword: String
    /// `--name[=value]` words before the arguments, quotes and escapes removed.
    var flags: [String]
    /// The arguments; ENV and LABEL give (key, value, "=" or "") triples; ONBUILD gives
    /// the nested keyword followed by its arguments.
    var arguments: [String]
    /// The arguments were a JSON array (exec form).
    var isJSON: Bool
    /// Whether heredocs are looked for (RUN, COPY, ADD, or an ONBUILD of one, not JSON).
    var acceptsHeredocs: Bool
    /// The logical line: continuation lines joined, comments inside dropped.
    var original: String
    var heredocs: [Heredoc] = []
    var lines: ClosedRange<Int> = 1...1

    static let heredocKeywords: Set<String> = ["add", "copy", "run"]

    /// BuildKit's `newNodeFromLine`.
    init(parsing line: Scalars, escape: Unicode.Scalar) throws(DockerfileError) {
        let parser = ArgumentRules(escape: escape)
        let (keyword, flags, rest) = parser.splitCommand(line[...])
        self.keyword = String(scalars: keyword)
        self.flags = flags
        self.original = String(scalars: line)
        let lowered = self.keyword.lowercased()
        if lowered == "onbuild" {
            // ONBUILD nests: flatten the chain iteratively (ONBUILD ONBUILD ... is refused
            // later, but must not recurse without bound first).
            var arguments: [String] = []
            var nested = rest
            var nestedIsJSON = false
            var nestedKeyword = ""
            while !nested.isEmpty {
                let (innerKeyword, _, innerRest) = parser.splitCommand(nested)
                nestedKeyword = String(scalars: innerKeyword).lowercased()
                arguments.append(String(scalars: innerKeyword))
                if nestedKeyword == "onbuild" {
                    nested = innerRest
                    continue
                }
                let (innerArguments, json) = try parser.arguments(for: nestedKeyword, innerRest)
                arguments += innerArguments
                nestedIsJSON = json
                break
            }
            self.arguments = arguments
            self.isJSON = false
            self.acceptsHeredocs = Self.heredocKeywords.contains(nestedKeyword) && !nestedIsJSON
        } else {
            (self.arguments, self.isJSON) = try parser.arguments(for: lowered, rest)
            self.acceptsHeredocs = Self.heredocKeywords.contains(lowered) && !isJSON
        }
    }
}

/// The argument rules of each keyword.
struct ArgumentRules {
    let escape: Unicode.Scalar

    static let notStringArray = "when using JSON array syntax, arrays must be comprised of strings only"

    /// `splitCommand`: the keyword, the builder flags, and the trimmed rest.
    func splitCommand(_ line: ArraySlice<Unicode.Scalar>) -> (ArraySlice<Unicode.Scalar>, [String], ArraySlice<Unicode.Scalar>) {
        let (keyword, afterKeyword) = line.trimmingGoSpace().splitAtFirstBlankRun()
        guard let afterKeyword else { return (keyword, [], []) }
        let (rest, flags) = extractBuilderFlags(afterKeyword)
        return (keyword, flags, rest.trimmingGoSpace())
    }

    func arguments(for keyword: String, _ rest: ArraySlice<Unicode.Scalar>) throws(DockerfileError) -> ([String], Bool) {
        switch keyword {
        case "add", "copy", "volume":
            return try maybeJSONToList(rest)
        case "arg":
            return (words(rest), false)
        case "cmd", "entrypoint", "run", "shell":
            return try maybeJSON(rest)
        case "env":
            return (try nameValues(rest, keyword: "ENV"), false)
        case "label":
            return (try nameValues(rest, keyword: "LABEL"), false)
        case "expose", "from":
            return (rest.splitAtBlankRuns().filter { !$0.isEmpty }.map { String(scalars: $0) }, false)
        case "healthcheck":
            return try healthcheck(rest)
        case "maintainer", "stopsignal", "user", "workdir":
            return (rest.isEmpty ? [] : [String(scalars: rest)], false)
        default:
            // An unknown keyword: kept, refused when instructions are typed.
            return ([""], false)
        }
    }

    /// `extractBuilderFlags`: leading `--` words (quotes and escapes processed) and the
    /// text after them. A lone `--` ends the flags. BuildKit reads bytes here, which
    /// garbles non-ASCII characters in flags (`é` becomes `Ã©`); here they stay intact.
    func extractBuilderFlags(_ text: ArraySlice<Unicode.Scalar>) -> (ArraySlice<Unicode.Scalar>, [String]) {
        enum Phase { case spaces, word, quote }
        var words: [String] = []
        var phase = Phase.spaces
        var builder: Scalars = []
        var quote: Unicode.Scalar = "\0"
        var blankOK = false
        var position = text.startIndex
        let end = text.endIndex
        while position <= end {
            if phase == .spaces {
                if position == end { break }
                let scalar = text[position]
                if scalar.isByteSpace {
                    position += 1
                    continue
                }
                if scalar != "-" || position + 1 == end || text[position + 1] != "-" {
                    return (text[position...], words)
                }
                phase = .word
            }
            if position == end {
                let word = String(scalars: builder)
                if word != "--" && (blankOK || !word.isEmpty) { words.append(word) }
                break
            }
            var scalar = text[position]
            if phase == .word {
                if scalar.isByteSpace {
                    let word = String(scalars: builder)
                    phase = .spaces
                    if word == "--" { return (text[position...], words) }
                    if blankOK || !word.isEmpty { words.append(word) }
                    builder.removeAll()
                    blankOK = false
                    position += 1
                    continue
                }
                if scalar == "'" || scalar == "\"" {
                    quote = scalar
                    blankOK = true
                    phase = .quote
                    position += 1
                    continue
                }
                if scalar == escape {
                    if position + 1 == end {
                        position += 1
                        continue
                    }
                    position += 1
                    scalar = text[position]
                }
                builder.append(scalar)
                position += 1
                continue
            }
            // Inside quotes.
            if scalar == quote {
                phase = .word
                position += 1
                continue
            }
            if scalar == escape {
                if position + 1 == end {
                    phase = .word
                    position += 1
                    continue
                }
                position += 1
                scalar = text[position]
            }
            builder.append(scalar)
            position += 1
        }
        return (text[end...], words)
    }

    /// `parseWords`: blank-separated words; quotes and escapes are kept in the words
    /// (they are processed when the words are expanded).
    func words(_ rest: ArraySlice<Unicode.Scalar>) -> [String] {
        enum Phase { case spaces, word, quote }
        let text = Array(rest)
        var words: [String] = []
        var phase = Phase.spaces
        var quote: Unicode.Scalar = "\0"
        var blankOK = false
        var builder: Scalars = []
        var position = 0
        while position <= text.count {
            if phase == .spaces {
                if position == text.count { break }
                if text[position].isGoSpace {
                    position += 1
                    continue
                }
                phase = .word
            }
            if position == text.count {
                if blankOK || !builder.isEmpty { words.append(String(scalars: builder)) }
                break
            }
            var scalar = text[position]
            if phase == .word {
                if scalar.isGoSpace {
                    phase = .spaces
                    if blankOK || !builder.isEmpty { words.append(String(scalars: builder)) }
                    builder.removeAll()
                    blankOK = false
                    position += 1
                    continue
                }
                if scalar == "'" || scalar == "\"" {
                    quote = scalar
                    blankOK = true
                    phase = .quote
                }
                if scalar == escape {
                    if position + 1 == text.count {
                        position += 1
                        continue
                    }
                    // An escape outside quotes keeps itself and the next character.
                    builder.append(scalar)
                    position += 1
                    scalar = text[position]
                }
                builder.append(scalar)
                position += 1
                continue
            }
            if scalar == quote { phase = .word }
            // Inside single quotes nothing is escaped.
            if scalar == escape && quote != "'" {
                if position + 1 == text.count {
                    phase = .word
                    position += 1
                    continue
                }
                position += 1
                builder.append(scalar)
                scalar = text[position]
            }
            builder.append(scalar)
            position += 1
        }
        return words
    }

    /// ENV and LABEL: `k=v k2=v2` or the legacy `k v` (everything after the first
    /// blank run is the value). Triples of key, value and the delimiter.
    func nameValues(_ rest: ArraySlice<Unicode.Scalar>, keyword: String) throws(DockerfileError) -> [String] {
        let words = words(rest)
        guard let first = words.first else { return [] }
        if !first.contains("=") {
            let (key, value) = rest.splitAtFirstBlankRun()
            guard let value else { throw DockerfileError("\(keyword) must have two arguments", lines: nil) }
            return [String(scalars: key), String(scalars: value), ""]
        }
        var triples: [String] = []
        for word in words {
            guard let equals = word.firstIndex(of: "=") else {
                throw DockerfileError(
                    "Syntax error - can't find = in \(GoText.quote(word)). Must be of the form: name=value", lines: nil)
            }
            triples += [String(word[..<equals]), String(word[word.index(after: equals)...]), "="]
        }
        return triples
    }

    /// A JSON array of strings, or nil when the text is not JSON.
    func json(_ rest: ArraySlice<Unicode.Scalar>) throws(DockerfileError) -> [String]? {
        let trimmed = rest.trimmingLeadingGoSpace()
        guard trimmed.first == "[" else { return nil }
        switch JSONArray.parse(trimmed) {
        case .strings(let strings): return strings
        case .notStringArray: throw DockerfileError(Self.notStringArray, lines: nil)
        case .invalid: return nil
        }
    }

    /// CMD, ENTRYPOINT, RUN, SHELL: JSON, or the whole text as one argument.
    func maybeJSON(_ rest: ArraySlice<Unicode.Scalar>) throws(DockerfileError) -> ([String], Bool) {
        if rest.isEmpty { return ([], false) }
        if let strings = try json(rest) { return (strings, true) }
        return ([String(scalars: rest)], false)
    }

    /// ADD, COPY, VOLUME: JSON, or blank-separated.
    func maybeJSONToList(_ rest: ArraySlice<Unicode.Scalar>) throws(DockerfileError) -> ([String], Bool) {
        if let strings = try json(rest) { return (strings, true) }
        if rest.isEmpty { return ([], false) }
        return (rest.splitAtBlankRuns().map { String(scalars: $0) }, false)
    }

    /// HEALTHCHECK: the first word (the type), then the command as CMD reads it.
    func healthcheck(_ rest: ArraySlice<Unicode.Scalar>) throws(DockerfileError) -> ([String], Bool) {
        let separator = rest.firstIndex(where: \.isByteSpace) ?? rest.endIndex
        if separator == rest.startIndex { return ([], false) }
        let commandStart = rest[separator...].firstIndex(where: { !$0.isByteSpace }) ?? rest.endIndex
        let (command, json) = try maybeJSON(rest[commandStart...])
        return ([String(scalars: rest[..<separator])] + command, json)
    }
}
