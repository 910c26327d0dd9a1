import Foundation

/// `.env` files as compose-go's dotenv package reads them: `KEY=VAL`, `export KEY=VAL`,
/// `KEY: VAL`, comments, single quotes literal, double quotes with escapes and interpolation,
/// unquoted values trimmed with ` #comment` stripped, a bare `KEY` taken from the lookup.
enum Dotenv {
    /// Parses `text`; `${X}` in values comes from `env` first, then earlier keys.
    /// Returns the pairs in file order (a later duplicate replaces the earlier value).
    static func parse(_ text: String, file: String, env: [String: String]) throws -> [(String, String)] {
        var out: [(String, String)] = []
        var index: [String: Int] = [:]
        func set(_ k: String, _ v: String) {
            if let i = index[k] { out[i].1 = v } else { index[k] = out.count; out.append((k, v)) }
        }
        let s = Array(text.replacingOccurrences(of: "\r\n", with: "\n").unicodeScalars)
        var i = 0
        var line = 1
        func skipLine() {
            while i < s.count, s[i] != "\n" { i += 1 }
            if i < s.count { i += 1; line += 1 }
        }
        while i < s.count {
            // Leading blanks.
            while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 }
            guard i < s.count else { break }
            if s[i] == "\n" { i += 1; line += 1; continue }
            if s[i] == "#" { skipLine(); continue }
            // Key.
            let keyStart = i
            while i < s.count, s[i] != "=", s[i] != ":", s[i] != "\n" { i += 1 }
            var key = String(String.UnicodeScalarView(s[keyStart..<i])).trimmingCharacters(in: .whitespaces)
            if key.hasPrefix("export ") || key.hasPrefix("export\t") {
                key = String(key.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            }
            if key.contains(" ") || key.contains("\t") {
                throw ComposeError("failed to read \(file): line \(line): key cannot contain a space")
            }
            if let bad = key.first(where: { !($0.isLetter || $0.isNumber || "_.-[]".contains($0)) }) {
                throw ComposeError("failed to read \(file): line \(line): unexpected character \"\(bad)\" in variable name \"\(key)\"")
            }
            if key.isEmpty {
                throw ComposeError("failed to read \(file): line \(line): unexpected character \"=\" in variable name")
            }
            if i >= s.count || s[i] == "\n" {
                // A bare `KEY`: inherited from the environment, if set there.
                if let v = env[key] { set(key, v) }
                skipLine()
                continue
            }
            i += 1  // `=` or `:`
            while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 }
            var value = ""
            if i < s.count, s[i] == "'" || s[i] == "\"" {
                let q = s[i]
                i += 1
                var raw = String.UnicodeScalarView()
                var closed = false
                while i < s.count {
                    let c = s[i]
                    if c == "\\", i + 1 < s.count {
                        let n = s[i + 1]
                        if n == q {
                            raw.append(n)  // an escaped quote
                        } else if q == "\"" {
                            switch n {
                            case "n": raw.append("\n")
                            case "r": raw.append("\r")
                            case "t": raw.append("\t")
                            case "a": raw.append("\u{07}")
                            case "b": raw.append("\u{08}")
                            case "f": raw.append("\u{0C}")
                            case "v": raw.append("\u{0B}")
                            case "\\": raw.append("\\")
                            case "$": raw.append(contentsOf: "$$".unicodeScalars)
                            default: raw.append("\\"); raw.append(n)
                            }
                        } else {
                            raw.append("\\"); raw.append(n)
                            if n == "$" { raw.append("$") }
                        }
                        if n == "\n" { line += 1 }
                        i += 2
                        continue
                    }
                    if c == q { closed = true; i += 1; break }
                    if c == "\n" { line += 1 }
                    raw.append(c)
                    if q == "'", c == "$" { raw.append("$") }  // literal: protect from expansion
                    i += 1
                }
                guard closed else {
                    throw ComposeError("failed to read \(file): line \(line): unterminated quoted value")
                }
                value = String(raw)
                skipLine()  // anything after the closing quote (a comment) is ignored
            } else {
                let start = i
                while i < s.count, s[i] != "\n" { i += 1 }
                var raw = String(String.UnicodeScalarView(s[start..<i]))
                if let r = raw.range(of: " #") { raw = String(raw[..<r.lowerBound]) }
                value = raw.trimmingCharacters(in: .whitespaces)
                if i < s.count { i += 1; line += 1 }
            }
            let known = Dictionary(out, uniquingKeysWith: { $1 })
            var interp = Interpolator { name in env[name] ?? known[name] }
            do {
                value = try interp.substitute(value)
            } catch .invalid {
                throw ComposeError("failed to read \(file): line \(line): invalid interpolation format in value of \(key)")
            } catch .required(let name, let message) {
                throw ComposeError("failed to read \(file): required variable \(name) is missing a value\(message.isEmpty ? "" : ": " + message)")
            }
            set(key, value)
        }
        return out
    }

    static func read(path: String, env: [String: String]) throws -> [(String, String)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ComposeError("couldn't find env file: \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ComposeError("failed to read \(path): not UTF-8 text")
        }
        return try parse(text, file: path, env: env)
    }
}
