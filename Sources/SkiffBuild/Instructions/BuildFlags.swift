/// An instruction's `--flag[=value]` words checked against the flags it accepts
/// (BuildKit's `BFlags`): booleans (`--link`, `--link=false`), strings (`--from=x`,
/// once) and string lists (`--exclude=a --exclude=b`). `--` ends the flags.
struct BuildFlags {
    enum Kind { case bool, string, strings }

    private var values: [String: String] = [:]
    private var lists: [String: [String]] = [:]
    private(set) var used: Set<String> = []

    init(_ flags: [String], accepting definitions: KeyValuePairs<String, Kind> = [:]) throws(DockerfileError) {
        let kinds = Dictionary(definitions.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        for flag in flags {
            if flag == "--" { return }
            guard flag.hasPrefix("--") else {
                throw DockerfileError("arg should start with -- : \(flag)", lines: nil)
            }
            let equals = flag.firstIndex(of: "=")
            let flagName = String(flag[..<(equals ?? flag.endIndex)])
            let value = equals.map { String(flag[flag.index(after: $0)...]) }
            let name = String(flagName.dropFirst(2))
            guard let kind = kinds[name] else {
                throw DockerfileError(
                    Suggestion.wrap("unknown flag: \(name)", value: name, options: definitions.map(\.key), caseSensitive: true),
                    lines: nil)
            }
            if used.contains(name) && kind != .strings {
                throw DockerfileError("duplicate flag specified: \(name)", lines: nil)
            }
            used.insert(name)
            switch kind {
            case .bool:
                if value == "" { throw DockerfileError("missing a value on flag: \(name)", lines: nil) }
                switch (value ?? "").lowercased() {
                case "true", "": values[name] = "true"
                case "false": values[name] = "false"
                default: throw DockerfileError("expecting boolean value for flag \(name), not: \(value ?? "")", lines: nil)
                }
            case .string:
                guard let value else { throw DockerfileError("missing a value on flag: \(name)", lines: nil) }
                values[name] = value
            case .strings:
                guard let value else { throw DockerfileError("missing a value on flag: \(name)", lines: nil) }
                lists[name, default: []].append(value)
            }
        }
    }

    /// A boolean flag's value; false when not given.
    func bool(_ name: String) -> Bool { values[name] == "true" }

    /// A boolean flag's value, nil when not given.
    func optionalBool(_ name: String) -> Bool? { used.contains(name) ? bool(name) : nil }

    /// A string flag's value; nil when not given or empty (BuildKit does not tell them apart).
    func string(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// The string flag's value exactly as given ("" when absent).
    func rawString(_ name: String) -> String { values[name] ?? "" }

    func strings(_ name: String) -> [String] { lists[name] ?? [] }
}
