/// A template that does not parse, worded as Go's text/template words it
/// ("template: :1: unclosed action").
struct TemplateParseError: Error, CustomStringConvertible {
    let line: Int
    let message: String
    /// The template's name ("" for docker's format templates, "version" for `version`).
    var name = ""
    var description: String { "template: \(name):\(line): \(message)" }
}

/// One token of a Go template.
struct TemplateToken {
    enum Kind: Equatable {
        case text(String)
        case leftDelim, rightDelim
        case identifier(String)
        case field(String)
        case variable(String)
        case dot
        case string(String)
        case number(String)
        case char(String)
        case bool(Bool)
        case `nil`
        case pipe, leftParen, rightParen, declare, assign, comma
        case space
        case eof
    }

    let kind: Kind
    /// Byte offset in the template text.
    let position: Int
}

/// Splits a Go template into text and action tokens, applying `{{-` and `-}}` trimming
/// and dropping comments.
struct TemplateLexer {
    private let text: [UInt8]
    private var i = 0
    private(set) var tokens: [TemplateToken] = []

    init(_ source: String) { text = Array(source.utf8) }

    func line(at offset: Int) -> Int {
        1 + text[0..<min(offset, text.count)].filter { $0 == 0x0A }.count
    }

    static func tokenize(_ source: String) throws(TemplateParseError) -> [TemplateToken] {
        var lexer = TemplateLexer(source)
        try lexer.run()
        return lexer.tokens
    }

    private func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    private func starts(_ s: String, at offset: Int) -> Bool {
        let b = Array(s.utf8)
        return offset + b.count <= text.count && Array(text[offset..<offset + b.count]) == b
    }

    private mutating func run() throws(TemplateParseError) {
        var trimNextText = false
        while i < text.count {
            // Text up to the next action.
            var end = i
            while end < text.count, !starts("{{", at: end) { end += 1 }
            var chunk = text[i..<end]
            let chunkStart = i
            if trimNextText { while let f = chunk.first, isSpace(f) { chunk = chunk.dropFirst() } }
            trimNextText = false
            let trimLeft = starts("{{- ", at: end) || starts("{{-\t", at: end) || starts("{{-\n", at: end) || starts("{{-\r", at: end)
            if trimLeft { while let l = chunk.last, isSpace(l) { chunk = chunk.dropLast() } }
            if !chunk.isEmpty { tokens.append(TemplateToken(kind: .text(String(decoding: chunk, as: UTF8.self)), position: chunkStart)) }
            i = end
            guard i < text.count else { break }
            let actionStart = i
            i += trimLeft ? 4 : 2
            if starts("/*", at: i) {
                guard let close = findCommentEnd(from: i + 2) else {
                    throw TemplateParseError(line: line(at: actionStart), message: "unclosed comment")
                }
                i = close.next
                trimNextText = close.trim
                continue
            }
            tokens.append(TemplateToken(kind: .leftDelim, position: actionStart))
            trimNextText = try lexAction(actionStart: actionStart)
        }
        tokens.append(TemplateToken(kind: .eof, position: text.count))
    }

    private func findCommentEnd(from start: Int) -> (next: Int, trim: Bool)? {
        var j = start
        while j + 1 < text.count {
            if text[j] == UInt8(ascii: "*") && text[j + 1] == UInt8(ascii: "/") {
                var k = j + 2
                var trim = false
                if k + 3 <= text.count, text[k] == 0x20, text[k + 1] == UInt8(ascii: "-"), starts("}}", at: k + 2) {
                    trim = true
                    k += 1
                    k += 1
                }
                guard starts("}}", at: k) else { return nil }
                return (k + 2, trim)
            }
            j += 1
        }
        return nil
    }

    /// Lexes inside `{{ }}`; returns whether the action ended with `-}}`.
    private mutating func lexAction(actionStart: Int) throws(TemplateParseError) -> Bool {
        var parenDepth = 0
        while true {
            guard i < text.count else { throw TemplateParseError(line: line(at: actionStart), message: "unclosed action") }
            let c = text[i]
            let start = i
            if isSpace(c) {
                while i < text.count, isSpace(text[i]) { i += 1 }
                if starts("-}}", at: i) && (i - start) > 0 {
                    tokens.append(TemplateToken(kind: .rightDelim, position: i))
                    i += 3
                    return true
                }
                if starts("}}", at: i) { continue }
                tokens.append(TemplateToken(kind: .space, position: start))
                continue
            }
            if starts("}}", at: i) {
                if parenDepth > 0 { throw TemplateParseError(line: line(at: i), message: "unclosed left paren") }
                tokens.append(TemplateToken(kind: .rightDelim, position: i))
                i += 2
                return false
            }
            switch c {
            case UInt8(ascii: "|"): tokens.append(TemplateToken(kind: .pipe, position: i)); i += 1
            case UInt8(ascii: "("): parenDepth += 1; tokens.append(TemplateToken(kind: .leftParen, position: i)); i += 1
            case UInt8(ascii: ")"):
                parenDepth -= 1
                if parenDepth < 0 { throw TemplateParseError(line: line(at: i), message: "unexpected right paren") }
                tokens.append(TemplateToken(kind: .rightParen, position: i)); i += 1
            case UInt8(ascii: ","): tokens.append(TemplateToken(kind: .comma, position: i)); i += 1
            case UInt8(ascii: ":"):
                guard i + 1 < text.count, text[i + 1] == UInt8(ascii: "=") else {
                    throw TemplateParseError(line: line(at: i), message: "expected :=")
                }
                tokens.append(TemplateToken(kind: .declare, position: i)); i += 2
            case UInt8(ascii: "="): tokens.append(TemplateToken(kind: .assign, position: i)); i += 1
            case UInt8(ascii: "\""): tokens.append(TemplateToken(kind: .string(try quoted()), position: start))
            case UInt8(ascii: "`"):
                i += 1
                let s = i
                while i < text.count, text[i] != UInt8(ascii: "`") { i += 1 }
                guard i < text.count else { throw TemplateParseError(line: line(at: start), message: "unterminated raw quoted string") }
                tokens.append(TemplateToken(kind: .string(String(decoding: text[s..<i], as: UTF8.self)), position: start))
                i += 1
            case UInt8(ascii: "'"):
                i += 1
                let s = i
                while i < text.count, text[i] != UInt8(ascii: "'") { i += text[i] == UInt8(ascii: "\\") ? 2 : 1 }
                guard i < text.count else { throw TemplateParseError(line: line(at: start), message: "unterminated character constant") }
                let body = String(decoding: text[s..<i], as: UTF8.self)
                i += 1
                tokens.append(TemplateToken(kind: .char(TemplateLexer.unescape(body)), position: start))
            case UInt8(ascii: "$"):
                i += 1
                let name = identifier()
                tokens.append(TemplateToken(kind: .variable("$" + name), position: start))
            case UInt8(ascii: "."):
                if i + 1 < text.count, isDigit(text[i + 1]) {
                    tokens.append(TemplateToken(kind: .number(number()), position: start))
                } else {
                    i += 1
                    let name = identifier()
                    tokens.append(TemplateToken(kind: name.isEmpty ? .dot : .field(name), position: start))
                }
            case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                tokens.append(TemplateToken(kind: .number(number()), position: start))
            default:
                let name = identifier()
                guard !name.isEmpty else {
                    let scalar = String(decoding: text[i..<min(i + 1, text.count)], as: UTF8.self)
                    let hex = String(c, radix: 16, uppercase: true)
                    throw TemplateParseError(
                        line: line(at: i),
                        message: "bad character U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex) '\(scalar)'")
                }
                switch name {
                case "true": tokens.append(TemplateToken(kind: .bool(true), position: start))
                case "false": tokens.append(TemplateToken(kind: .bool(false), position: start))
                case "nil": tokens.append(TemplateToken(kind: .nil, position: start))
                default: tokens.append(TemplateToken(kind: .identifier(name), position: start))
                }
            }
        }
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    private mutating func identifier() -> String {
        let s = i
        while i < text.count {
            let c = text[i]
            if c == UInt8(ascii: "_") || isDigit(c) || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) || c >= 0x80 {
                i += 1
            } else {
                break
            }
        }
        return String(decoding: text[s..<i], as: UTF8.self)
    }

    private mutating func number() -> String {
        let s = i
        if text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+") { i += 1 }
        while i < text.count {
            let c = text[i]
            if isDigit(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "f"))
                || c | 0x20 == UInt8(ascii: "x") || c | 0x20 == UInt8(ascii: "o") || c | 0x20 == UInt8(ascii: "p")
                || ((c == UInt8(ascii: "-") || c == UInt8(ascii: "+")) && (text[i - 1] | 0x20 == UInt8(ascii: "e") || text[i - 1] | 0x20 == UInt8(ascii: "p")))
            {
                i += 1
            } else {
                break
            }
        }
        return String(decoding: text[s..<i], as: UTF8.self)
    }

    private mutating func quoted() throws(TemplateParseError) -> String {
        let start = i
        i += 1
        let s = i
        while i < text.count, text[i] != UInt8(ascii: "\"") {
            if text[i] == 0x0A { break }
            i += text[i] == UInt8(ascii: "\\") ? 2 : 1
        }
        guard i < text.count, text[i] == UInt8(ascii: "\"") else {
            throw TemplateParseError(line: line(at: start), message: "unterminated quoted string")
        }
        let body = String(decoding: text[s..<i], as: UTF8.self)
        i += 1
        return TemplateLexer.unescape(body)
    }

    /// Go's escapes in interpreted strings: \n \t \\ \" \' \xHH \uHHHH.
    static func unescape(_ s: String) -> String {
        var out = ""
        var it = s.unicodeScalars.makeIterator()
        while let c = it.next() {
            guard c == "\\", let e = it.next() else {
                out.unicodeScalars.append(c)
                continue
            }
            switch e {
            case "n": out += "\n"
            case "t": out += "\t"
            case "r": out += "\r"
            case "a": out += "\u{07}"
            case "b": out += "\u{08}"
            case "f": out += "\u{0C}"
            case "v": out += "\u{0B}"
            case "x", "u", "U":
                let count = e == "x" ? 2 : e == "u" ? 4 : 8
                var hex = ""
                for _ in 0..<count { if let h = it.next() { hex.unicodeScalars.append(h) } }
                if let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) { out.unicodeScalars.append(scalar) }
            default: out.unicodeScalars.append(e)
            }
        }
        return out
    }
}
