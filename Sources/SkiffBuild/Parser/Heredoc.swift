/// A here-document attached to RUN, COPY or ADD (or to an ONBUILD of one):
/// `<<EOF`, `<<-EOF` (leading tabs stripped), `<<"EOF"`/`<<'EOF'` (no expansion),
/// `3<<EOF` (a file descriptor).
public struct Heredoc: Sendable, Equatable {
    /// The delimiter word, quotes removed; COPY and ADD use it as the file name.
    public var name: String
    /// The descriptor before `<<` (0 when none).
    public var fileDescriptor: UInt
    /// False when any part of the delimiter was quoted: the body is not expanded.
    public var expand: Bool
    /// `<<-`: leading tabs are stripped from the body's lines.
    public var chomp: Bool
    /// The body as written, line endings included, tabs not yet stripped.
    public var content: String

    public init(name: String, fileDescriptor: UInt = 0, expand: Bool = true, chomp: Bool = false, content: String = "") {
        self.name = name
        self.fileDescriptor = fileDescriptor
        self.expand = expand
        self.chomp = chomp
        self.content = content
    }

    /// The body with leading tabs stripped from every line when `chomp` (BuildKit's
    /// `ChompHeredocContent`), else as written.
    public var body: String {
        chomp ? Self.stripLeadingTabs(content) : content
    }

    static func stripLeadingTabs(_ text: String) -> String {
        var out: Scalars = []
        var atLineStart = true
        for scalar in text.unicodeScalars {
            if atLineStart && scalar == "\t" { continue }
            atLineStart = scalar == "\n"
            out.append(scalar)
        }
        return String(scalars: out)
    }

    /// BuildKit's `ParseHeredoc`: `word` is a heredoc when it is `[digits]<<[-][blanks]name`
    /// and the name is one shell word; a name whose quoting does not close is an error.
    static func parse(_ word: String) throws(ExpansionError) -> Heredoc? {
        var rest = word.scalars[...]
        let digitsEnd = rest.firstIndex(where: { !$0.isASCIIDigit }) ?? rest.endIndex
        let digits = rest[..<digitsEnd]
        rest = rest[digitsEnd...]
        guard rest.starts(with: ["<", "<"]) else { return nil }
        rest = rest.dropFirst(2)
        let chomp = rest.first == "-"
        if chomp { rest = rest.dropFirst() }
        // `\s*` of the pattern: Go's \s is [\t\n\f\r ].
        while let first = rest.first, first == "\t" || first == "\n" || first == "\u{0C}" || first == "\r" || first == " " {
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty, !rest.contains("<") else { return nil }
        let name = String(scalars: rest)

        var lexer = ShellLexer()
        lexer.skipUnsetVariables = true
        let words = try lexer.processWords(name, [String: String]())
        guard words.count == 1 else { return nil }
        lexer.rawQuotes = true
        let rawWords = try lexer.processWords(name, [String: String]())
        guard rawWords.count == 1 else {
            throw ExpansionError("internal lexing of heredoc produced inconsistent results: \(name)")
        }
        func quotes(_ text: String) -> Int { text.unicodeScalars.count(where: { $0 == "'" || $0 == "\"" }) }
        return Heredoc(
            name: words[0],
            fileDescriptor: UInt(String(scalars: digits)) ?? (digits.isEmpty ? 0 : UInt.max),
            expand: quotes(words[0]) == quotes(rawWords[0]),
            chomp: chomp)
    }

    /// BuildKit's `heredocsFromLine`: the heredoc words of a whole instruction line.
    static func all(in line: String) throws(ExpansionError) -> [Heredoc] {
        var lexer = ShellLexer()
        lexer.rawQuotes = true
        lexer.rawEscapes = true
        lexer.skipUnsetVariables = true
        // A line that does not lex (an unclosed quote) has no heredocs, as in BuildKit.
        let words = (try? lexer.processWords(line, [String: String]())) ?? []
        var heredocs: [Heredoc] = []
        for word in words {
            if let heredoc = try parse(word) { heredocs.append(heredoc) }
        }
        return heredocs
    }
}
