import Crypto
import Foundation
import SkiffArchive
import SkiffCLI
import SkiffCompose

/// A service turned into Docker's container-create body: the one place compose's model
/// becomes Docker's JSON shapes.
struct ContainerBody {
    let project: ProjectSpec
    let service: ServiceSpec

    /// The image the service's containers run: `image`, else the one `build` makes.
    static func imageName(_ project: ProjectSpec, _ service: ServiceSpec) -> String {
        service.image ?? "\(project.name)-\(service.name)"
    }

    /// The hash of the service's configuration that decides whether a container is current
    /// (its scale and how its image is made left out, as docker compose leaves them out).
    static func configHash(_ service: ServiceSpec) -> String {
        var definition = service.definition
        if case .mapping(var m) = definition {
            for key in ["scale", "build", "pull_policy"] { m[key] = nil }
            if case .mapping(var deploy)? = m["deploy"] {
                deploy["replicas"] = nil
                m["deploy"] = .mapping(deploy)
            }
            definition = .mapping(m)
        }
        let digest = SHA256.hash(data: Data(canonicalText(definition).utf8))
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    private static func canonicalText(_ v: ComposeValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return JSON.string(s).compact
        case .array(let a): return "[" + a.map(canonicalText).joined(separator: ",") + "]"
        case .mapping(let m): return "{" + m.entries.map { JSON.string($0.key).compact + ":" + canonicalText($0.value) }.joined(separator: ",") + "}"
        }
    }

    /// The create body for container `number` of the service; `oneoff` for `run`.
    /// `serviceContainers` maps service names to a running container's id (network_mode: service:x).
    func make(
        number: Int, oneoff: Bool, imageID: String, command: [String]? = nil, entrypoint: [String]? = nil,
        extraEnv: [String] = [], user: String? = nil, workdir: String? = nil, tty: Bool? = nil, stdin: Bool? = nil,
        publishPorts: Bool = true, extraVolumes: [String] = [], extraLabels: [(String, String)] = [],
        serviceContainer: (String) throws -> String
    ) throws -> JSON {
        var config = JSONObject()
        config["Image"] = .string(Self.imageName(project, service))
        if let cmd = command ?? service.command { config["Cmd"] = .array(cmd.map { .string($0) }) }
        if let ep = entrypoint ?? service.entrypoint { config["Entrypoint"] = .array(ep.map { .string($0) }) }
        let env = service.environment.compactMap { e in e.value.map { "\(e.key)=\($0)" } } + extraEnv
        if !env.isEmpty { config["Env"] = .array(env.map { .string($0) }) }
        var labels = JSONObject(service.labels.map { ($0.key, JSON.string($0.value)) })
        let compose: [(String, String)] = [
            (Label.project, project.name), (Label.service, service.name), (Label.number, String(number)),
            (Label.oneoff, oneoff ? "True" : "False"), (Label.configHash, Self.configHash(service)),
            (Label.workingDir, project.workingDirectory), (Label.configFiles, project.files.joined(separator: ",")),
            (Label.version, Label.composeVersion), (Label.image, imageID),
            (Label.dependsOn, service.dependsOn.map { "\($0.service):\($0.condition.rawValue):\($0.restart)" }.joined(separator: ",")),
        ] + extraLabels
        for (k, v) in compose { labels[k] = .string(v) }
        config["Labels"] = .object(labels)
        if let w = workdir ?? service.workingDir { config["WorkingDir"] = .string(w) }
        if let u = user ?? service.user { config["User"] = .string(u) }
        if let h = service.hostname { config["Hostname"] = .string(h) }
        if let d = service.domainname { config["Domainname"] = .string(d) }
        let isTTY = tty ?? service.tty
        let openStdin = stdin ?? service.stdinOpen
        config["Tty"] = .bool(isTTY)
        config["OpenStdin"] = .bool(openStdin)
        config["AttachStdin"] = .bool(openStdin && stdin != nil)
        config["AttachStdout"] = .bool(stdin != nil)
        config["AttachStderr"] = .bool(stdin != nil)
        config["StdinOnce"] = .bool(openStdin && stdin != nil)
        if let s = service.stopSignal { config["StopSignal"] = .string(s) }
        if let g = service.stopGracePeriod {
            config["StopTimeout"] = .number(Int((try DockerUnits.duration(g) + 999_999_999) / 1_000_000_000))
        }
        if let h = service.healthcheck { config["Healthcheck"] = try healthcheck(h) }

        var host = JSONObject()
        var exposed = JSONObject()
        var bindings = JSONObject()
        for e in service.expose {
            let key = e.contains("/") ? e : e + "/tcp"
            exposed[key] = .object(JSONObject())
        }
        if publishPorts {
            for p in service.ports {
                let key = "\(p.target)/\(p.proto)"
                exposed[key] = .object(JSONObject())
                var list = bindings[key]?.array ?? []
                list.append(.object(JSONObject([("HostIp", .string(p.hostIP ?? "")), ("HostPort", .string(p.published ?? ""))])))
                bindings[key] = .array(list)
            }
        }
        if !exposed.isEmpty { config["ExposedPorts"] = .object(exposed) }
        if !bindings.isEmpty { host["PortBindings"] = .object(bindings) }

        var binds: [JSON] = []
        var mounts: [JSON] = []
        for v in service.volumes { try mount(v, binds: &binds, mounts: &mounts) }
        for s in service.secrets { if let b = try fileBind(s, from: project.secrets, kind: "secret") { binds.append(.string(b)) } }
        for c in service.configs { if let b = try fileBind(c, from: project.configs, kind: "config") { binds.append(.string(b)) } }
        binds += extraVolumes.map { .string($0) }
        if !binds.isEmpty { host["Binds"] = .array(binds) }
        if !mounts.isEmpty { host["Mounts"] = .array(mounts) }

        if let r = service.restart {
            let (name, count) = r.split(separator: ":", maxSplits: 1).map(String.init).pairOrSingle
            host["RestartPolicy"] = .object(JSONObject([("Name", .string(name)), ("MaximumRetryCount", .number(Int(count ?? "0") ?? 0))]))
        }
        if let m = service.memLimit { host["Memory"] = .number(try DockerUnits.bytes(m)) }
        if let m = service.memReservation { host["MemoryReservation"] = .number(try DockerUnits.bytes(m)) }
        if let c = service.cpus { host["NanoCpus"] = .number(try DockerUnits.nanoCPUs(c)) }
        if let s = service.cpuShares { host["CpuShares"] = .number(s) }
        if let p = service.pidsLimit { host["PidsLimit"] = .number(p) }
        if let s = service.shmSize { host["ShmSize"] = .number(try DockerUnits.bytes(s)) }
        if service.readOnly { host["ReadonlyRootfs"] = true }
        if service.privileged { host["Privileged"] = true }
        if let i = service.initProcess { host["Init"] = .bool(i) }
        if !service.capAdd.isEmpty { host["CapAdd"] = .array(service.capAdd.map { .string($0) }) }
        if !service.capDrop.isEmpty { host["CapDrop"] = .array(service.capDrop.map { .string($0) }) }
        if let l = service.logging {
            host["LogConfig"] = .object(JSONObject([
                ("Type", .string(l.driver ?? "json-file")),
                ("Config", .object(JSONObject(l.options.map { ($0.key, JSON.string($0.value)) }))),
            ]))
        }
        if !service.extraHosts.isEmpty { host["ExtraHosts"] = .array(service.extraHosts.map { .string("\($0.host):\($0.address)") }) }
        if !service.dns.isEmpty { host["Dns"] = .array(service.dns.map { .string($0) }) }
        if !service.dnsSearch.isEmpty { host["DnsSearch"] = .array(service.dnsSearch.map { .string($0) }) }
        if !service.dnsOptions.isEmpty { host["DnsOptions"] = .array(service.dnsOptions.map { .string($0) }) }
        if !service.ulimits.isEmpty {
            host["Ulimits"] = .array(service.ulimits.map {
                .object(JSONObject([("Name", .string($0.name)), ("Soft", .number($0.soft)), ("Hard", .number($0.hard))]))
            })
        }
        if !service.tmpfs.isEmpty {
            var t = JSONObject()
            for entry in service.tmpfs {
                let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
                t[parts[0]] = .string(parts.count > 1 ? parts[1] : "")
            }
            host["Tmpfs"] = .object(t)
        }
        if !service.sysctls.isEmpty { host["Sysctls"] = .object(JSONObject(service.sysctls.map { ($0.key, JSON.string($0.value)) })) }
        if !service.securityOpt.isEmpty { host["SecurityOpt"] = .array(service.securityOpt.map { .string($0) }) }
        if !service.groupAdd.isEmpty { host["GroupAdd"] = .array(service.groupAdd.map { .string($0) }) }
        if !service.devices.isEmpty {
            host["Devices"] = .array(service.devices.map { d in
                let p = d.split(separator: ":").map(String.init)
                return .object(JSONObject([
                    ("PathOnHost", .string(p[0])), ("PathInContainer", .string(p.count > 1 ? p[1] : p[0])),
                    ("CgroupPermissions", .string(p.count > 2 ? p[2] : "rwm")),
                ]))
            })
        }
        if let i = service.ipc { host["IpcMode"] = .string(i) }
        if let p = service.pid { host["PidMode"] = .string(p) }

        var body = config
        if let mode = service.networkMode {
            if mode.hasPrefix("service:") {
                host["NetworkMode"] = .string("container:" + (try serviceContainer(String(mode.dropFirst("service:".count)))))
            } else {
                host["NetworkMode"] = .string(mode)
            }
        } else if let first = service.networks.first {
            host["NetworkMode"] = .string(try networkName(first.key))
            var endpoints = JSONObject()
            for attachment in service.networks {
                var e = JSONObject()
                e["Aliases"] = .array(([service.name] + attachment.aliases).map { .string($0) })
                if attachment.ipv4Address != nil || attachment.ipv6Address != nil {
                    var ipam = JSONObject()
                    if let a = attachment.ipv4Address { ipam["IPv4Address"] = .string(a) }
                    if let a = attachment.ipv6Address { ipam["IPv6Address"] = .string(a) }
                    e["IPAMConfig"] = .object(ipam)
                }
                endpoints[try networkName(attachment.key)] = .object(e)
            }
            body["NetworkingConfig"] = .object(JSONObject([("EndpointsConfig", .object(endpoints))]))
        }
        body["HostConfig"] = .object(host)
        return .object(body)
    }

    func networkName(_ key: String) throws -> String {
        guard let n = project.networks[key] else {
            throw ComposeFailure("service \"\(service.name)\" refers to undefined network \(key): invalid compose project")
        }
        return n.name
    }

    private func healthcheck(_ h: HealthcheckSpec) throws -> JSON {
        var o = JSONObject()
        if h.disable {
            o["Test"] = ["NONE"]
            return .object(o)
        }
        if let t = h.test { o["Test"] = .array(t.map { .string($0) }) }
        for (key, value) in [("Interval", h.interval), ("Timeout", h.timeout), ("StartPeriod", h.startPeriod), ("StartInterval", h.startInterval)] {
            if let v = value { o[key] = .number(try DockerUnits.duration(v)) }
        }
        if let r = h.retries { o["Retries"] = .number(r) }
        return .object(o)
    }

    private func mount(_ v: MountSpec, binds: inout [JSON], mounts: inout [JSON]) throws {
        var m = JSONObject()
        m["Target"] = .string(v.target)
        if v.readOnly { m["ReadOnly"] = true }
        switch v.kind {
        case .bind:
            let source = v.source ?? ""
            if v.createHostPath && v.propagation == nil {
                // Binds make a missing source directory, as create_host_path asks.
                binds.append(.string("\(source):\(v.target)" + (v.readOnly ? ":ro" : "")))
                return
            }
            m["Type"] = "bind"
            m["Source"] = .string(source)
            if let p = v.propagation { m["BindOptions"] = .object(JSONObject([("Propagation", .string(p))])) }
        case .volume:
            m["Type"] = "volume"
            if let key = v.source {
                guard let volume = project.volumes[key] else {
                    throw ComposeFailure("service \"\(service.name)\" refers to undefined volume \(key): invalid compose project")
                }
                m["Source"] = .string(volume.name)
            }
            if v.noCopy || v.subpath != nil {
                var o = JSONObject()
                if v.noCopy { o["NoCopy"] = true }
                if let s = v.subpath { o["Subpath"] = .string(s) }
                m["VolumeOptions"] = .object(o)
            }
        case .tmpfs:
            m["Type"] = "tmpfs"
            var o = JSONObject()
            if let s = v.tmpfsSize { o["SizeBytes"] = .number(s) }
            if let mode = v.tmpfsMode { o["Mode"] = .number(mode) }
            if !o.isEmpty { m["TmpfsOptions"] = .object(o) }
        }
        mounts.append(.object(m))
    }

    /// A file-based secret or config, mounted read-only at its target; nil for one whose
    /// content is copied into the container after create (`injectedFiles`).
    private func fileBind(_ ref: FileReference, from sources: [String: FileSource], kind: String) throws -> String? {
        guard let source = sources[ref.source] else {
            throw ComposeFailure("service \"\(service.name)\" refers to undefined \(kind) \(ref.source): invalid compose project")
        }
        guard case .file(let path) = source else { return nil }
        return "\(path):\(ref.target):ro"
    }

    /// Secrets and configs given by `environment:` or `content:`, as docker compose copies
    /// them into the container after create: a tar holding each at its target (0444 unless
    /// `mode` says otherwise), nil when there are none.
    func injectedFiles() throws -> [UInt8]? {
        var files: [(FileReference, [UInt8])] = []
        for (refs, sources, kind) in [(service.secrets, project.secrets, "secret"), (service.configs, project.configs, "config")] {
            for ref in refs {
                switch sources[ref.source] {
                case .environment(let name)?:
                    guard let value = project.environment[name] else {
                        throw ComposeFailure("\(kind) \(ref.source): environment variable \(name) is not set")
                    }
                    files.append((ref, Array(value.utf8)))
                case .content(let text)?:
                    files.append((ref, Array(text.utf8)))
                default:
                    continue
                }
            }
        }
        guard !files.isEmpty else { return nil }
        // Files only: the directories they need are made as the archive is extracted.
        let tar = TarWriter(MemorySink())
        for (ref, bytes) in files {
            let path = ref.target.split(separator: "/").joined(separator: "/")
            try tar.append(
                TarEntry(kind: .regular, path: path, size: Int64(bytes.count),
                         mode: UInt32(ref.mode ?? 0o444), uid: UInt32(ref.uid ?? "0") ?? 0, gid: UInt32(ref.gid ?? "0") ?? 0),
                contents: bytes)
        }
        try tar.finish()
        return tar.sink.bytes
    }
}

extension Array where Element == String {
    /// ["a", "b"] → ("a", "b"); ["a"] → ("a", nil).
    var pairOrSingle: (String, String?) { (self.first ?? "", self.count > 1 ? self[1] : nil) }
}
