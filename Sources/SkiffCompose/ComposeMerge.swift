/// Merging one Compose tree over another (the Compose Specification's merge rules, as
/// compose-go applies them): mappings recursively, most sequences appended, and these exceptions.
enum ComposeMerge {
    static func mergeFiles(_ base: ComposeValue, _ over: ComposeValue) -> ComposeValue {
        merge(base, over, path: [])
    }

    /// Merges `over` onto `base`, `path` being where they are (`services`, `*`, `ports`).
    static func merge(_ base: ComposeValue, _ over: ComposeValue, path: [String]) -> ComposeValue {
        let rule = ruleFor(path)
        switch rule {
        case .replace:
            return over
        case .toMapping:
            guard let a = listOrDictToMapping(base), let b = listOrDictToMapping(over) else { return over }
            var m = a
            for (k, v) in b.entries { m[k] = v }
            return .mapping(m)
        case .union:
            let a = asList(base), b = asList(over)
            var out = a
            for v in b where !out.contains(v) { out.append(v) }
            return .array(out)
        case .append:
            guard case .array(let a) = base, case .array(let b) = over else { return over }
            var out = a
            for v in b where !out.contains(v) { out.append(v) }
            return .array(out)
        case .byKey(let key):
            guard case .array(let a) = base, case .array(let b) = over else { return over }
            var out = a
            for v in b {
                let k = key(v)
                if let k, let i = out.firstIndex(where: { key($0) == k }) {
                    if case .mapping = out[i], case .mapping = v {
                        out[i] = merge(out[i], v, path: path + ["[]"])
                    } else {
                        out[i] = v
                    }
                } else {
                    out.append(v)
                }
            }
            return .array(out)
        case .build:
            return mergeMappings(buildMapping(base).mapping, buildMapping(over).mapping, path: path) ?? over
        case .listToMapping:
            guard let a = namesToMapping(base), let b = namesToMapping(over) else { return over }
            return mergeMappings(a, b, path: path)
        case .logging:
            if let a = base.mapping, let b = over.mapping,
               let da = a["driver"], let db = b["driver"], da != db {
                return over
            }
            return mergeMappings(base.mapping, over.mapping, path: path) ?? over
        case .recurse:
            if case .array(let a) = base, case .array(let b) = over { return .array(a + b) }
            return mergeMappings(base.mapping, over.mapping, path: path) ?? over
        case .extraHosts:
            guard let a = extraHostsToMapping(base), let b = extraHostsToMapping(over) else { return over }
            var m = a
            for (k, v) in b.entries { m[k] = v }
            return .mapping(m)
        }
    }

    private static func mergeMappings(_ a: ComposeMapping?, _ b: ComposeMapping?, path: [String]) -> ComposeValue? {
        guard let a, let b else { return nil }
        var m = a
        for (k, v) in b.entries {
            if let old = m[k] {
                m[k] = merge(old, v, path: path + [k])
            } else {
                m[k] = v
            }
        }
        return .mapping(m)
    }

    private static func mergeMappings(_ a: ComposeMapping, _ b: ComposeMapping, path: [String]) -> ComposeValue {
        mergeMappings(Optional(a), Optional(b), path: path)!
    }

    enum Rule {
        case replace, toMapping, extraHosts, union, append, byKey((ComposeValue) -> String?), build, listToMapping, logging, recurse
    }

    static func ruleFor(_ path: [String]) -> Rule {
        // Only service-level keys have special rules; elsewhere mappings recurse and sequences append.
        guard path.count >= 3, path[0] == "services" else {
            return .recurse
        }
        let rest = Array(path.dropFirst(2))
        switch rest {
        case ["command"], ["entrypoint"], ["healthcheck", "test"], ["profiles"]:
            return .replace
        case ["environment"], ["labels"], ["sysctls"], ["annotations"], ["build", "args"], ["build", "labels"],
             ["deploy", "labels"], ["build", "additional_contexts"]:
            return .toMapping
        case ["extra_hosts"], ["build", "extra_hosts"]:
            return .extraHosts
        case ["dns"], ["dns_search"], ["dns_opt"], ["tmpfs"], ["env_file"], ["label_file"], ["cap_add"], ["cap_drop"],
             ["security_opt"], ["group_add"], ["expose"], ["external_links"], ["links"], ["volumes_from"],
             ["device_cgroup_rules"]:
            return .union
        case ["ports"]:
            return .append
        case ["volumes"]:
            return .byKey(volumeTarget)
        case ["secrets"]:
            return .byKey { secretTarget($0, prefix: "/run/secrets/") }
        case ["configs"]:
            return .byKey { secretTarget($0, prefix: "/") }
        case ["devices"]:
            return .byKey(deviceTarget)
        case ["build"]:
            return .build
        case ["depends_on"], ["networks"]:
            return .listToMapping
        case ["logging"]:
            return .logging
        default:
            return .recurse
        }
    }

    static func volumeTarget(_ v: ComposeValue) -> String? {
        switch v {
        case .string(let s):
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count >= 2 ? String(parts[1]) : s
        case .mapping(let m):
            return m["target"]?.scalarText
        default:
            return nil
        }
    }

    static func secretTarget(_ v: ComposeValue, prefix: String) -> String? {
        switch v {
        case .string(let s): return prefix + s
        case .mapping(let m):
            if let t = m["target"]?.scalarText { return t.hasPrefix("/") ? t : prefix + t }
            return m["source"]?.scalarText.map { prefix + $0 }
        default: return nil
        }
    }

    static func deviceTarget(_ v: ComposeValue) -> String? {
        switch v {
        case .string(let s):
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count >= 2 ? String(parts[1]) : s
        case .mapping(let m):
            return m["target"]?.scalarText
        default:
            return nil
        }
    }

    static func buildMapping(_ v: ComposeValue) -> ComposeValue {
        if case .string(let s) = v { return .mapping(ComposeMapping([("context", .string(s))])) }
        return v
    }

    static func asList(_ v: ComposeValue) -> [ComposeValue] {
        switch v {
        case .array(let a): return a
        case .null: return []
        default: return [v]
        }
    }

    /// `[A=1, B]` or `{A: 1, B: null}` → mapping (a bare `B` maps to null).
    static func listOrDictToMapping(_ v: ComposeValue, separator: Character = "=") -> ComposeMapping? {
        switch v {
        case .mapping(let m): return m
        case .null: return ComposeMapping()
        case .array(let a):
            var m = ComposeMapping()
            for item in a {
                guard let s = item.scalarText else { continue }
                if let i = s.firstIndex(of: separator) {
                    m[String(s[..<i])] = .string(String(s[s.index(after: i)...]))
                } else {
                    m[s] = .null
                }
            }
            return m
        default: return nil
        }
    }

    /// extra_hosts: `["host:ip", "host=ip"]` or a mapping → host → ip (IPv6 kept whole).
    static func extraHostsToMapping(_ v: ComposeValue) -> ComposeMapping? {
        switch v {
        case .mapping(let m):
            var out = ComposeMapping()
            for (k, v) in m.entries {
                if case .array(let ips) = v {
                    out[k] = .string(ips.compactMap(\.scalarText).joined(separator: ","))
                } else {
                    out[k] = v.scalarText.map(ComposeValue.string) ?? .null
                }
            }
            return out
        case .null: return ComposeMapping()
        case .array(let a):
            var m = ComposeMapping()
            for item in a {
                guard let s = item.scalarText else { continue }
                if let i = s.firstIndex(of: "=") {
                    m[String(s[..<i])] = .string(String(s[s.index(after: i)...]))
                } else if let i = s.firstIndex(of: ":") {
                    var ip = String(s[s.index(after: i)...])
                    if ip.hasPrefix("[") && ip.hasSuffix("]") { ip = String(ip.dropFirst().dropLast()) }
                    m[String(s[..<i])] = .string(ip)
                } else {
                    m[s] = .null
                }
            }
            return m
        default: return nil
        }
    }

    /// `[a, b]` or `{a: ..., b: ...}` → mapping of name → value (null for listed names).
    static func namesToMapping(_ v: ComposeValue) -> ComposeMapping? {
        switch v {
        case .mapping(let m): return m
        case .null: return ComposeMapping()
        case .array(let a):
            var m = ComposeMapping()
            for item in a { if let s = item.scalarText { m[s] = .null } }
            return m
        default: return nil
        }
    }
}

