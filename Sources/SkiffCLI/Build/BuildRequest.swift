import Glibc

/// The query of `POST /build` as the docker CLI's legacy builder client makes it from
/// `docker build`'s flags (`imageBuildOptions` and the client's `imageBuildOptionsToQuery`):
/// only what differs from the daemon's defaults is sent, maps and lists as JSON (keys
/// sorted, HTML escaped, as Go's json.Marshal writes them), and always `version=1`.
struct BuildRequest {
    var tags: [String] = []
    /// The Dockerfile's path inside the context (`dockerfile=`); empty for the default.
    var dockerfile = ""
    /// `--build-arg`: a nil value names an argument that has none (`KEY` alone, unset).
    var buildArgs: [String: String?] = [:]
    var labels: [String: String] = [:]
    var target = ""
    var networkMode = "default"
    var platform = ""
    var quiet = false
    var noCache = false
    var remove = true
    var forceRemove = false
    var pull = false
    var squash = false
    var cacheFrom: [String] = []
    var securityOptions: [String] = []
    var extraHosts: [String] = []
    var isolation = ""
    var cpuSetCPUs = ""
    var cpuSetMems = ""
    var cgroupParent = ""
    var cpuShares: Int64 = 0
    var cpuQuota: Int64 = 0
    var cpuPeriod: Int64 = 0
    var memory: Int64 = 0
    var memorySwap: Int64 = 0
    var shmSize: Int64 = 0
    var ulimits: [BuildFlagValues.Ulimit] = []

    init() {}

    /// The request `docker build`'s flags make; values were checked while parsing.
    /// `environment` gives `--build-arg KEY` its value (opts.ValidateEnv).
    init(flags: ParsedFlags, environment: [String: String]) throws(CLIError) {
        tags = flags.strings("tag")
        for arg in flags.strings("build-arg") {
            let (key, value) = cut(arg, "=")
            let resolved: String? = value ?? environment[key]
            buildArgs.updateValue(resolved, forKey: key)  // a nil value is kept: the daemon warns it is unused
        }
        for label in flags.strings("label") {
            let (key, value) = cut(label, "=")
            labels[key] = value ?? ""
        }
        target = flags.string("target") ?? ""
        networkMode = flags.string("network") ?? "default"
        platform = flags.string("platform") ?? environment["DOCKER_DEFAULT_PLATFORM"] ?? ""
        quiet = flags.bool("quiet")
        noCache = flags.bool("no-cache")
        remove = flags.isSet("rm") ? flags.bool("rm") : true
        forceRemove = flags.bool("force-rm")
        pull = flags.bool("pull")
        squash = flags.bool("squash")
        cacheFrom = flags.slice("cache-from")
        securityOptions = flags.slice("security-opt")
        for host in flags.strings("add-host") { extraHosts.append(try BuildFlagValues.extraHost(host)) }
        isolation = flags.string("isolation") ?? ""
        cpuSetCPUs = flags.string("cpuset-cpus") ?? ""
        cpuSetMems = flags.string("cpuset-mems") ?? ""
        cgroupParent = flags.string("cgroup-parent") ?? ""
        cpuShares = Int64(flags.int("cpu-shares") ?? 0)
        cpuQuota = Int64(flags.int("cpu-quota") ?? 0)
        cpuPeriod = Int64(flags.int("cpu-period") ?? 0)
        memory = try bytes(flags, "memory")
        if let swap = flags.string("memory-swap") { memorySwap = swap == "-1" ? -1 : try bytes(flags, "memory-swap") }
        shmSize = try bytes(flags, "shm-size")
        // opts.UlimitOpt keeps one limit per name, the last given (in Go's map order; here
        // where the name first came).
        for text in flags.strings("ulimit") {
            let limit = try BuildFlagValues.ulimit(text)
            if let index = ulimits.firstIndex(where: { $0.name == limit.name }) { ulimits[index] = limit } else { ulimits.append(limit) }
        }
    }

    private func bytes(_ flags: ParsedFlags, _ name: String) throws(CLIError) -> Int64 {
        guard let text = flags.string(name) else { return 0 }
        do { return try Units.ramInBytes(text) } catch { throw CLIError(error.description) }
    }

    /// The query parameters, as the docker client sets them.
    var query: Query {
        var q = Query()
        for tag in tags { q.add("t", tag) }
        for option in securityOptions { q.add("securityopt", option) }
        for host in extraHosts { q.add("extrahosts", host) }
        q.flag("q", quiet)
        q.flag("nocache", noCache)
        if !remove { q.add("rm", "0") }
        q.flag("forcerm", forceRemove)
        q.flag("pull", pull)
        q.flag("squash", squash)
        if !isolation.isEmpty, isolation.lowercased() != "default" { q.add("isolation", isolation) }
        if !cpuSetCPUs.isEmpty { q.add("cpusetcpus", cpuSetCPUs) }
        if !networkMode.isEmpty, networkMode != "default" { q.add("networkmode", networkMode) }
        if !cpuSetMems.isEmpty { q.add("cpusetmems", cpuSetMems) }
        for (key, value) in [("cpushares", cpuShares), ("cpuquota", cpuQuota), ("cpuperiod", cpuPeriod),
                             ("memory", memory), ("memswap", memorySwap)] where value != 0 {
            q.add(key, String(value))
        }
        if !cgroupParent.isEmpty { q.add("cgroupparent", cgroupParent) }
        if shmSize != 0 { q.add("shmsize", String(shmSize)) }
        if !dockerfile.isEmpty { q.add("dockerfile", dockerfile) }
        if !target.isEmpty { q.add("target", target) }
        if !ulimits.isEmpty { q.add("ulimits", JSON.array(ulimits.map(\.json)).compactEscapingHTML) }
        if !buildArgs.isEmpty {
            let members = buildArgs.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value.map(JSON.string) ?? .null) }
            q.add("buildargs", JSON.object(JSONObject(members)).compactEscapingHTML)
        }
        if !labels.isEmpty {
            let members = labels.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSON.string($0.value)) }
            q.add("labels", JSON.object(JSONObject(members)).compactEscapingHTML)
        }
        if !cacheFrom.isEmpty { q.add("cachefrom", JSON.array(cacheFrom.map(JSON.string)).compactEscapingHTML) }
        if !platform.isEmpty { q.add("platform", platform.lowercased()) }
        q.add("version", "1")
        return q
    }
}

/// The checks `docker build` runs on flag values while parsing them, with its messages.
enum BuildFlagValues {
    /// One `--ulimit` (go-units' Ulimit).
    struct Ulimit: Equatable {
        let name: String
        let soft: Int64
        let hard: Int64

        var json: JSON { ["Name": .string(name), "Hard": .number(hard), "Soft": .number(soft)] }
    }

    /// The resource names go-units knows.
    static let ulimitNames: Set<String> = [
        "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio",
        "rttime", "sigpending", "stack",
    ]

    /// Why `value` is not a name `-t` accepts (reference.ParseNormalizedNamed), or nil.
    static func tagProblem(_ value: String) -> String? {
        let name: ImageName
        do { name = try ImageName.parse(value) } catch { return error.message }
        guard let digest = name.digest else { return nil }
        return digestProblem(digest)
    }

    /// A reference's digest checked as the reference package checks it (its pattern, then
    /// go-digest's Validate).
    static func digestProblem(_ digest: String) -> String? {
        let (algorithm, hex) = cut(digest, ":")
        let isAlnum: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber) }
        let parts = algorithm.split(omittingEmptySubsequences: false) { "-_+.".contains($0) }
        let algorithmOK = parts.allSatisfy { part in
            guard let first = part.first, first.isASCII, first.isLetter else { return false }
            return part.allSatisfy(isAlnum)
        }
        guard algorithmOK, let hex, hex.count >= 32, hex.allSatisfy(\.isHexDigit) else { return "invalid reference format" }
        let lengths = ["sha256": 64, "sha384": 96, "sha512": 128]
        guard let length = lengths[algorithm] else { return "unsupported digest algorithm" }
        if hex.count != length { return "invalid checksum digest length" }
        if hex.contains(where: \.isUppercase) { return "invalid checksum digest format" }
        return nil
    }

    /// opts.ValidateExtraHost: `host:ip` or `host=ip` (ip may be in brackets, or
    /// `host-gateway`), returned as `host:ip` (what the daemon takes).
    static func extraHost(_ value: String) throws(CLIError) -> String {
        var (host, address) = cut(value, "=")
        if address == nil { (host, address) = cut(value, ":") }
        guard var ip = address, !host.isEmpty, !host.contains(":") else {
            throw CLIError("bad format for add-host: \(goQuote(value))")
        }
        if ip != "host-gateway" {
            if ip.count > 2, ip.first == "[", ip.last == "]" { ip = String(ip.dropFirst().dropLast()) }
            guard isIP(ip.trimmingSpaces) else { throw CLIError("invalid IP address in add-host: \(goQuote(ip))") }
        }
        return host + ":" + ip
    }

    /// go-units' ParseUlimit: `name=soft[:hard]`.
    static func ulimit(_ value: String) throws(CLIError) -> Ulimit {
        let (name, rest) = cut(value, "=")
        guard let limits = rest else { throw CLIError("invalid ulimit argument: \(value)") }
        guard ulimitNames.contains(name) else { throw CLIError("invalid ulimit type: \(name)") }
        let values = limits.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard values.count <= 2 else {
            throw CLIError("too many limit value arguments - \(limits), can only have up to two, `soft[:hard]`")
        }
        let hard = values.count == 2 ? try parseInt(values[1]) : nil
        let soft = try parseInt(values[0])
        let effectiveHard = hard ?? soft
        if effectiveHard != -1 && soft > effectiveHard {
            throw CLIError("ulimit soft limit must be less than or equal to hard limit: \(soft) > \(effectiveHard)")
        }
        return Ulimit(name: name, soft: soft, hard: effectiveHard)
    }

    /// strconv.ParseInt(text, 10, 64), failing with its message.
    static func parseInt(_ text: String) throws(CLIError) -> Int64 {
        if let value = Int64(text) { return value }
        var digits = Substring(text)
        if digits.first == "+" || digits.first == "-" { digits = digits.dropFirst() }
        let reason = !digits.isEmpty && digits.allSatisfy(\.isASCIIDigit) ? "value out of range" : "invalid syntax"
        throw CLIError("strconv.ParseInt: parsing \(goQuote(text)): \(reason)")
    }

    private static func isIP(_ text: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }
}
