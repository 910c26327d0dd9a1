import Foundation

/// The merged model into `docker compose config`'s canonical shapes, plus the checks that
/// need the whole project (undefined networks, volumes, secrets, configs, dependencies).
struct ComposeNormalizer {
    var projectName: String
    var projectDirectory: String
    var environment: [String: String]
    var home: String
    /// Keep declared networks, volumes, secrets and configs no enabled service uses
    /// (docker compose drops them unless `--all`).
    var keepUnusedResources = false

    // MARK: profiles

    static func filterProfiles(_ model: ComposeValue, active: [String], named: [String]) throws -> ComposeValue {
        guard var m = model.mapping else { return model }
        let services = m["services"]?.mapping ?? ComposeMapping()
        for n in named where services[n] == nil {
            throw ComposeError("no such service: \(n)")
        }
        // The named services and what they depend on, whatever their profiles.
        var forced = Set<String>()
        var queue = named
        while let n = queue.popLast() {
            guard !forced.contains(n), let svc = services[n] else { continue }
            forced.insert(n)
            if let deps = svc["depends_on"], let dm = ComposeMerge.namesToMapping(deps) {
                queue.append(contentsOf: dm.keys)
            }
        }
        var out = ComposeMapping()
        for (name, svc) in services.entries {
            let profiles = (svc["profiles"]?.array ?? []).compactMap(\.scalarText)
            let enabled = profiles.isEmpty || active.contains("*") || profiles.contains(where: active.contains)
                || forced.contains(name)
            if enabled { out[name] = svc }
        }
        m["services"] = .mapping(out)
        return .mapping(m)
    }

    // MARK: the model

    mutating func normalize(_ model: ComposeValue) throws -> ComposeValue {
        let m = model.mapping ?? ComposeMapping()
        var out = ComposeMapping()
        out["name"] = .string(projectName)

        let services = m["services"]?.mapping ?? ComposeMapping()
        var normalized = ComposeMapping()
        for name in services.keys.sorted() {
            normalized[name] = try service(name, services[name]!)
        }
        out["services"] = .mapping(normalized)

        // What the enabled services use (docker compose drops the rest).
        var used: [String: Set<String>] = ["networks": [], "volumes": [], "secrets": [], "configs": []]
        for (_, svc) in normalized.entries {
            used["networks"]!.formUnion(svc["networks"]?.mapping?.keys ?? [])
            for v in svc["volumes"]?.array ?? [] where v["type"]?.string == "volume" {
                if let src = v["source"]?.string { used["volumes"]!.insert(src) }
            }
            for ref in svc["secrets"]?.array ?? [] { if let src = ref["source"]?.string { used["secrets"]!.insert(src) } }
            for ref in svc["build"]?["secrets"]?.array ?? [] {
                if let src = ref.string ?? ref["source"]?.scalarText { used["secrets"]!.insert(src) }
            }
            for ref in svc["configs"]?.array ?? [] { if let src = ref["source"]?.string { used["configs"]!.insert(src) } }
        }
        func keep(_ kind: String, _ key: String) -> Bool { keepUnusedResources || used[kind]!.contains(key) }

        // Networks.
        var networks = ComposeMapping()
        let declaredNetworks = m["networks"]?.mapping ?? ComposeMapping()
        var usesDefault = false
        for (name, svc) in normalized.entries {
            for net in svc["networks"]?.mapping?.keys ?? [] {
                if net == "default" { usesDefault = true; continue }
                if declaredNetworks[net] == nil {
                    throw ComposeError("service \"\(name)\" refers to undefined network \(net): invalid compose project")
                }
            }
        }
        if usesDefault, declaredNetworks["default"] == nil {
            networks["default"] = .mapping(ComposeMapping([("name", .string("\(projectName)_default"))]))
        }
        for (key, v) in declaredNetworks.entries where keep("networks", key) {
            networks[key] = .mapping(resource(key, v))
        }
        if !networks.isEmpty { out["networks"] = .mapping(Self.sorted(networks)) }

        // Volumes.
        let declaredVolumes = m["volumes"]?.mapping ?? ComposeMapping()
        for (name, svc) in normalized.entries {
            for v in svc["volumes"]?.array ?? [] where v["type"]?.string == "volume" {
                if let src = v["source"]?.string, declaredVolumes[src] == nil {
                    throw ComposeError("service \"\(name)\" refers to undefined volume \(src): invalid compose project")
                }
            }
        }
        var volumes = ComposeMapping()
        for (key, v) in declaredVolumes.entries where keep("volumes", key) { volumes[key] = .mapping(resource(key, v)) }
        if !volumes.isEmpty { out["volumes"] = .mapping(Self.sorted(volumes)) }

        // Secrets and configs.
        for (kind, singular) in [("secrets", "secret"), ("configs", "config")] {
            let declared = m[kind]?.mapping ?? ComposeMapping()
            for (name, svc) in normalized.entries {
                if kind == "secrets" {
                    for ref in svc["build"]?["secrets"]?.array ?? [] {
                        if let src = ref.string ?? ref["source"]?.scalarText, declared[src] == nil {
                            throw ComposeError("service \"\(name)\" refers to undefined build secret \(src): invalid compose project")
                        }
                    }
                }
                for ref in svc[kind]?.array ?? [] {
                    if let src = ref["source"]?.string, declared[src] == nil {
                        throw ComposeError("service \"\(name)\" refers to undefined \(singular) \(src): invalid compose project")
                    }
                }
            }
            var res = ComposeMapping()
            for (key, v) in declared.entries where keep(kind, key) {
                var r = resource(key, v)
                // compose-go: a config from the environment carries its content.
                if kind == "configs", let e = r["environment"]?.scalarText, let value = environment[e] {
                    r["content"] = .string(value)
                }
                if kind == "secrets", r["external"]?.bool != true, r["file"] == nil, r["environment"] == nil {
                    throw ComposeError("secret \"\(key)\" must declare either `file` or `environment`: invalid compose project")
                }
                res[key] = .mapping(r)
            }
            if !res.isEmpty { out[kind] = .mapping(Self.sorted(res)) }
        }

        // Dependencies and consistency.
        var final = ComposeMapping()
        for (name, svc) in normalized.entries {
            guard var sm = svc.mapping else { continue }
            try checkConsistency(name, sm, services: normalized)
            if let deps = sm["depends_on"]?.mapping {
                var kept = ComposeMapping()
                for (dep, spec) in deps.entries {
                    if normalized[dep] == nil {
                        if spec["required"]?.bool == false { continue }
                        throw ComposeError("service \"\(name)\" depends on undefined service \"\(dep)\": invalid compose project")
                    }
                    kept[dep] = spec
                }
                sm["depends_on"] = .mapping(kept)
            }
            final[name] = .mapping(sm)
        }
        out["services"] = .mapping(final)
        return .mapping(out)
    }

    static func sorted(_ m: ComposeMapping) -> ComposeMapping {
        ComposeMapping(m.entries.sorted { $0.key < $1.key })
    }

    /// A top-level network or volume: null → mapping; `name` defaulted to `<project>_<key>`, or
    /// to the key for external ones.
    private func resource(_ key: String, _ v: ComposeValue) -> ComposeMapping {
        var r = v.mapping ?? ComposeMapping()
        if r["external"]?.bool == true {
            if r["name"] == nil { r["name"] = .string(key) }
            r["external"] = .bool(true)
        } else if r["name"] == nil {
            r["name"] = .string("\(projectName)_\(key)")
        }
        return r
    }

    /// compose-go's consistency checks that need the whole project.
    private func checkConsistency(_ name: String, _ s: ComposeMapping, services: ComposeMapping) throws {
        if s["build"] == nil, (s["image"]?.scalarText ?? "").isEmpty, s["provider"] == nil {
            throw ComposeError("service \"\(name)\" has neither an image nor a build context specified: invalid compose project")
        }
        if s["build"]?["dockerfile_inline"] != nil, s["build"]?["dockerfile"] != nil, s["build"]?["dockerfile"] != .string("Dockerfile") {
            throw ComposeError("service \"\(name)\" declares mutualy exclusive dockerfile and dockerfile_inline: invalid compose project")
        }
        if let mode = s["network_mode"]?.scalarText {
            if s["networks"] != nil {
                throw ComposeError("service \(name) declares mutually exclusive `network_mode` and `networks`: invalid compose project")
            }
            if mode.hasPrefix("service:"), services[String(mode.dropFirst(8))] == nil {
                let other = mode.dropFirst(8)
                throw ComposeError("service \"\(other)\" not found for network_mode 'service:\(other)'")
            }
        }
        if let first = s["healthcheck"]?["test"]?.array?.first?.scalarText, !["CMD", "CMD-SHELL", "NONE"].contains(first) {
            throw ComposeError("healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"")
        }
        let scale = s["scale"]?.int
        let replicas = s["deploy"]?["replicas"]?.int
        if let scale, let replicas, scale != replicas {
            throw ComposeError("services.\(name): can't set distinct values on 'scale' and 'deploy.replicas': invalid compose project")
        }
        if let scale, scale < 0 { throw ComposeError("services.\(name).scale: must be greater than or equal to 0") }
        if let replicas, replicas < 0 { throw ComposeError("services.\(name).deploy.replicas: must be greater than or equal to 0") }
        if s["container_name"] != nil, (scale ?? replicas ?? 1) > 1 {
            let attr = scale == nil ? "deploy.replicas" : "scale"
            throw ComposeError("services.\(name): can't set container_name and \(attr) as container name must be unique: invalid compose project")
        }
        var mounts: [String: String] = [:]
        for (i, t) in (s["tmpfs"]?.array ?? []).enumerated() {
            let loc = "services.\(name).tmpfs[\(i)]"
            let path = String((t.scalarText ?? "").split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            if let p = mounts[path] { throw ComposeError("\(loc): target \(path) already mounted as \(p)") }
            mounts[path] = loc
        }
        for (i, v) in (s["volumes"]?.array ?? []).enumerated() {
            let loc = "services.\(name).volumes[\(i)]"
            guard let target = v["target"]?.scalarText else { continue }
            if let p = mounts[target] { throw ComposeError("\(loc): target \(target) already mounted as \(p)") }
            mounts[target] = loc
        }
    }

    // MARK: a service

    mutating func service(_ name: String, _ value: ComposeValue) throws -> ComposeValue {
        guard let svc = value.mapping else { return value }
        var s = svc
        let path = "services.\(name)"

        if let b = s["build"] { s["build"] = build(b) }
        for key in ["command", "entrypoint"] {
            if case .string(let text)? = s[key] {
                do {
                    s[key] = .array(try ShellWords.split(text).map(ComposeValue.string))
                } catch let e as ComposeError {
                    throw ComposeError("\(path).\(key): \(e.description)")
                }
            } else if case .array(let a)? = s[key] {
                s[key] = .array(a.map { $0.scalarText.map(ComposeValue.string) ?? $0 })
            }
        }

        // Environment, with env_file underneath.
        var env = ComposeMapping()
        if let files = s["env_file"] {
            for item in files.array ?? [files] {
                var p: String?
                var required = true
                switch item {
                case .string(let f): p = f
                case .mapping(let e):
                    p = e["path"]?.scalarText
                    if e["required"]?.bool == false { required = false }
                default: break
                }
                guard let p else { continue }
                if !Paths.isFile(p) {
                    if required { throw ComposeError("env file \(p) not found: stat \(p): no such file or directory") }
                    continue
                }
                for (k, v) in try Dotenv.read(path: p, env: environment) { env[k] = .string(v) }
            }
            s["env_file"] = nil
        }
        if let e = s["environment"] {
            for (k, v) in stringMapping(e, resolveBare: true).entries { env[k] = v }
        }
        if s["environment"] != nil || !env.isEmpty { s["environment"] = .mapping(Self.sorted(env)) }

        // label_file, under labels (labels win).
        if let files = s["label_file"] {
            var labels = ComposeMapping()
            for item in files.array ?? [files] {
                guard let p = item.scalarText else { continue }
                guard Paths.isFile(p) else {
                    throw ComposeError("label file \(p) not found: stat \(p): no such file or directory")
                }
                for (k, v) in try Dotenv.read(path: p, env: [:]) { labels[k] = .string(v) }
            }
            if let l = s["labels"] {
                for (k, v) in stringMapping(l, resolveBare: false, bareValue: .string("")).entries { labels[k] = v }
            }
            s["labels"] = .mapping(labels)
            s["label_file"] = nil
        }
        for key in ["labels", "sysctls", "annotations"] {
            if let v = s[key] { s[key] = .mapping(Self.sorted(stringMapping(v, resolveBare: false, bareValue: .string("")))) }
        }
        if let v = s["extra_hosts"], let m = ComposeMerge.extraHostsToMapping(v) { s["extra_hosts"] = .mapping(Self.sorted(m)) }

        if let p = s["ports"]?.array {
            var out: [ComposeValue] = []
            for (i, item) in p.enumerated() {
                do {
                    for port in try ports(item) where !out.contains(port) { out.append(port) }
                } catch let e as ComposeError {
                    throw ComposeError("\(path).ports[\(i)]: \(e.description)")
                }
            }
            s["ports"] = .array(out)
        }
        if let e = s["expose"] {
            s["expose"] = .array((e.array ?? [e]).map { $0.scalarText.map(ComposeValue.string) ?? $0 })
        }
        if let v = s["volumes"]?.array {
            var out: [ComposeValue] = []
            for (i, item) in v.enumerated() {
                do {
                    out.append(try volume(item))
                } catch let e as ComposeError {
                    throw ComposeError("\(path).volumes[\(i)]: \(e.description)")
                }
            }
            s["volumes"] = .array(out)
        }
        for key in ["tmpfs", "dns", "dns_search", "dns_opt", "cap_add", "cap_drop", "devices", "security_opt", "group_add"] {
            if let v = s[key] {
                s[key] = .array((v.array ?? [v]).map { $0.scalarText.map(ComposeValue.string) ?? $0 })
            }
        }

        // Networks.
        if let n = s["networks"], let m = ComposeMerge.namesToMapping(n), !m.isEmpty {
            s["networks"] = .mapping(Self.sorted(m))
        } else if s["network_mode"] == nil {
            s["networks"] = .mapping(ComposeMapping([("default", .null)]))
        } else {
            s["networks"] = nil  // `networks: {}` beside network_mode says nothing
        }

        if let d = s["depends_on"] {
            var out = ComposeMapping()
            switch d {
            case .array(let a):
                for n in a.compactMap(\.scalarText) {
                    out[n] = .mapping(ComposeMapping([("condition", .string("service_started")), ("required", .bool(true))]))
                }
            case .mapping(let m):
                for (k, v) in m.entries {
                    var spec = v.mapping ?? ComposeMapping()
                    if spec["condition"] == nil { spec["condition"] = .string("service_started") }
                    if spec["required"] == nil { spec["required"] = .bool(true) }
                    out[k] = .mapping(ComposeMapping(spec.entries.sorted { $0.key < $1.key }))
                }
            default: break
            }
            s["depends_on"] = .mapping(Self.sorted(out))
        }

        if var h = s["healthcheck"]?.mapping {
            if case .string(let t)? = h["test"] {
                h["test"] = t == "NONE" ? .array([.string("NONE")]) : .array([.string("CMD-SHELL"), .string(t)])
            }
            s["healthcheck"] = .mapping(h)
        }

        if let u = s["ulimits"]?.mapping {
            var out = ComposeMapping()
            for (k, v) in u.entries {
                if let n = v.int, v.mapping == nil {
                    out[k] = .mapping(ComposeMapping([("soft", .int(n)), ("hard", .int(n))]))
                } else {
                    out[k] = v
                }
            }
            s["ulimits"] = .mapping(Self.sorted(out))
        }

        for (kind, prefix) in [("secrets", "/run/secrets/"), ("configs", "/")] {
            guard let list = s[kind]?.array else { continue }
            s[kind] = .array(list.map { item in
                switch item {
                case .string(let n):
                    return .mapping(ComposeMapping([("source", .string(n)), ("target", .string(prefix + n))]))
                case .mapping(var m):
                    if m["target"] == nil, let src = m["source"]?.scalarText { m["target"] = .string(prefix + src) }
                    return .mapping(m)
                default:
                    return item
                }
            })
        }

        if s["pull_policy"]?.scalarText == "if_not_present" { s["pull_policy"] = .string("missing") }

        // Implicit dependencies: links, `service:` namespaces, volumes_from.
        var implicit: [(String, Bool)] = []
        for l in s["links"]?.array ?? [] {
            guard let text = l.scalarText else { continue }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            implicit.append((parts.count == 2 ? String(parts[0]) : text, true))
        }
        for ns in ["network_mode", "ipc", "pid", "uts", "cgroup"] {
            if let ref = s[ns]?.scalarText, ref.hasPrefix("service:") { implicit.append((String(ref.dropFirst(8)), true)) }
        }
        for v in s["volumes_from"]?.array ?? [] {
            guard let text = v.scalarText, !text.hasPrefix("container:") else { continue }
            implicit.append((String(text.split(separator: ":", omittingEmptySubsequences: false)[0]), false))
        }
        if !implicit.isEmpty {
            var deps = s["depends_on"]?.mapping ?? ComposeMapping()
            for (dep, restart) in implicit where deps[dep] == nil {
                deps[dep] = .mapping(ComposeMapping([
                    ("condition", .string("service_started")), ("required", .bool(true)), ("restart", .bool(restart)),
                ]))
            }
            s["depends_on"] = .mapping(Self.sorted(deps))
        }

        return .mapping(ComposeMapping(s.entries.sorted { $0.key < $1.key }))
    }

    /// list (`K=V`, `K`) or mapping → mapping K → string; a bare K (or null value) is the
    /// interpolation environment's value when `resolveBare`, else `bareValue`.
    private func stringMapping(_ v: ComposeValue, resolveBare: Bool, bareValue: ComposeValue = .null) -> ComposeMapping {
        var out = ComposeMapping()
        func bare(_ k: String) -> ComposeValue {
            if resolveBare { return environment[k].map(ComposeValue.string) ?? .null }
            return bareValue
        }
        switch v {
        case .array(let a):
            for item in a {
                guard let t = item.scalarText else { continue }
                if let i = t.firstIndex(of: "=") {
                    out[String(t[..<i])] = .string(String(t[t.index(after: i)...]))
                } else {
                    out[t] = bare(t)
                }
            }
        case .mapping(let m):
            for (k, val) in m.entries {
                if case .null = val { out[k] = resolveBare ? bare(k) : .null } else { out[k] = val.scalarText.map(ComposeValue.string) ?? val }
            }
        default: break
        }
        return out
    }

    private func build(_ b: ComposeValue) -> ComposeValue {
        switch b {
        case .string(let c):
            return .mapping(ComposeMapping([("context", .string(c)), ("dockerfile", .string("Dockerfile"))]))
        case .mapping(var m):
            if m["context"] == nil { m["context"] = .string(projectDirectory) }
            if m["dockerfile"] == nil, m["dockerfile_inline"] == nil { m["dockerfile"] = .string("Dockerfile") }
            if let a = m["args"] { m["args"] = .mapping(Self.sorted(stringMapping(a, resolveBare: true))) }
            if let l = m["labels"] { m["labels"] = .mapping(Self.sorted(stringMapping(l, resolveBare: false, bareValue: .string("")))) }
            return .mapping(ComposeMapping(m.entries.sorted { $0.key < $1.key }))
        default:
            return b
        }
    }

    // MARK: ports

    private func ports(_ item: ComposeValue) throws -> [ComposeValue] {
        switch item {
        case .int(let n):
            return [port(target: n, published: nil, hostIP: nil, proto: "tcp")]
        case .double(let d):
            guard let n = Int(exactly: d) else { throw ComposeError("invalid port \(d)") }
            return [port(target: n, published: nil, hostIP: nil, proto: "tcp")]
        case .string(let spec):
            return try shortPorts(spec)
        case .mapping(let m):
            var out = ComposeMapping()
            if let n = m["name"]?.scalarText { out["name"] = .string(n) }
            out["mode"] = .string(m["mode"]?.scalarText ?? "ingress")
            if let h = m["host_ip"]?.scalarText { out["host_ip"] = .string(h) }
            guard let t = m["target"]?.scalarText, let target = Int(t), (0...65535).contains(target) else {
                throw ComposeError("invalid target port")
            }
            out["target"] = .int(target)
            if let p = m["published"]?.scalarText, !p.isEmpty { out["published"] = .string(p) }
            out["protocol"] = .string(m["protocol"]?.scalarText ?? "tcp")
            for (k, v) in m.entries where out[k] == nil && k != "target" && k != "published" { out[k] = v }
            return [.mapping(out)]
        default:
            throw ComposeError("invalid port specification")
        }
    }

    private func port(target: Int, published: String?, hostIP: String?, proto: String) -> ComposeValue {
        var m = ComposeMapping()
        m["mode"] = .string("ingress")
        if let hostIP { m["host_ip"] = .string(hostIP) }
        m["target"] = .int(target)
        if let published { m["published"] = .string(published) }
        m["protocol"] = .string(proto)
        return .mapping(m)
    }

    /// `[HOST_IP:][PUBLISHED[-END]:]TARGET[-END][/PROTO]`.
    private func shortPorts(_ spec: String) throws -> [ComposeValue] {
        var rest = Substring(spec.trimmingCharacters(in: .whitespaces))
        var proto = "tcp"
        if let slash = rest.lastIndex(of: "/") {
            proto = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
            guard ["tcp", "udp", "sctp"].contains(proto) else { throw ComposeError("invalid proto: \(proto)") }
        }
        var hostIP: String?
        var parts: [Substring]
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw ComposeError("invalid IPv6 address in \(spec)") }
            hostIP = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":") else { throw ComposeError("invalid port specification: \"\(spec)\"") }
            parts = after.dropFirst().split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 1 { parts = [""] + parts }
        } else {
            parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count > 3 {
                // An unbracketed IPv6 host: everything before the last two parts.
                let n = parts.count
                hostIP = parts[0..<(n - 2)].joined(separator: ":")
                parts = Array(parts[(n - 2)...])
            } else if parts.count == 3 {
                hostIP = String(parts[0])
                parts = Array(parts[1...])
            }
        }
        let targetText = String(parts.last!)
        let publishedText: String? = parts.count == 2 ? String(parts[0]) : nil
        if hostIP?.isEmpty == true { hostIP = nil }

        func range(_ t: String) throws -> ClosedRange<Int> {
            let r = t.split(separator: "-", omittingEmptySubsequences: false)
            guard r.count <= 2, let lo = Int(r[0]), lo >= 0, lo <= 65535 else { throw ComposeError("invalid port specification: \"\(spec)\"") }
            let hi = r.count == 2 ? Int(r[1]) : lo
            guard let hi, hi >= lo, hi <= 65535 else { throw ComposeError("invalid port specification: \"\(spec)\"") }
            return lo...hi
        }
        let targets = try range(targetText)
        guard let publishedText, !publishedText.isEmpty else {
            return targets.map { port(target: $0, published: nil, hostIP: hostIP, proto: proto) }
        }
        let published = try range(publishedText)
        if targets.count == 1 {
            let text = published.count == 1 ? String(published.lowerBound) : "\(published.lowerBound)-\(published.upperBound)"
            return [port(target: targets.lowerBound, published: text, hostIP: hostIP, proto: proto)]
        }
        guard published.count == targets.count else {
            throw ComposeError("port ranges don't match: \"\(spec)\"")
        }
        return zip(targets, published).map { port(target: $0, published: String($1), hostIP: hostIP, proto: proto) }
    }

    // MARK: volumes

    private func volume(_ item: ComposeValue) throws -> ComposeValue {
        switch item {
        case .string(let spec):
            return try shortVolume(spec)
        case .mapping(var m):
            guard let type = m["type"]?.scalarText else { return item }
            if type == "bind", (m["source"]?.scalarText ?? "").isEmpty {
                throw ComposeError("invalid mount config for type \"bind\": field Source must not be empty")
            }
            if type == "bind", let src = m["source"]?.scalarText {
                m["source"] = .string(Paths.absolute(Paths.expandHome(src, home: home), relativeTo: projectDirectory))
            }
            // As compose-go: a long-syntax `bind:` defaults create_host_path to true; without one
            // nothing is implied (only the short syntax implies it).
            if var bind = m["bind"]?.mapping {
                if bind["create_host_path"] == nil { bind["create_host_path"] = .bool(true) }
                m["bind"] = .mapping(ComposeMapping(bind.entries.sorted { $0.key < $1.key }))
            }
            if m["read_only"]?.bool == false { m["read_only"] = nil }
            if let t = m["target"]?.scalarText { m["target"] = .string(Paths.clean(t)) }
            return .mapping(ComposeMapping(m.entries.sorted { Self.volumeKeyOrder($0.key) < Self.volumeKeyOrder($1.key) }))
        default:
            throw ComposeError("invalid volume specification")
        }
    }

    private static func volumeKeyOrder(_ k: String) -> Int {
        ["type", "source", "target", "read_only", "bind", "volume", "tmpfs", "image", "consistency"].firstIndex(of: k) ?? 100
    }

    private func shortVolume(_ spec: String) throws -> ComposeValue {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard !spec.isEmpty else { throw ComposeError("invalid empty volume spec") }
        if parts.contains(where: \.isEmpty) { throw ComposeError("invalid spec: \(spec): empty section between colons") }
        if parts.count > 3 { throw ComposeError("invalid spec: \(spec): too many colons") }
        var m = ComposeMapping()
        if parts.count == 1 {
            m["type"] = .string("volume")
            m["target"] = .string(Paths.clean(parts[0]))
            m["volume"] = .mapping(ComposeMapping())
            return .mapping(m)
        }
        let src = parts[0], dst = parts[1]
        let modes = parts.count == 3 ? parts[2].split(separator: ",").map(String.init) : []
        let isBind = src.hasPrefix(".") || src.hasPrefix("/") || src.hasPrefix("~")
        m["type"] = .string(isBind ? "bind" : "volume")
        m["source"] = .string(isBind ? Paths.absolute(Paths.expandHome(src, home: home), relativeTo: projectDirectory) : src)
        m["target"] = .string(Paths.clean(dst))
        var bind = ComposeMapping()
        var vol = ComposeMapping()
        for mode in modes {
            switch mode {
            case "ro": m["read_only"] = .bool(true)
            case "rw": m["read_only"] = nil
            case "z", "Z": bind["selinux"] = .string(mode)
            case "nocopy": vol["nocopy"] = .bool(true)
            case "shared", "rshared", "slave", "rslave", "private", "rprivate": bind["propagation"] = .string(mode)
            default: break  // compose-go ignores other options (cached, delegated, …)
            }
        }
        if isBind {
            bind["create_host_path"] = .bool(true)
            m["bind"] = .mapping(ComposeMapping(bind.entries.sorted { $0.key < $1.key }))
        } else {
            m["volume"] = .mapping(vol)
        }
        return .mapping(ComposeMapping(m.entries.sorted { Self.volumeKeyOrder($0.key) < Self.volumeKeyOrder($1.key) }))
    }
}
