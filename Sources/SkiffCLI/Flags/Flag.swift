/// One command-line flag, declared as the docker CLI declares it with pflag.
struct Flag: Sendable {
    /// What the flag takes and how its value is checked while parsing.
    enum Kind: Sendable {
        case bool
        /// A single value (the last one given wins).
        case value(ValueType)
        /// A repeatable value; every occurrence is kept.
        case list(ValueType)
    }

    let name: String
    let short: Character?
    let kind: Kind
    let help: String
    /// Shown as "(default X)" in the help.
    let defaultText: String?
    let hidden: Bool
    /// The flag whose values this one adds to (`--net` for `--network`).
    let aliasOf: String?
    /// Why the flag should not be used any more (printed when it is).
    var deprecated: String?

    static func bool(_ name: String, _ help: String, hidden: Bool = false) -> Flag {
        Flag(name: name, short: nil, kind: .bool, help: help, defaultText: nil, hidden: hidden, aliasOf: nil)
    }

    static func bool(_ name: String, _ short: Character, _ help: String) -> Flag {
        Flag(name: name, short: short, kind: .bool, help: help, defaultText: nil, hidden: false, aliasOf: nil)
    }

    static func value(
        _ name: String, _ type: ValueType, _ help: String, default defaultText: String? = nil, hidden: Bool = false,
        aliasOf: String? = nil
    ) -> Flag {
        Flag(name: name, short: nil, kind: .value(type), help: help, defaultText: defaultText, hidden: hidden, aliasOf: aliasOf)
    }

    static func value(_ name: String, _ short: Character, _ type: ValueType, _ help: String, default defaultText: String? = nil) -> Flag {
        Flag(name: name, short: short, kind: .value(type), help: help, defaultText: defaultText, hidden: false, aliasOf: nil)
    }

    static func list(_ name: String, _ type: ValueType, _ help: String, hidden: Bool = false, aliasOf: String? = nil) -> Flag {
        Flag(name: name, short: nil, kind: .list(type), help: help, defaultText: nil, hidden: hidden, aliasOf: aliasOf)
    }

    static func list(_ name: String, _ short: Character, _ type: ValueType, _ help: String) -> Flag {
        Flag(name: name, short: short, kind: .list(type), help: help, defaultText: nil, hidden: false, aliasOf: nil)
    }

    /// A repeatable `key=value` flag (docker's MapOpts), shown with "(default map[])".
    static func map(_ name: String, _ help: String) -> Flag {
        Flag(name: name, short: nil, kind: .list(.map), help: help, defaultText: "map[]", hidden: false, aliasOf: nil)
    }

    static func map(_ name: String, _ short: Character, _ help: String) -> Flag {
        Flag(name: name, short: short, kind: .list(.map), help: help, defaultText: "map[]", hidden: false, aliasOf: nil)
    }

    /// A bool flag that is true unless given as false.
    static func bool(_ name: String, _ help: String, default value: Bool) -> Flag {
        Flag(name: name, short: nil, kind: .bool, help: help, defaultText: value ? "true" : nil, hidden: false, aliasOf: nil)
    }

    static func bool(_ name: String, _ short: Character, _ help: String, default value: Bool) -> Flag {
        Flag(name: name, short: short, kind: .bool, help: help, defaultText: value ? "true" : nil, hidden: false, aliasOf: nil)
    }

    var key: String { aliasOf ?? name }

    /// The flag, deprecated with this advice (hidden from the help).
    func deprecated(_ advice: String) -> Flag {
        var f = Flag(name: name, short: short, kind: kind, help: help, defaultText: defaultText, hidden: true, aliasOf: aliasOf)
        f.deprecated = advice
        return f
    }

    /// "-m, --memory" or "--cpus", as pflag names a flag in errors.
    var displayName: String {
        short.map { "-\($0), --\(name)" } ?? "--\(name)"
    }

    var takesValue: Bool {
        if case .bool = kind { return false }
        return true
    }

    var valueType: ValueType? {
        switch kind {
        case .bool: return nil
        case .value(let t), .list(let t): return t
        }
    }
}

/// A flag value's type: its name in the help and the check pflag runs when it is set.
enum ValueType: Sendable {
    case string, list, stringArray, filter, int, int64, uint16, uint64, duration, bytes, memSwap, decimal, map, ulimit, attach, env, label, mount
    /// pflag's StringSlice: every value is a CSV record (`--subnet a,b`).
    case stringSlice
    /// A link, `name[:alias]` (opts.ValidateLink).
    case link
    /// An image name to tag (`docker build -t`: reference.ParseNormalizedNamed).
    case imageTag
    /// `host:ip` or `host=ip` (opts.ValidateExtraHost, as `docker build --add-host` checks it).
    case extraHost
    /// `name=soft[:hard]` checked as it is given (opts.UlimitOpt, as `docker build` checks it).
    case checkedUlimit

    var usageName: String {
        switch self {
        case .string: return "string"
        case .list, .attach, .env, .label, .link, .imageTag, .extraHost: return "list"
        case .stringSlice: return "strings"
        case .stringArray: return "stringArray"
        case .filter: return "filter"
        case .int: return "int"
        case .int64: return "int"
        case .uint16: return "uint16"
        case .uint64: return "uint"
        case .duration: return "duration"
        case .bytes, .memSwap: return "bytes"
        case .decimal: return "decimal"
        case .map: return "map"
        case .ulimit, .checkedUlimit: return "ulimit"
        case .mount: return "mount"
        }
    }

    /// Why `value` is not acceptable, in pflag's/docker's words; nil when it is.
    func check(_ value: String) -> String? {
        switch self {
        case .string, .list, .stringArray, .map, .ulimit: return nil
        case .int, .int64:
            return GoParse.int(value) == nil ? "strconv.ParseInt: parsing \(goQuote(value)): invalid syntax" : nil
        case .uint16:
            guard let v = GoParse.int(value), v >= 0 else { return "strconv.ParseUint: parsing \(goQuote(value)): invalid syntax" }
            return v > 65535 ? "strconv.ParseUint: parsing \(goQuote(value)): value out of range" : nil
        case .uint64:
            guard let v = GoParse.int(value), v >= 0 else { return "strconv.ParseUint: parsing \(goQuote(value)): invalid syntax" }
            return nil
        case .duration:
            do { _ = try GoDuration.parse(value); return nil } catch { return error.description }
        case .bytes:
            do { _ = try Units.ramInBytes(value); return nil } catch { return error.description }
        case .memSwap:
            if value == "-1" { return nil }
            do { _ = try Units.ramInBytes(value); return nil } catch { return error.description }
        case .decimal:
            do { _ = try Units.nanoCPUs(value); return nil } catch { return error.description }
        case .filter:
            return value.isEmpty || value.contains("=") ? nil : "bad format of filter (expected name=value)"
        case .mount:
            do { _ = try MountOption.parse(value); return nil } catch { return error.description }
        case .attach:
            return ["stdin", "stdout", "stderr"].contains(value.lowercased()) ? nil : "valid streams are STDIN, STDOUT and STDERR"
        case .env:
            let name = value.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            return name.trimmingCharacters(in: " \t") == "" ? "invalid environment variable: \(value)" : nil
        case .label:
            var name = value.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            while let c = name.first, c == " " || c == "\t" { name.removeFirst() }
            if name.isEmpty { return "invalid label '\(value)': empty name" }
            return name.contains(where: { $0 == " " || $0 == "\t" }) ? "label '\(name)' contains whitespaces" : nil
        case .stringSlice:
            do { _ = try CSV.record(value); return nil } catch { return error.message }
        case .link:
            if value.isEmpty { return "empty string specified for links" }
            return value.split(separator: ":", omittingEmptySubsequences: false).count > 2 ? "bad format for links: \(value)" : nil
        case .imageTag:
            return BuildFlagValues.tagProblem(value)
        case .extraHost:
            do { _ = try BuildFlagValues.extraHost(value); return nil } catch { return error.message }
        case .checkedUlimit:
            do { _ = try BuildFlagValues.ulimit(value); return nil } catch { return error.message }
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return s
    }
}

/// Go's `%q` for a string (strconv.Quote) on the characters flags and names contain.
func goQuote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\u{0B}": out += "\\v"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" : "") + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
