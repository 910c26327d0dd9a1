// From bytes to logical instructions, as BuildKit's parser.Parse: parser
// directives at the top, comments, line continuations (the escape character
// last on a line, blanks after it allowed; comment lines and empty lines inside
// a continuation are skipped, the latter with a warning), then for RUN/COPY/ADD
// the heredoc bodies that follow the line.

/// A parser directive at the top of the file (`# syntax=...`, `# escape=...`, `# check=...`).
public struct ParserDirective: Sendable, Equatable {
    /// Lowercased: `syntax`, `escape` or `check`.
    public var name: String
    public var value: String
    public var line: Int

    public init(name: String, value: String, line: Int) {
        self.name = name
        self.value = value
        self.line = line
    }
}

/// Something BuildKit accepts but warns about (empty lines inside a continuation).
public struct DockerfileWarning: Sendable, Equatable {
    public var message: String
    public var line: Int

    public init(message: String, line: Int) {
        self.message = message
        self.line = line
    }
}

struct DockerfileSyntax {
    var directives: [ParserDirective] = []
    var escape: Unicode.Scalar = "\\"
    var instructions: [RawInstruction] = []
    var warnings: [DockerfileWarning] = []

    /// bufio.Scanner's limit: a longer line fails the parse.
    static let maximumLineLength = 65_536

    init(parsing bytes: [UInt8]) throws(DockerfileError) {
        var scanner = LineScanner(bytes: bytes)
        var directiveParser = DirectiveParser()
        var currentLine = 0

        while let rawFirst = scanner.next() {
            var firstBytes = rawFirst
            if currentLine == 0, firstBytes.starts(with: [0xEF, 0xBB, 0xBF]) { firstBytes = firstBytes.dropFirst(3) }
            let first = Self.decode(firstBytes)
            let processed: Scalars
            do {
                processed = try process(first, stripLeadingSpace: true, directives: &directiveParser)
            } catch {
                throw DockerfileError(error.message, line: currentLine + 1)
            }
            currentLine += 1
            let startLine = currentLine
            var (text, isEndOfLine) = trimContinuation(processed)
            if isEndOfLine && text.isEmpty { continue }
            var buffer = text
            var hasEmptyContinuationLine = false
            while !isEndOfLine, let rawNext = scanner.next() {
                let next = Self.decode(rawNext)
                let processedNext: Scalars
                do {
                    processedNext = try process(next, stripLeadingSpace: false, directives: &directiveParser)
                } catch {
                    throw DockerfileError(error.message, line: currentLine + 1)
                }
                currentLine += 1
                if Self.isComment(next[...]) { continue }
                if processedNext.allSatisfy(\.isGoSpace) {
                    hasEmptyContinuationLine = true
                    continue
                }
                (text, isEndOfLine) = trimContinuation(processedNext)
                buffer += text
            }
            let line = String(scalars: buffer)
            if hasEmptyContinuationLine {
                warnings.append(DockerfileWarning(message: "Empty continuation line found in: " + line, line: currentLine))
            }

            var instruction: RawInstruction
            do {
                instruction = try RawInstruction(parsing: buffer, escape: escape)
            } catch {
                throw DockerfileError(error.message, lines: startLine...currentLine)
            }
            if instruction.acceptsHeredocs && line.contains("<<") {
                let heredocs: [Heredoc]
                do {
                    heredocs = try Heredoc.all(in: line)
                } catch {
                    throw DockerfileError(error.message, lines: startLine...currentLine)
                }
                for var heredoc in heredocs {
                    let terminator = heredoc.name.scalars
                    var content: Scalars = []
                    var terminated = false
                    while let rawBody = scanner.next() {
                        currentLine += 1
                        let body = Self.decode(rawBody)
                        var candidate = Self.trimNewline(body[...])
                        if heredoc.chomp { candidate = candidate.drop(while: { $0 == "\t" }) }
                        if candidate.elementsEqual(terminator) {
                            terminated = true
                            break
                        }
                        content += body
                    }
                    if !terminated {
                        throw DockerfileError("unterminated heredoc", lines: startLine...currentLine)
                    }
                    heredoc.content = String(scalars: content)
                    instruction.heredocs.append(heredoc)
                }
            }
            instruction.lines = startLine...currentLine
            instructions.append(instruction)
        }
        directives = directiveParser.directives
        if instructions.isEmpty {
            throw DockerfileError("file with no instructions", lines: nil)
        }
        if scanner.tooLong {
            throw DockerfileError("dockerfile line greater than max allowed size of \(Self.maximumLineLength - 1)", line: currentLine + 1)
        }
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> Scalars {
        Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
    }

    /// `processLine`: the line without its line ending (and leading space for a first
    /// line), checked for a parser directive; nil content for a comment.
    mutating func process(_ line: Scalars, stripLeadingSpace: Bool, directives: inout DirectiveParser) throws(DockerfileError) -> Scalars {
        var token = Self.trimNewline(line[...])
        if stripLeadingSpace { token = token.trimmingLeadingGoSpace() }
        if let directive = try directives.parse(token), directive.name == "escape" {
            guard directive.value == "`" || directive.value == "\\" else {
                throw DockerfileError("invalid escape token '\(directive.value)' does not match ` or \\", lines: nil)
            }
            escape = directive.value.unicodeScalars.first!
        }
        return Self.isComment(token) ? [] : Array(token)
    }

    /// The escape character as the last non-blank character (and not itself escaped)
    /// continues the line: it and the blanks after it are removed.
    func trimContinuation(_ line: Scalars) -> (Scalars, Bool) {
        var end = line.count
        while end > 0, line[end - 1] == " " || line[end - 1] == "\t" { end -= 1 }
        guard end > 0, line[end - 1] == escape else { return (line, true) }
        if end == 1 { return ([], false) }
        if line[end - 2] == escape { return (line, true) }
        return (Array(line[..<(end - 1)]), false)
    }

    static func isComment(_ line: ArraySlice<Unicode.Scalar>) -> Bool {
        line.trimmingLeadingGoSpace().first == "#"
    }

    static func trimNewline(_ line: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
        var end = line.endIndex
        while end > line.startIndex, line[end - 1] == "\n" || line[end - 1] == "\r" { end -= 1 }
        return line[..<end]
    }
}

/// bufio.Scanner with BuildKit's `scanLines`: lines keep their line ending; a line of
/// 64 KiB or more stops the scan.
struct LineScanner {
    let bytes: [UInt8]
    var offset = 0
    var tooLong = false

    mutating func next() -> ArraySlice<UInt8>? {
        guard !tooLong, offset < bytes.count else { return nil }
        let newline = bytes[offset...].firstIndex(of: 0x0A)
        let end = newline.map { $0 + 1 } ?? bytes.count
        let contentLength = (newline ?? bytes.count) - offset
        if contentLength >= DockerfileSyntax.maximumLineLength {
            tooLong = true
            return nil
        }
        defer { offset = end }
        return bytes[offset..<end]
    }
}

/// BuildKit's `DirectiveParser`: directives are comment lines `# key=value` at the
/// very top; the first other line ends them. Each name may appear once.
struct DirectiveParser {
    var directives: [ParserDirective] = []
    var line = 0
    var done = false

    static let names: Set<String> = ["syntax", "escape", "check"]

    mutating func parse(_ text: ArraySlice<Unicode.Scalar>) throws(DockerfileError) -> ParserDirective? {
        line += 1
        if done { return nil }
        guard text.first == "#", let (key, value) = Self.match(text.dropFirst().trimmingLeadingGoSpace()) else {
            done = true
            return nil
        }
        let name = key.lowercased()
        guard Self.names.contains(name) else {
            done = true
            return nil
        }
        if directives.contains(where: { $0.name == name }) {
            throw DockerfileError("only one \(name) parser directive can be used", lines: nil)
        }
        let directive = ParserDirective(name: name, value: value, line: line)
        directives.append(directive)
        return directive
    }

    /// `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`
    static func match(_ text: ArraySlice<Unicode.Scalar>) -> (String, String)? {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\u{0C}" || scalar == "\r"
        }
        func isLetter(_ scalar: Unicode.Scalar) -> Bool {
            (0x41...0x5A).contains(scalar.value) || (0x61...0x7A).contains(scalar.value)
        }
        guard let first = text.first, isLetter(first) else { return nil }
        let keyEnd = text.firstIndex(where: { !isLetter($0) && !$0.isASCIIDigit }) ?? text.endIndex
        var rest = text[keyEnd...].drop(while: isSpace)
        guard rest.first == "=" else { return nil }
        rest = rest.dropFirst()
        guard !rest.isEmpty else { return nil }
        guard let start = rest.firstIndex(where: { !isSpace($0) }) else {
            // All blanks: the lazy `.+?` still takes one of them.
            return (String(scalars: text[..<keyEnd]), String(rest.last!))
        }
        let end = rest.lastIndex(where: { !isSpace($0) })!
        return (String(scalars: text[..<keyEnd]), String(scalars: rest[start...end]))
    }
}
