/// Compose's `${VAR}` templates (compose-go's template package): `$VAR`, `${VAR}`,
/// `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`,
/// `${VAR+alt}`, `$$`; defaults and alternatives nest and are only expanded when used.
struct Interpolator {
    enum Failure: Error, Equatable {
        case invalid
        case required(name: String, message: String)
    }

    var lookup: (String) -> String?
    /// Variables used while unset with no default (docker compose warns about each).
    var unset: [String] = []
    /// How deep `${A:-${B:-…}}` nests right now (bounded: hostile input must not exhaust the stack).
    private var depth = 0

    init(lookup: @escaping (String) -> String?) { self.lookup = lookup }

    private static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c)
    }

    private static func isNameChar(_ c: Unicode.Scalar) -> Bool {
        isNameStart(c) || ("0"..."9").contains(c)
    }

    mutating func substitute(_ text: String) throws(Failure) -> String {
        guard text.unicodeScalars.contains("$") else { return text }
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            let c = s[i]
            guard c == "$", i + 1 < s.count else {
                out.append(c); i += 1; continue
            }
            let n = s[i + 1]
            if n == "$" {
                out.append("$"); i += 2; continue
            }
            if Self.isNameStart(n) {
                var j = i + 1
                while j < s.count, Self.isNameChar(s[j]) { j += 1 }
                let name = String(String.UnicodeScalarView(s[(i + 1)..<j]))
                out.append(contentsOf: value(name).unicodeScalars)
                i = j
                continue
            }
            if n == "{" {
                // Find the matching `}`, counting nested braces (as compose-go does: any `{`).
                var depth = 1
                var j = i + 2
                while j < s.count {
                    if s[j] == "{" { depth += 1 }
                    if s[j] == "}" { depth -= 1; if depth == 0 { break } }
                    j += 1
                }
                guard j < s.count else { throw .invalid }
                let inner = Array(s[(i + 2)..<j])
                out.append(contentsOf: try braced(inner).unicodeScalars)
                i = j + 1
                continue
            }
            out.append(c); i += 1
        }
        return String(out)
    }

    private mutating func value(_ name: String) -> String {
        if let v = lookup(name) { return v }
        if !unset.contains(name) { unset.append(name) }
        return ""
    }

    private mutating func braced(_ inner: [Unicode.Scalar]) throws(Failure) -> String {
        guard let first = inner.first, Self.isNameStart(first), depth < 64 else { throw .invalid }
        depth += 1
        defer { depth -= 1 }
        var k = 1
        while k < inner.count, Self.isNameChar(inner[k]) { k += 1 }
        let name = String(String.UnicodeScalarView(inner[0..<k]))
        if k == inner.count { return value(name) }
        var colon = false
        if inner[k] == ":" { colon = true; k += 1 }
        guard k < inner.count else { throw .invalid }
        let op = inner[k]
        guard op == "-" || op == "?" || op == "+" else { throw .invalid }
        let arg = String(String.UnicodeScalarView(inner[(k + 1)...]))
        let current = lookup(name)
        // `:` variants treat an empty value like an unset one.
        let isSet = colon ? !(current ?? "").isEmpty : current != nil
        switch op {
        case "-":
            return isSet ? current! : try substitute(arg)
        case "+":
            return isSet ? try substitute(arg) : ""
        default:
            if isSet { return current! }
            throw .required(name: name, message: try substitute(arg))
        }
    }
}

extension Interpolator {
    /// Interpolates every string of a tree (not the keys); `path` names the place in errors.
    mutating func interpolate(_ value: ComposeValue, path: [String] = []) throws -> ComposeValue {
        switch value {
        case .string(let s):
            do {
                return .string(try substitute(s))
            } catch .invalid {
                throw ComposeError("invalid interpolation format for \(ComposePath.text(path)): \"\(s)\". You may need to escape any $ characters by using \"$$\" instead.")
            } catch .required(let name, let message) {
                let what = message.isEmpty
                    ? "required variable \(name) is missing a value"
                    : "required variable \(name) is missing a value: \(message)"
                throw ComposeError("error while interpolating \(ComposePath.text(path)): \(what)")
            }
        case .array(let a):
            var out: [ComposeValue] = []
            out.reserveCapacity(a.count)
            for (i, v) in a.enumerated() { out.append(try interpolate(v, path: path + ["[\(i)]"])) }
            return .array(out)
        case .mapping(let m):
            var out = ComposeMapping()
            for (k, v) in m.entries { out[k] = try interpolate(v, path: path + [k]) }
            return .mapping(out)
        default:
            return value
        }
    }
}

/// docker compose's path text: `services.web.ports[0]`.
enum ComposePath {
    static func text(_ path: [String]) -> String {
        var out = ""
        for p in path {
            if p.hasPrefix("[") { out += p } else { out += out.isEmpty ? p : "." + p }
        }
        return out.isEmpty ? "(root)" : out
    }
}
