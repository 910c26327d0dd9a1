import FoundationEssentials
import SkiffOCI

/// `docker import --change` / `docker commit --change`: Dockerfile
/// instructions that only touch the image config (CMD, ENTRYPOINT, ENV,
/// EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR).
public enum ImageChanges {
    /// Applies `changes` (one instruction each) to `config`.
    public static func apply(_ changes: [String], to config: inout ImageConfig.Config) throws(ImageError) {
        for change in changes {
            let trimmed = change.trimmingSpaces()
            guard !trimmed.isEmpty else { continue }
            let (keyword, rest) = split(trimmed)
            switch keyword.uppercased() {
            case "CMD":
                config.cmd = try commandForm(rest)
            case "ENTRYPOINT":
                config.entrypoint = try commandForm(rest)
            case "ENV":
                for (k, v) in try pairs(rest, instruction: "ENV") {
                    var env = (config.env ?? []).filter { !$0.hasPrefix(k + "=") }
                    env.append("\(k)=\(v)")
                    config.env = env
                }
            case "LABEL":
                for (k, v) in try pairs(rest, instruction: "LABEL") { config.labels = (config.labels ?? [:]).merging([k: v]) { $1 } }
            case "EXPOSE":
                for port in rest.split(separator: " ") where !port.isEmpty {
                    let spec = port.contains("/") ? String(port) : "\(port)/tcp"
                    config.exposedPorts = (config.exposedPorts ?? [:]).merging([spec: EmptyObject()]) { $1 }
                }
            case "VOLUME":
                let paths = rest.hasPrefix("[") ? try jsonArray(rest) : rest.split(separator: " ").map(String.init)
                for path in paths { config.volumes = (config.volumes ?? [:]).merging([path: EmptyObject()]) { $1 } }
            case "USER":
                config.user = rest
            case "WORKDIR":
                config.workingDir = rest
            case "STOPSIGNAL":
                config.stopSignal = rest
            case "ONBUILD":
                config.onBuild = (config.onBuild ?? []) + [rest]
            case "HEALTHCHECK":
                config.healthcheck = try healthcheck(rest)
            default:
                // The Dockerfile parser lowercases the instruction dockerd names.
                throw ImageError(.invalid, "\(keyword.lowercased()) is not a valid change command")
            }
        }
    }

    /// `HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D] [--start-interval=D]
    /// [--retries=N] CMD command` (shell or JSON form), or `HEALTHCHECK NONE`.
    static func healthcheck(_ rest: String) throws(ImageError) -> ImageConfig.Healthcheck {
        var flags: [String: String] = [:]
        var remaining = rest
        while remaining.hasPrefix("--") {
            let (word, after) = split(remaining)
            let body = word.dropFirst(2)
            let eq = body.firstIndex(of: "=")
            let name = String(body[..<(eq ?? body.endIndex)])
            guard ["interval", "timeout", "start-period", "start-interval", "retries"].contains(name) else {
                throw ImageError(.invalid, "Unknown flag: \(name)")
            }
            guard let eq else { throw ImageError(.invalid, "Missing a value on flag: \(name)") }
            flags[name] = String(body[body.index(after: eq)...])
            remaining = after
        }
        guard !remaining.isEmpty else { throw ImageError(.invalid, "HEALTHCHECK requires at least one argument") }
        let (kind, command) = split(remaining)
        switch kind.uppercased() {
        case "NONE":
            guard command.isEmpty else { throw ImageError(.invalid, "HEALTHCHECK NONE takes no arguments") }
            return ImageConfig.Healthcheck(test: ["NONE"])
        case "CMD":
            guard !command.isEmpty else { throw ImageError(.invalid, "Missing command after HEALTHCHECK CMD") }
            var check = ImageConfig.Healthcheck()
            if command.hasPrefix("["), let array = try? jsonArray(command) {
                check.test = ["CMD"] + array
            } else {
                check.test = ["CMD-SHELL", command]
            }
            func interval(_ name: String) throws(ImageError) -> Int64? {
                guard let text = flags[name], !text.isEmpty else { return nil }
                let nanoseconds = try goDuration(text)
                guard nanoseconds >= 1_000_000 else { throw ImageError(.invalid, "Interval \"\(name)\" cannot be less than 1ms") }
                return nanoseconds
            }
            check.interval = try interval("interval")
            check.timeout = try interval("timeout")
            check.startPeriod = try interval("start-period")
            check.startInterval = try interval("start-interval")
            if let text = flags["retries"], !text.isEmpty {
                guard let retries = Int32(text) else {
                    throw ImageError(.invalid, "strconv.ParseInt: parsing \"\(text)\": invalid syntax")
                }
                guard retries >= 0 else { throw ImageError(.invalid, "--retries cannot be negative (\(retries))") }
                check.retries = Int(retries)
            }
            return check
        default:
            throw ImageError(.invalid, "Unknown type \"\(kind.uppercased())\" in HEALTHCHECK (try CMD)")
        }
    }

    /// Go's time.ParseDuration, in nanoseconds: `1h30m`, `1.5s`, `300ms`, `0`.
    static func goDuration(_ text: String) throws(ImageError) -> Int64 {
        let invalid = ImageError(.invalid, "time: invalid duration \"\(text)\"")
        var chars = Substring(text)
        var negative = false
        if let sign = chars.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            chars = chars.dropFirst()
        }
        if chars == "0" { return 0 }
        guard !chars.isEmpty else { throw invalid }
        let units: [String: Double] = ["ns": 1, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9]
        var total = 0.0
        while !chars.isEmpty {
            let number = chars.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number) else { throw invalid }
            chars = chars.dropFirst(number.count)
            let unit = chars.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard !unit.isEmpty else { throw ImageError(.invalid, "time: missing unit in duration \"\(text)\"") }
            guard let scale = units[String(unit)] else {
                throw ImageError(.invalid, "time: unknown unit \"\(unit)\" in duration \"\(text)\"")
            }
            chars = chars.dropFirst(unit.count)
            total += value * scale
        }
        guard total < 9.2e18 else { throw invalid }
        return Int64(negative ? -total : total)
    }

    static func split(_ s: String) -> (String, String) {
        guard let space = s.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (s, "") }
        return (String(s[..<space]), String(s[space...]).trimmingSpaces())
    }

    /// JSON form (`["a","b"]`) as is; shell form wrapped in `/bin/sh -c`.
    static func commandForm(_ rest: String) throws(ImageError) -> [String] {
        if rest.hasPrefix("["), let array = try? jsonArray(rest) { return array }
        return ["/bin/sh", "-c", rest]
    }

    static func jsonArray(_ text: String) throws(ImageError) -> [String] {
        do {
            return try JSONDecoder().decode([String].self, from: Data(text.utf8))
        } catch {
            throw ImageError(.invalid, "not a JSON array of strings: \(text)")
        }
    }

    /// `K=V K2="V 2"` or the legacy `K V`.
    static func pairs(_ rest: String, instruction: String) throws(ImageError) -> [(String, String)] {
        guard rest.contains("=") else {
            let (k, v) = split(rest)
            guard !k.isEmpty else { throw ImageError(.invalid, "\(instruction) needs a name") }
            return [(k, v)]
        }
        var out: [(String, String)] = []
        var words: [String] = []
        var current = ""
        var quote: Character?
        var escaped = false
        for c in rest {
            if escaped {
                current.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == " " || c == "\t" {
                if !current.isEmpty { words.append(current); current = "" }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { words.append(current) }
        for word in words {
            guard let eq = word.firstIndex(of: "="), eq != word.startIndex else {
                throw ImageError(.invalid, "\(instruction) \(word): expected NAME=VALUE")
            }
            out.append((String(word[..<eq]), String(word[word.index(after: eq)...])))
        }
        return out
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
