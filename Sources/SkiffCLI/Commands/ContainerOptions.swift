import Glibc

/// `run` and `create`: docker's container flags and their translation to the body of
/// POST /containers/create (Config, HostConfig, NetworkingConfig), as docker's `parse` does.
enum ContainerOptions {
    static let flags: [Flag] = [
        .list("add-host", .list, "Add a custom host-to-IP mapping (host:ip)"),
        .list("annotation", .map, "Add an annotation to the container (passed through to the OCI runtime)"),
        .list("attach", "a", .attach, "Attach to STDIN, STDOUT or STDERR"),
        .value("blkio-weight", .uint16, "Block IO (relative weight), between 10 and 1000, or 0 to disable", default: "0"),
        .list("blkio-weight-device", .list, "Block IO weight (relative device weight)"),
        .list("cap-add", .list, "Add Linux capabilities"),
        .list("cap-drop", .list, "Drop Linux capabilities"),
        .value("cgroup-parent", .string, "Optional parent cgroup for the container"),
        .value("cgroupns", .string, "Cgroup namespace to use (host|private)"),
        .value("cidfile", .string, "Write the container ID to the file"),
        .value("cpu-count", .int64, "CPU count (Windows only)"),
        .value("cpu-percent", .int64, "CPU percent (Windows only)"),
        .value("cpu-period", .int64, "Limit CPU CFS (Completely Fair Scheduler) period"),
        .value("cpu-quota", .int64, "Limit CPU CFS (Completely Fair Scheduler) quota"),
        .value("cpu-rt-period", .int64, "Limit CPU real-time period in microseconds"),
        .value("cpu-rt-runtime", .int64, "Limit CPU real-time runtime in microseconds"),
        .value("cpu-shares", "c", .int64, "CPU shares (relative weight)"),
        .value("cpus", .decimal, "Number of CPUs"),
        .value("cpuset-cpus", .string, "CPUs in which to allow execution (0-3, 0,1)"),
        .value("cpuset-mems", .string, "MEMs in which to allow execution (0-3, 0,1)"),
        .list("device", .list, "Add a host device to the container"),
        .list("device-cgroup-rule", .list, "Add a rule to the cgroup allowed devices list"),
        .list("device-read-bps", .list, "Limit read rate (bytes per second) from a device"),
        .list("device-read-iops", .list, "Limit read rate (IO per second) from a device"),
        .list("device-write-bps", .list, "Limit write rate (bytes per second) to a device"),
        .list("device-write-iops", .list, "Limit write rate (IO per second) to a device"),
        .bool("disable-content-trust", "Skip image verification"),
        .list("dns", .list, "Set custom DNS servers"),
        .list("dns-opt", .list, "Set DNS options", hidden: true, aliasOf: "dns-option"),
        .list("dns-option", .list, "Set DNS options"),
        .list("dns-search", .list, "Set custom DNS search domains"),
        .value("domainname", .string, "Container NIS domain name"),
        .value("entrypoint", .string, "Overwrite the default ENTRYPOINT of the image"),
        .list("env", "e", .env, "Set environment variables"),
        .list("env-file", .list, "Read in a file of environment variables"),
        .list("expose", .list, "Expose a port or a range of ports"),
        .value("gpus", .string, "GPU devices to add to the container ('all' to pass all GPUs)"),
        .list("group-add", .list, "Add additional groups to join"),
        .value("health-cmd", .string, "Command to run to check health"),
        .value("health-interval", .duration, "Time between running the check (ms|s|m|h) (default 0s)"),
        .value("health-retries", .int, "Consecutive failures needed to report unhealthy"),
        .value("health-start-interval", .duration, "Time between running the check during the start period (ms|s|m|h) (default 0s)"),
        .value("health-start-period", .duration, "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)"),
        .value("health-timeout", .duration, "Maximum time to allow one check to run (ms|s|m|h) (default 0s)"),
        .value("hostname", "h", .string, "Container host name"),
        .bool("help", "Print usage"),
        .bool("init", "Run an init inside the container that forwards signals and reaps processes"),
        .bool("interactive", "i", "Keep STDIN open even if not attached"),
        .value("io-maxbandwidth", .bytes, "Maximum IO bandwidth limit for the system drive (Windows only)"),
        .value("io-maxiops", .uint64, "Maximum IOps limit for the system drive (Windows only)"),
        .value("ip", .string, "IPv4 address (e.g., 172.30.100.104)"),
        .value("ip6", .string, "IPv6 address (e.g., 2001:db8::33)"),
        .value("ipc", .string, "IPC mode to use"),
        .value("isolation", .string, "Container isolation technology"),
        .value("kernel-memory", .bytes, "Kernel memory limit"),
        .list("label", "l", .label, "Set meta data on a container"),
        .list("label-file", .list, "Read in a line delimited file of labels"),
        .list("link", .link, "Add link to another container"),
        .list("link-local-ip", .list, "Container IPv4/IPv6 link-local addresses"),
        .value("log-driver", .string, "Logging driver for the container"),
        .list("log-opt", .list, "Log driver options"),
        .value("mac-address", .string, "Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
        .value("memory", "m", .bytes, "Memory limit"),
        .value("memory-reservation", .bytes, "Memory soft limit"),
        .value("memory-swap", .memSwap, "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"),
        .value("memory-swappiness", .int64, "Tune container memory swappiness (0 to 100)", default: "-1"),
        .list("mount", .mount, "Attach a filesystem mount to the container"),
        .value("name", .string, "Assign a name to the container"),
        .value("net", .string, "Connect a container to a network", hidden: true, aliasOf: "network"),
        .list("net-alias", .list, "Add network-scoped alias for the container", hidden: true, aliasOf: "network-alias"),
        .value("network", .string, "Connect a container to a network"),
        .list("network-alias", .list, "Add network-scoped alias for the container"),
        .bool("no-healthcheck", "Disable any container-specified HEALTHCHECK"),
        .bool("oom-kill-disable", "Disable OOM Killer"),
        .value("oom-score-adj", .int, "Tune host's OOM preferences (-1000 to 1000)"),
        .value("pid", .string, "PID namespace to use"),
        .value("pids-limit", .int64, "Tune container pids limit (set -1 for unlimited)"),
        .value("platform", .string, "Set platform if server is multi-platform capable"),
        .bool("privileged", "Give extended privileges to this container"),
        .list("publish", "p", .list, "Publish a container's port(s) to the host"),
        .bool("publish-all", "P", "Publish all exposed ports to random ports"),
        .value("pull", .string, "Pull image before running (\"always\", \"missing\", \"never\")", default: "\"missing\""),
        .bool("quiet", "q", "Suppress the pull output"),
        .bool("read-only", "Mount the container's root filesystem as read only"),
        .value("restart", .string, "Restart policy to apply when a container exits", default: "\"no\""),
        .bool("rm", "Automatically remove the container and its associated anonymous volumes when it exits"),
        .value("runtime", .string, "Runtime to use for this container"),
        .list("security-opt", .list, "Security Options"),
        .value("shm-size", .bytes, "Size of /dev/shm"),
        .value("stop-signal", .string, "Signal to stop the container"),
        .value("stop-timeout", .int, "Timeout (in seconds) to stop a container"),
        .list("storage-opt", .list, "Storage driver options for the container"),
        .list("sysctl", .map, "Sysctl options"),
        .list("tmpfs", .list, "Mount a tmpfs directory"),
        .bool("tty", "t", "Allocate a pseudo-TTY"),
        .list("ulimit", .ulimit, "Ulimit options"),
        .bool("use-api-socket", "Bind mount Docker API socket and required auth"),
        .value("user", "u", .string, "Username or UID (format: <name|uid>[:<group|gid>])"),
        .value("userns", .string, "User namespace to use"),
        .value("uts", .string, "UTS namespace to use"),
        .list("volume", "v", .list, "Bind mount a volume"),
        .value("volume-driver", .string, "Optional volume driver for the container"),
        .list("volumes-from", .list, "Mount volumes from the specified container(s)"),
        .value("workdir", "w", .string, "Working directory inside the container"),
    ]

    /// The parts of a create request that `run` also needs.
    struct Request {
        var body: JSON
        var name: String?
        var platform: String?
        var image: String
        var tty: Bool
        var openStdin: Bool
        var attachStdin: Bool
        var attachStdout: Bool
        var attachStderr: Bool
        var autoRemove: Bool
    }

    /// Builds the create request from `run`/`create` flags; errors are docker's wording.
    static func request(_ f: ParsedFlags, environment: [String: String], workingDirectory: String) throws(CLIError) -> Request {
        let image = f.args[0]
        let command = Array(f.args.dropFirst())
        let attach = Set(f.strings("attach").map { $0.lowercased() })
        let stdin = f.bool("interactive")
        let tty = f.bool("tty")
        let attachStdin = attach.contains("stdin") || stdin
        let attachStdout = attach.isEmpty || attach.contains("stdout")
        let attachStderr = attach.isEmpty || attach.contains("stderr")

        if let mac = f.string("mac-address"), !isMAC(mac) { throw CLIError("\(mac) is not a valid mac address") }
        let swappiness = f.int("memory-swappiness") ?? -1
        if swappiness != -1 && (swappiness < 0 || swappiness > 100) {
            throw CLIError("invalid value: \(swappiness). Valid memory swappiness range is 0-100")
        }

        // Volumes: anything with a source is a bind (or named volume), the rest anonymous.
        var binds: [JSON] = []
        var volumes = JSONObject()
        for v in f.strings("volume") {
            let parts = v.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if parts.count >= 2 {
                var source = parts[0]
                if source.hasPrefix(".") { source = normalize(workingDirectory + "/" + source) }
                binds.append(.string(([source] + parts.dropFirst()).joined(separator: ":")))
            } else if parts.count == 1, !parts[0].isEmpty {
                volumes[parts[0]] = .object(JSONObject())
            } else {
                throw CLIError("invalid spec: \(v): empty section between colons")
            }
        }
        var tmpfs = JSONObject()
        for t in f.strings("tmpfs") {
            let (k, v) = cut(t, ":")
            tmpfs[k] = .string(v ?? "")
        }

        // Ports.
        var exposed = JSONObject()
        var bindings = JSONObject()
        for spec in try standardPortNotation(f.strings("publish")) {
            for (port, binding) in try parsePortSpec(spec) {
                exposed[port] = .object(JSONObject())
                var list = bindings[port]?.array ?? []
                list.append(binding)
                bindings[port] = .array(list)
            }
        }
        for e in f.strings("expose") {
            if e.contains(":") { throw CLIError("invalid port format for --expose: \(e)") }
            let (proto, port) = splitProtoPort(e)
            guard let (start, end) = portRange(port) else {
                throw CLIError("invalid range format for --expose: \(e), error: invalid port")
            }
            for p in start...end where exposed["\(p)/\(proto)"] == nil { exposed["\(p)/\(proto)"] = .object(JSONObject()) }
        }

        // Environment and labels.
        var env: [String] = []
        for file in f.strings("env-file") { env += try readKeyValueFile(file, environment: environment) }
        for e in f.strings("env") {
            if e.contains("=") { env.append(e) } else if let v = environment[e] { env.append(e + "=" + v) } else { env.append(e) }
        }
        var labelStrings: [String] = []
        for file in f.strings("label-file") { labelStrings += try readKeyValueFile(file, environment: nil) }
        labelStrings += f.strings("label")
        var labels = JSONObject()
        for l in labelStrings {
            let (k, v) = cut(l, "=")
            labels[k] = .string(v ?? "")
        }

        let restart = try restartPolicy(f.string("restart") ?? "no")
        if f.bool("rm"), let name = restart["Name"]?.string, name != "no", name != "" {
            throw CLIError("conflicting options: cannot specify both --restart and --rm")
        }
        var logConfig = JSONObject()
        for o in f.strings("log-opt") {
            let (k, v) = cut(o, "=")
            logConfig[k] = .string(v ?? "")
        }
        if f.string("log-driver") == "none" && !logConfig.isEmpty { throw CLIError("invalid logging opts for driver none") }
        var securityOpts: [String] = []
        var maskedPaths: JSON = .null
        var readonlyPaths: JSON = .null
        for opt in f.strings("security-opt") {
            var (k, v) = cut(opt, "=")
            if v == nil && k != "no-new-privileges" { (k, v) = cut(opt, ":") }
            if (v ?? "").isEmpty && k != "no-new-privileges" { throw CLIError("Invalid --security-opt: \(goQuote(opt))") }
            if opt == "systempaths=unconfined" {
                maskedPaths = .array([])
                readonlyPaths = .array([])
                continue
            }
            if k == "seccomp", let path = v, path != "builtin", path != "unconfined" {
                let bytes: [UInt8]
                do { bytes = try FileSystem.read(path) } catch {
                    throw CLIError("opening seccomp profile (\(path)) failed: \(error)")
                }
                guard let profile = try? JSON.parse(bytes) else {
                    throw CLIError("compacting json for seccomp profile (\(path)) failed: invalid JSON")
                }
                securityOpts.append("seccomp=" + profile.compact)
                continue
            }
            securityOpts.append(opt)
        }
        var storageOpts = JSONObject()
        for o in f.strings("storage-opt") {
            let (k, v) = cut(o, "=")
            guard let v else { throw CLIError("invalid storage option") }
            storageOpts[k] = .string(v)
        }
        var sysctls = JSONObject()
        for s in f.strings("sysctl") {
            let (k, v) = cut(s, "=")
            sysctls[k] = .string(v ?? "")
        }
        var annotations = JSONObject()
        for a in f.strings("annotation") {
            let (k, v) = cut(a, "=")
            annotations[k] = .string(v ?? "")
        }
        var ulimits: [JSON] = []
        for u in f.strings("ulimit") { ulimits.append(try ulimit(u)) }

        // Healthcheck.
        var healthcheck: JSON = .null
        let durations = ["health-interval", "health-timeout", "health-start-period", "health-start-interval"].map {
            f.string($0).flatMap { try? GoDuration.parse($0) } ?? 0
        }
        let retries = f.int("health-retries") ?? 0
        let healthCmd = f.string("health-cmd") ?? ""
        let haveHealth = !healthCmd.isEmpty || durations.contains { $0 != 0 } || retries != 0
        if f.bool("no-healthcheck") {
            if haveHealth { throw CLIError("--no-healthcheck conflicts with --health-* options") }
            healthcheck = ["Test": ["NONE"]]
        } else if haveHealth {
            let names = ["--health-interval", "--health-timeout", "--health-start-period", "--health-start-interval"]
            for (d, name) in zip(durations, names) where d < 0 { throw CLIError("\(name) cannot be negative") }
            if retries < 0 { throw CLIError("--health-retries cannot be negative") }
            healthcheck = [
                "Test": healthCmd.isEmpty ? .null : ["CMD-SHELL", .string(healthCmd)],
                "Interval": .number(durations[0]), "Timeout": .number(durations[1]),
                "StartPeriod": .number(durations[2]), "StartInterval": .number(durations[3]),
                "Retries": .number(retries),
            ]
        }

        var entrypoint: JSON = .null
        if let e = f.string("entrypoint") { entrypoint = e.isEmpty ? [""] : [.string(e)] }
        func int64(_ name: String) -> JSON { .number(f.int(name) ?? 0) }
        func bytes(_ name: String) -> JSON {
            guard let v = f.string(name) else { return 0 }
            if v == "-1" { return -1 }
            return .number((try? Units.ramInBytes(v)) ?? 0)
        }
        func list(_ name: String) -> JSON { f.isSet(name) ? .array(f.strings(name).map { .string($0) }) : .null }
        func listOrEmpty(_ name: String) -> JSON { .array(f.strings(name).map { .string($0) }) }

        let network = f.string("network") ?? ""
        var devices: [JSON] = []
        for d in f.strings("device") { devices.append(try device(d)) }

        var hostConfig: JSONObject = [
            "Binds": binds.isEmpty ? .null : .array(binds),
            "ContainerIDFile": .string(f.string("cidfile") ?? ""),
            "LogConfig": ["Type": .string(f.string("log-driver") ?? ""), "Config": .object(logConfig)],
            "NetworkMode": .string(network),
            "PortBindings": .object(bindings),
            "RestartPolicy": .object(restart),
            "AutoRemove": .bool(f.bool("rm")),
            "VolumeDriver": .string(f.string("volume-driver") ?? ""),
            "VolumesFrom": list("volumes-from"),
            "ConsoleSize": [0, 0],
            "CapAdd": capabilities(f.strings("cap-add")),
            "CapDrop": capabilities(f.strings("cap-drop")),
            "CgroupnsMode": .string(f.string("cgroupns") ?? ""),
            "Dns": listOrEmpty("dns"),
            "DnsOptions": listOrEmpty("dns-option"),
            "DnsSearch": listOrEmpty("dns-search"),
            "ExtraHosts": list("add-host"),
            "GroupAdd": list("group-add"),
            "IpcMode": .string(f.string("ipc") ?? ""),
            "Cgroup": "",
            "Links": list("link"),
            "OomScoreAdj": .number(f.int("oom-score-adj") ?? 0),
            "PidMode": .string(f.string("pid") ?? ""),
            "Privileged": .bool(f.bool("privileged")),
            "PublishAllPorts": .bool(f.bool("publish-all")),
            "ReadonlyRootfs": .bool(f.bool("read-only")),
            "SecurityOpt": securityOpts.isEmpty ? .null : .array(securityOpts.map { .string($0) }),
            "StorageOpt": storageOpts.isEmpty ? .null : .object(storageOpts),
            "Tmpfs": tmpfs.isEmpty ? .null : .object(tmpfs),
            "UTSMode": .string(f.string("uts") ?? ""),
            "UsernsMode": .string(f.string("userns") ?? ""),
            "ShmSize": bytes("shm-size"),
            "Sysctls": sysctls.isEmpty ? .null : .object(sysctls),
            "Runtime": .string(f.string("runtime") ?? ""),
            "Isolation": .string(f.string("isolation") ?? ""),
            "CpuShares": int64("cpu-shares"),
            "Memory": bytes("memory"),
            "NanoCpus": .number(f.string("cpus").flatMap { try? Units.nanoCPUs($0) } ?? 0),
            "CgroupParent": .string(f.string("cgroup-parent") ?? ""),
            "BlkioWeight": int64("blkio-weight"),
            "BlkioWeightDevice": [], "BlkioDeviceReadBps": [], "BlkioDeviceWriteBps": [],
            "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [],
            "CpuPeriod": int64("cpu-period"),
            "CpuQuota": int64("cpu-quota"),
            "CpuRealtimePeriod": int64("cpu-rt-period"),
            "CpuRealtimeRuntime": int64("cpu-rt-runtime"),
            "CpusetCpus": .string(f.string("cpuset-cpus") ?? ""),
            "CpusetMems": .string(f.string("cpuset-mems") ?? ""),
            "Devices": .array(devices),
            "DeviceCgroupRules": list("device-cgroup-rule"),
            "DeviceRequests": .null,
            "MemoryReservation": bytes("memory-reservation"),
            "MemorySwap": bytes("memory-swap"),
            "MemorySwappiness": .number(swappiness),
            "OomKillDisable": .bool(f.bool("oom-kill-disable")),
            "PidsLimit": int64("pids-limit"),
            "Ulimits": .array(ulimits),
            "CpuCount": int64("cpu-count"), "CpuPercent": int64("cpu-percent"), "IOMaximumIOps": int64("io-maxiops"),
            "IOMaximumBandwidth": bytes("io-maxbandwidth"),
            "MaskedPaths": maskedPaths,
            "ReadonlyPaths": readonlyPaths,
        ]
        if !annotations.isEmpty { hostConfig["Annotations"] = .object(annotations) }
        var mounts: [JSON] = []
        for m in f.strings("mount") {
            do { mounts.append(try MountOption.parse(m, workingDirectory: workingDirectory)) } catch { throw CLIError(error.description) }
        }
        if !mounts.isEmpty { hostConfig["Mounts"] = .array(mounts) }
        if f.isSet("init") { hostConfig["Init"] = .bool(f.bool("init")) }
        if f.isSet("kernel-memory") { hostConfig["KernelMemory"] = bytes("kernel-memory") }

        var config: JSONObject = [
            "Hostname": .string(f.string("hostname") ?? ""),
            "Domainname": .string(f.string("domainname") ?? ""),
            "User": .string(f.string("user") ?? ""),
            "AttachStdin": .bool(attachStdin),
            "AttachStdout": .bool(attachStdout),
            "AttachStderr": .bool(attachStderr),
        ]
        if !exposed.isEmpty { config["ExposedPorts"] = .object(exposed) }
        config["Tty"] = .bool(tty)
        config["OpenStdin"] = .bool(stdin)
        config["StdinOnce"] = .bool(stdin && attachStdin)
        config["Env"] = .array(env.map { .string($0) })
        config["Cmd"] = command.isEmpty ? .null : .array(command.map { .string($0) })
        if !healthcheck.isNull { config["Healthcheck"] = healthcheck }
        config["Image"] = .string(image)
        config["Volumes"] = .object(volumes)
        config["WorkingDir"] = .string(f.string("workdir") ?? "")
        config["Entrypoint"] = entrypoint
        if let mac = f.string("mac-address") { config["MacAddress"] = .string(mac) }
        config["OnBuild"] = .null
        config["Labels"] = .object(labels)
        if let s = f.string("stop-signal") { config["StopSignal"] = .string(s) }
        if f.isSet("stop-timeout") { config["StopTimeout"] = .number(f.int("stop-timeout") ?? 0) }
        config["HostConfig"] = .object(hostConfig)
        config["NetworkingConfig"] = ["EndpointsConfig": .object(try endpoints(f, network: network))]

        return Request(
            body: .object(config), name: f.string("name"), platform: f.string("platform"), image: image, tty: tty,
            openStdin: stdin, attachStdin: attachStdin, attachStdout: attachStdout, attachStderr: attachStderr,
            autoRemove: f.bool("rm"))
    }

    /// The endpoint settings for `--network` with `--ip`, `--ip6`, `--network-alias`...
    private static func endpoints(_ f: ParsedFlags, network: String) throws(CLIError) -> JSONObject {
        let aliases = f.strings("network-alias")
        let ip = f.string("ip") ?? "", ip6 = f.string("ip6") ?? ""
        let linkLocal = f.strings("link-local-ip")
        let userDefined = !["", "default", "bridge", "host", "none"].contains(network) && !network.hasPrefix("container:")
        if !aliases.isEmpty && !userDefined {
            throw CLIError("network-scoped aliases are only supported for user-defined networks")
        }
        var endpoint = JSONObject()
        if !aliases.isEmpty { endpoint["Aliases"] = .array(aliases.map { .string($0) }) }
        if userDefined && f.isSet("link") { endpoint["Links"] = .array(f.strings("link").map { .string($0) }) }
        if !ip.isEmpty || !ip6.isEmpty || !linkLocal.isEmpty {
            endpoint["IPAMConfig"] = ["IPv4Address": .string(ip), "IPv6Address": .string(ip6), "LinkLocalIPs": .array(linkLocal.map { .string($0) })]
        }
        if let mac = f.string("mac-address") { endpoint["MacAddress"] = .string(mac) }
        guard !endpoint.isEmpty else { return JSONObject() }
        return [network.isEmpty ? "default" : network: .object(endpoint)]
    }

    /// The client's capability normalisation: upper case, "CAP_" prefixed (but ALL), unique,
    /// sorted; null when none.
    static func capabilities(_ names: [String]) -> JSON {
        guard !names.isEmpty else { return .null }
        let normalized = Set(names.map { name -> String in
            let upper = name.uppercased()
            return upper == "ALL" || upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        })
        return .array(normalized.sorted().map { .string($0) })
    }

    /// opts.ParseRestartPolicy.
    static func restartPolicy(_ text: String) throws(CLIError) -> JSONObject {
        if text.isEmpty { return ["Name": "", "MaximumRetryCount": 0] }
        let (name, count) = cut(text, ":")
        if count != nil && name.isEmpty { throw CLIError("invalid restart policy format: no policy provided before colon") }
        var retries = 0
        if let count, !count.isEmpty {
            guard let n = Int(count) else { throw CLIError("invalid restart policy format: maximum retry count must be an integer") }
            retries = n
        }
        return ["Name": .string(name), "MaximumRetryCount": .number(retries)]
    }

    /// A `--env-file`/`--label-file`: KEY=VALUE lines, comments, bare keys taken from the
    /// environment (env files only).
    static func readKeyValueFile(_ path: String, environment: [String: String]?) throws(CLIError) -> [String] {
        let bytes: [UInt8]
        do { bytes = try FileSystem.read(path) } catch {
            throw CLIError("open \(path): \(errnoText((error as? SystemError)?.errno ?? EIO))")
        }
        var out: [String] = []
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            while let c = line.first, c == " " || c == "\t" || c == "\u{0B}" || c == "\u{0C}" { line = line.dropFirst() }
            if line.isEmpty || line.first == "#" { continue }
            let (key, value) = cut(String(line), "=")
            if key.isEmpty { throw CLIError("invalid env file (\(path)): no variable name on line '\(line)'") }
            if key.contains(" ") || key.contains("\t") {
                throw CLIError("invalid env file (\(path)): variable '\(key)' contains whitespaces")
            }
            if value != nil {
                out.append(String(line))
            } else if let environment, let v = environment[key] {
                out.append(key + "=" + v)
            }
        }
        return out
    }

    /// `--publish` values with `name=value` parameters turned into docker's short notation.
    private static func standardPortNotation(_ specs: [String]) throws(CLIError) -> [String] {
        var out: [String] = []
        for spec in specs {
            guard spec.contains("=") else {
                out.append(spec)
                continue
            }
            var params = ["protocol": "tcp"]
            for p in spec.split(separator: ",", omittingEmptySubsequences: false) {
                let (k, v) = cut(String(p), "=")
                guard let v, !k.isEmpty else { throw CLIError("invalid publish opts format (should be name=value but got '\(p)')") }
                params[k] = v
            }
            out.append("\(params["published"] ?? ""):\(params["target"] ?? "")/\(params["protocol"]!)")
        }
        return out
    }

    /// nat.ParsePortSpec: "[ip:][hostPort:]containerPort[/proto]" with ranges.
    private static func parsePortSpec(_ raw: String) throws(CLIError) -> [(String, JSON)] {
        let parts = raw.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var ip = "", hostPort = ""
        let containerPart = parts.last!
        switch parts.count {
        case 1: break
        case 2: hostPort = parts[0]
        case 3: ip = parts[0]; hostPort = parts[1]
        default: ip = parts[0..<(parts.count - 2)].joined(separator: ":"); hostPort = parts[parts.count - 2]
        }
        let (proto, containerPort) = splitProtoPort(containerPart)
        if ip.hasPrefix("[") && ip.hasSuffix("]") { ip = String(ip.dropFirst().dropLast()) }
        if !ip.isEmpty && !isIP(ip) { throw CLIError("invalid IP address: \(ip)") }
        if containerPort.isEmpty { throw CLIError("no port specified: \(raw)<empty>") }
        guard let (start, end) = portRange(containerPort) else { throw CLIError("invalid containerPort: \(containerPort)") }
        var hostStart = 0, hostEnd = 0
        if !hostPort.isEmpty {
            guard let r = portRange(hostPort) else { throw CLIError("invalid hostPort: \(hostPort)") }
            (hostStart, hostEnd) = r
        }
        if !hostPort.isEmpty && end - start != hostEnd - hostStart && end != start {
            throw CLIError("invalid ranges specified for container and host Ports: \(containerPort) and \(hostPort)")
        }
        guard ["tcp", "udp", "sctp"].contains(proto.lowercased()) else { throw CLIError("invalid proto: \(proto)") }
        var out: [(String, JSON)] = []
        for i in 0...(end - start) {
            var hp = hostPort.isEmpty ? "" : String(hostStart + i)
            if start == end && hostStart != hostEnd { hp = "\(hostStart)-\(hostEnd)" }
            out.append(("\(start + i)/\(proto.lowercased())", ["HostIp": .string(ip), "HostPort": .string(hp)]))
        }
        return out
    }

    private static func splitProtoPort(_ raw: String) -> (String, String) {
        let parts = raw.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if raw.isEmpty || parts[0].isEmpty { return ("", "") }
        if parts.count == 1 || parts[1].isEmpty { return ("tcp", parts[0]) }
        return (parts[1], parts[0])
    }

    private static func portRange(_ text: String) -> (Int, Int)? {
        let (a, b) = cut(text, "-")
        guard let start = Int(a), start >= 0, start <= 65535 else { return nil }
        guard let b else { return (start, start) }
        guard let end = Int(b), end >= start, end <= 65535 else { return nil }
        return (start, end)
    }

    /// "nofile=1024:2048" → {"Name": "nofile", "Soft": 1024, "Hard": 2048}.
    private static func ulimit(_ text: String) throws(CLIError) -> JSON {
        let (name, limits) = cut(text, "=")
        guard let limits else { throw CLIError("invalid ulimit argument: \(text)") }
        let (soft, hard) = cut(limits, ":")
        guard let s = Int(soft) else { throw CLIError("invalid ulimit soft value: \(soft)") }
        let h = hard.flatMap { Int($0) } ?? s
        if hard != nil && Int(hard!) == nil { throw CLIError("invalid ulimit hard value: \(hard!)") }
        if s > h { throw CLIError("ulimit soft limit must be less than or equal to hard limit: \(s) > \(h)") }
        return ["Name": .string(name), "Hard": .number(h), "Soft": .number(s)]
    }

    /// "/dev/sda:/dev/xvda:rwm" → a DeviceMapping.
    private static func device(_ text: String) throws(CLIError) -> JSON {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard !parts[0].isEmpty, parts.count <= 3 else { throw CLIError("bad format for path: \(text)") }
        var dst = parts[0], perms = "rwm"
        if parts.count >= 2 {
            if parts.count == 3 || !parts[1].allSatisfy({ "rwm".contains($0) }) || parts[1].isEmpty { dst = parts[1] } else { perms = parts[1] }
        }
        if parts.count == 3 { perms = parts[2] }
        if !dst.hasPrefix("/") { throw CLIError("\(dst) is not an absolute path") }
        return ["PathOnHost": .string(parts[0]), "PathInContainer": .string(dst), "CgroupPermissions": .string(perms)]
    }

    private static func isMAC(_ s: String) -> Bool {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 && parts.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
    }

    private static func isIP(_ s: String) -> Bool {
        var buf = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, s, &buf) == 1 || inet_pton(AF_INET6, s, &buf) == 1
    }

    /// A path with "." and ".." resolved lexically.
    static func normalize(_ path: String) -> String {
        var out: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = out.popLast(); continue }
            out.append(part)
        }
        return "/" + out.joined(separator: "/")
    }
}

/// strings.Cut: the text before and (if found) after the first `separator`.
func cut(_ s: String, _ separator: Character) -> (String, String?) {
    guard let i = s.firstIndex(of: separator) else { return (s, nil) }
    return (String(s[..<i]), String(s[s.index(after: i)...]))
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }
}
