/// URL query parameters, encoded as Go's `url.Values.Encode` (sorted by key).
struct Query: ExpressibleByDictionaryLiteral {
    var items: [(String, String)]

    init(dictionaryLiteral elements: (String, String)...) { items = elements }

    init(_ items: [(String, String)] = []) { self.items = items }

    mutating func add(_ key: String, _ value: String) { items.append((key, value)) }

    /// Adds `key=1` when `flag` is set (docker's boolean query convention).
    mutating func flag(_ key: String, _ flag: Bool) { if flag { items.append((key, "1")) } }

    var encoded: String {
        items.enumerated()
            .sorted { $0.element.0 == $1.element.0 ? $0.offset < $1.offset : $0.element.0 < $1.element.0 }
            .map { Query.escape($0.element.0) + "=" + Query.escape($0.element.1) }
            .joined(separator: "&")
    }

    /// Go's `url.QueryEscape`.
    static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "): out += "+"
            default: out += percent(b)
            }
        }
        return out
    }

    /// Escapes one path segment's bytes as Go's URL path escaping does (keeps `/` and `:`).
    static func escapePath(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"),
                UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "+"),
                UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "*"),
                UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += percent(b)
            }
        }
        return out
    }

    private static func percent(_ b: UInt8) -> String {
        let hex = Array("0123456789ABCDEF")
        return "%" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
    }
}

/// Docker's filter arguments (`--filter key=value`), sent as `{"key":{"value":true}}`.
struct Filters {
    private(set) var entries: [(key: String, values: [String])] = []

    var isEmpty: Bool { entries.isEmpty }

    mutating func add(_ key: String, _ value: String) {
        if let i = entries.firstIndex(where: { $0.key == key }) {
            if !entries[i].values.contains(value) { entries[i].values.append(value) }
        } else {
            entries.append((key, [value]))
        }
    }

    /// Parses `--filter` values; a value without `=` is rejected as docker rejects it.
    init(parsing values: [String], flag: String = "-f, --filter") throws(CLIError) {
        for v in values {
            guard let eq = v.firstIndex(of: "=") else {
                throw FlagError.invalidValue(v, flag: flag, reason: "bad format of filter (expected name=value)").cliError
            }
            add(String(v[..<eq]).trimmingSpaces.lowercased(), String(v[v.index(after: eq)...]).trimmingSpaces)
        }
    }

    var json: String {
        let members = entries.sorted { $0.key < $1.key }.map { entry in
            (key: entry.key, value: JSON.object(JSONObject(entry.values.sorted().map { (key: $0, value: JSON.bool(true)) })))
        }
        return JSON.object(JSONObject(members)).compact
    }
}
