import Foundation
import Yams

/// YAML text ⇄ `ComposeValue`: scalars resolved as YAML 1.2's core schema does (as docker
/// compose's go-yaml v3 does: `8080:80` and `yes` stay strings), anchors, aliases and `<<`.
enum ComposeYAML {
    private static let resolver: Resolver = {
        var r = Resolver.basic
        // These patterns are literals; they compile.
        r = try! r.appending(.null, #"^(?:~|null|Null|NULL|)$"#)
        r = try! r.appending(.bool, #"^(?:true|True|TRUE|false|False|FALSE)$"#)
        r = try! r.appending(.int, #"^[-+]?(?:[0-9]+|0b[01]+|0o[0-7]+|0x[0-9a-fA-F]+)$"#)
        r = try! r.appending(.float, #"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"#)
        r = try! r.appending(.merge, #"^(?:<<)$"#)
        return r
    }()

    /// Where a document used compose's merge tags: `!reset` (the value is dropped, and the
    /// merge removes what earlier files set there) and `!override` (replaces, not merges).
    struct MergeTags: Sendable {
        var reset: [[String]] = []
        var override: [[String]] = []
    }

    /// Parses one document; `file` names it in errors. An empty document is `.null`.
    static func parse(_ text: String, file: String) throws -> ComposeValue {
        var tags = MergeTags()
        return try parse(text, file: file, tags: &tags)
    }

    static func parse(_ text: String, file: String, tags: inout MergeTags) throws -> ComposeValue {
        var nodes: [Node] = []
        do {
            var documents = try Yams.compose_all(yaml: text, resolver)
            while let node = documents.next() {
                nodes.append(node)
                if nodes.count > 1000 { throw ComposeError("\(file): yaml: too many documents") }
            }
            if let error = documents.error { throw error }
        } catch let e as YamlError {
            throw ComposeError("\(file): \(describe(e))")
        } catch let e as ComposeError {
            throw e
        } catch {
            throw ComposeError("\(file): \(error)")
        }
        // Several documents (`---`) merge in order, as compose-go reads them.
        var budget = 250_000
        var result: ComposeValue = .null
        for node in nodes {
            let value = try convert(node, file: file, budget: &budget, path: [], tags: &tags) ?? .null
            switch (result, value) {
            case (_, .null): continue
            case (.null, _): result = value
            case (.mapping, .mapping): result = ComposeMerge.mergeFiles(result, value)
            default: throw ComposeError("\(file): top-level object must be a mapping")
            }
        }
        return result
    }

    private static func describe(_ e: YamlError) -> String {
        switch e {
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "yaml: mapping key \(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) already defined at line \(context.mark.line)"
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return "yaml: line \(mark.line): \(problem)"
        case .reader(let problem, _, _, _):
            return "yaml: \(problem)"
        default:
            return "yaml: \(e)"
        }
    }

    /// nil: a `!reset` value, left out.
    private static func convert(_ node: Node, file: String, budget: inout Int, path: [String], tags: inout MergeTags) throws -> ComposeValue? {
        budget -= 1
        if budget < 0 { throw ComposeError("\(file): yaml: document is too large (too many aliased nodes)") }
        var node = node
        switch node.tag.rawValue {
        case "!reset":
            tags.reset.append(path)
            return nil
        case "!override":
            tags.override.append(path)
            if case .scalar(var s) = node {
                // The scalar itself resolves as if untagged.
                s.tag = s.style == .plain || s.style == .any ? Tag(.implicit, resolver) : Tag(.str)
                node = .scalar(s)
            }
        default:
            break
        }
        switch node {
        case .scalar(let s):
            return try scalar(s, file: file)
        case .alias:
            throw ComposeError("\(file): yaml: unresolved alias")
        case .sequence(let seq):
            var out: [ComposeValue] = []
            out.reserveCapacity(seq.count)
            for n in seq {
                if let v = try convert(n, file: file, budget: &budget, path: path + ["[\(out.count)]"], tags: &tags) { out.append(v) }
            }
            return .array(out)
        case .mapping(let map):
            var out = ComposeMapping()
            var merged: [ComposeMapping] = []
            for (k, v) in map {
                if case .scalar = k, k.tag.rawValue == Tag.Name.merge.rawValue {
                    // `<<: *anchor` or `<<: [*a, *b]`: keys not set here, earlier sources first.
                    let value = try convert(v, file: file, budget: &budget, path: path, tags: &tags) ?? .null
                    switch value {
                    case .mapping(let m): merged.append(m)
                    case .array(let items):
                        for item in items {
                            guard case .mapping(let m) = item else {
                                throw ComposeError("\(file): yaml: map merge requires map or sequence of maps as the value")
                            }
                            merged.append(m)
                        }
                    default:
                        throw ComposeError("\(file): yaml: map merge requires map or sequence of maps as the value")
                    }
                    continue
                }
                let key = try keyText(k, file: file)
                if out[key] != nil {
                    throw ComposeError("\(file): yaml: mapping key \"\(key)\" already defined")
                }
                if let value = try convert(v, file: file, budget: &budget, path: path + [key], tags: &tags) {
                    out[key] = value
                }
            }
            for m in merged {
                for (k, v) in m.entries where out[k] == nil { out[k] = v }
            }
            return .mapping(out)
        }
    }

    private static func keyText(_ node: Node, file: String) throws -> String {
        guard case .scalar(let s) = node else {
            throw ComposeError("\(file): yaml: mapping keys must be scalars")
        }
        switch try scalar(s, file: file) {
        case .null: return "null"
        case let v: return v.scalarText ?? s.string
        }
    }

    private static func scalar(_ s: Node.Scalar, file: String) throws -> ComposeValue {
        let text = s.string
        // Node's `tag` resolves an implicit tag with our resolver (a Scalar's own does not).
        switch Node.scalar(s).tag.rawValue {
        case Tag.Name.null.rawValue:
            return .null
        case Tag.Name.bool.rawValue:
            switch text.lowercased() {
            case "true", "yes", "on", "y": return .bool(true)
            case "false", "no", "off", "n": return .bool(false)
            default: throw ComposeError("\(file): yaml: cannot decode !!str `\(text)` as a !!bool")
            }
        case Tag.Name.int.rawValue:
            if let i = parseInt(text) { return .int(i) }
            if let d = Double(text) { return .double(d) }
            throw ComposeError("\(file): yaml: cannot decode !!str `\(text)` as a !!int")
        case Tag.Name.float.rawValue:
            switch text.lowercased() {
            case ".inf", "+.inf": return .double(.infinity)
            case "-.inf": return .double(-.infinity)
            case ".nan": return .double(.nan)
            default:
                if let d = Double(text) { return .double(d) }
                throw ComposeError("\(file): yaml: cannot decode !!str `\(text)` as a !!float")
            }
        default:
            return .string(text)
        }
    }

    private static func parseInt(_ text: String) -> Int? {
        var t = Substring(text)
        var negative = false
        if t.hasPrefix("+") { t = t.dropFirst() } else if t.hasPrefix("-") { negative = true; t = t.dropFirst() }
        // As Go's strconv.ParseInt(s, 0, 64), which go-yaml v3 uses: `0440` is octal.
        var radix = 10
        if t.hasPrefix("0x") {
            radix = 16; t = t.dropFirst(2)
        } else if t.hasPrefix("0o") {
            radix = 8; t = t.dropFirst(2)
        } else if t.hasPrefix("0b") {
            radix = 2; t = t.dropFirst(2)
        } else if t.count > 1, t.hasPrefix("0") {
            radix = 8; t = t.dropFirst()
        }
        guard let v = Int(t, radix: radix) else { return nil }
        return negative ? -v : v
    }
}

extension ComposeValue {
    /// The tree as block YAML, keys in the tree's order; strings that would read back as
    /// something else (numbers, booleans, null, `key: value`-looking text) are quoted.
    public func yaml() -> String {
        var out = ""
        switch self {
        case .mapping(let m) where !m.isEmpty:
            YAMLWriter.mapping(m, indent: 0, into: &out)
        case .array(let a) where !a.isEmpty:
            YAMLWriter.sequence(a, indent: 0, into: &out)
        default:
            out = YAMLWriter.inline(self) + "\n"
        }
        return out
    }
}

enum YAMLWriter {
    static func mapping(_ m: ComposeMapping, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for (k, v) in m.entries {
            out += pad + quoteKey(k) + ":"
            switch v {
            case .mapping(let sub) where !sub.isEmpty:
                out += "\n"
                mapping(sub, indent: indent + 2, into: &out)
            case .array(let items) where !items.isEmpty:
                out += "\n"
                sequence(items, indent: indent + 2, into: &out)
            case .string(let s) where s.contains("\n") && blockable(s):
                out += " " + block(s, indent: indent + 2)
            default:
                out += " " + inline(v) + "\n"
            }
        }
    }

    static func sequence(_ a: [ComposeValue], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for v in a {
            switch v {
            case .mapping(let sub) where !sub.isEmpty:
                // First key on the dash line, the rest indented under it.
                var inner = ""
                mapping(sub, indent: indent + 2, into: &inner)
                out += pad + "- " + inner.dropFirst(indent + 2)
            case .array(let items) where !items.isEmpty:
                out += pad + "-\n"
                sequence(items, indent: indent + 2, into: &out)
            default:
                out += pad + "- " + inline(v) + "\n"
            }
        }
    }

    static func inline(_ v: ComposeValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return ".nan" }
            if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
            let s = String(d)
            return s.contains(".") || s.contains("e") ? s : s + ".0"
        case .string(let s): return quote(s)
        case .array(let a): return a.isEmpty ? "[]" : "[" + a.map(inline).joined(separator: ", ") + "]"
        case .mapping(let m): return m.isEmpty ? "{}" : "{" + m.entries.map { quoteKey($0.key) + ": " + inline($0.value) }.joined(separator: ", ") + "}"
        }
    }

    private static func blockable(_ s: String) -> Bool {
        // Literal blocks cannot carry trailing spaces on lines, tabs or leading blank-indented lines reliably.
        !s.contains("\r") && !s.contains("\t") && !s.hasPrefix(" ") && !s.hasPrefix("\n")
            && s.unicodeScalars.allSatisfy { $0.value >= 0x20 || $0 == "\n" }
            && !s.split(separator: "\n", omittingEmptySubsequences: false).contains { $0.hasSuffix(" ") }
    }

    private static func block(_ s: String, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        var body = s
        var chomp = "|"
        if s.hasSuffix("\n\n") { chomp = "|+" } else if s.hasSuffix("\n") { chomp = "|" } else { chomp = "|-" }
        if s.hasSuffix("\n") { body.removeLast() }
        var out = chomp + "\n"
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            out += line.isEmpty ? "\n" : pad + line + "\n"
        }
        return out
    }

    static func quoteKey(_ k: String) -> String {
        needsQuotes(k) ? doubleQuoted(k) : k
    }

    static func quote(_ s: String) -> String {
        needsQuotes(s) ? doubleQuoted(s) : s
    }

    private static func needsQuotes(_ s: String) -> Bool {
        if s.isEmpty { return true }
        // Anything our reader would resolve to a non-string.
        if isSpecialPlain(s) { return true }
        let first = s.unicodeScalars.first!
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return true }
        if s.hasPrefix(" ") || s.hasSuffix(" ") || s.hasSuffix(":") { return true }
        if s.contains(": ") || s.contains(" #") || s.contains(":\t") { return true }
        for u in s.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7f || u.value == 0xFEFF || (u.value >= 0x80 && u.value < 0xA0) { return true }
            if u == "\u{2028}" || u == "\u{2029}" || u == "\u{85}" { return true }
        }
        return false
    }

    private static func isSpecialPlain(_ s: String) -> Bool {
        switch s {
        case "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "<<",
             "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF":
            return true
        default: break
        }
        // Numbers of any YAML 1.1/1.2 flavour (also `1_000`, `0x1F`, sexagesimal `1:20`) and
        // dates, so that no reader takes them for anything but text.
        let lower = s.lowercased()
        if [".inf", "+.inf", "-.inf", ".nan", "inf", "nan", "+inf", "-inf", "infinity"].contains(lower) { return true }
        let plain = s.replacingOccurrences(of: "_", with: "")
        if Int(plain) != nil || Double(plain) != nil { return true }
        let body = plain.hasPrefix("+") || plain.hasPrefix("-") ? String(plain.dropFirst()) : plain
        for (prefix, digits) in [("0x", "0123456789abcdefABCDEF"), ("0o", "01234567"), ("0b", "01")] where body.hasPrefix(prefix) {
            if body.count > 2, body.dropFirst(2).allSatisfy(digits.contains) { return true }
        }
        if let f = body.first, f.isASCII, f.isNumber, body.contains(":"),
           body.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == ":" || $0 == "." }) {
            return true
        }
        let chars = Array(s)
        if chars.count >= 8, chars[0..<4].allSatisfy({ $0.isASCII && $0.isNumber }), chars[4] == "-" { return true }
        return false
    }

    private static func doubleQuoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            default:
                if u.value < 0x20 || u.value == 0x7f || (u.value >= 0x80 && u.value < 0xA0) || u.value == 0xFEFF
                    || u == "\u{2028}" || u == "\u{2029}" {
                    out += "\\u" + String(format: "%04X", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
