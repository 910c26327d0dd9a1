// Typing an instruction's arguments and flags, with BuildKit's checks and
// messages, in BuildKit's order (instructions/parse.go).

extension Instruction {
    static let keywords = [
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER",
        "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    ]

    /// The typed instruction; errors carry no lines (the caller adds them).
    init(_ raw: RawInstruction) throws(DockerfileError) {
        let arguments = raw.arguments
        let kind: Kind
        switch raw.keyword.lowercased() {
        case "env":
            _ = try BuildFlags(raw.flags)
            kind = .env(try Self.keyValues(arguments, "ENV"))
        case "maintainer":
            try Self.requireOne(arguments, "MAINTAINER")
            _ = try BuildFlags(raw.flags)
            kind = .maintainer(arguments[0])
        case "label":
            _ = try BuildFlags(raw.flags)
            kind = .label(try Self.keyValues(arguments, "LABEL"))
        case "add":
            guard arguments.count >= 2 else { throw Self.noDestination("ADD") }
            let flags = try BuildFlags(raw.flags, accepting: [
                "chown": .string, "chmod": .string, "link": .bool, "keep-git-dir": .bool, "checksum": .string,
                "unpack": .bool, "exclude": .strings,
            ])
            let (sources, destination) = try Self.sourcesAndDestination(arguments, raw.heredocs, "ADD")
            kind = .add(Add(
                sources: sources, destination: destination, chown: flags.string("chown"), chmod: flags.string("chmod"),
                link: flags.bool("link"), keepGitDir: flags.optionalBool("keep-git-dir"), checksum: flags.string("checksum"),
                unpack: flags.optionalBool("unpack"), excludes: flags.strings("exclude")))
        case "copy":
            guard arguments.count >= 2 else { throw Self.noDestination("COPY") }
            let flags = try BuildFlags(raw.flags, accepting: [
                "chown": .string, "from": .string, "chmod": .string, "link": .bool, "exclude": .strings, "parents": .bool,
            ])
            let (sources, destination) = try Self.sourcesAndDestination(arguments, raw.heredocs, "COPY")
            kind = .copy(Copy(
                sources: sources, destination: destination, from: flags.string("from"), chown: flags.string("chown"),
                chmod: flags.string("chmod"), link: flags.bool("link"), parents: flags.bool("parents"),
                excludes: flags.strings("exclude")))
        case "from":
            let name = try Self.stageName(arguments)
            let flags = try BuildFlags(raw.flags, accepting: ["platform": .string])
            kind = .from(From(base: arguments[0], name: name, platform: flags.string("platform")))
        case "onbuild":
            guard let trigger = arguments.first else { throw Self.atLeastOne("ONBUILD") }
            _ = try BuildFlags(raw.flags)
            switch String(scalars: trigger.unicodeScalars.trimmingGoSpace()).uppercased() {
            case "ONBUILD":
                throw DockerfileError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", lines: nil)
            case let keyword where keyword == "MAINTAINER" || keyword == "FROM":
                throw DockerfileError("\(keyword) isn't allowed as an ONBUILD trigger", lines: nil)
            default:
                break
            }
            var expression = Self.droppingOnbuildKeyword(raw.original)
            for heredoc in raw.heredocs {
                expression += "\n" + heredoc.content + heredoc.name
            }
            kind = .onbuild(expression)
        case "workdir":
            try Self.requireOne(arguments, "WORKDIR")
            _ = try BuildFlags(raw.flags)
            kind = .workdir(arguments[0])
        case "run":
            let flags = try BuildFlags(raw.flags, accepting: [
                "device": .strings, "mount": .strings, "network": .string, "security": .string,
            ])
            let devices = try flags.strings("device").map { spec throws(DockerfileError) in try RunDevice.parse(spec) }
            for spec in flags.strings("mount") { _ = try RunMount.parse(spec, expand: nil) }
            let networkValue = flags.used.contains("network") ? flags.rawString("network") : "default"
            guard let network = Run.NetworkMode(rawValue: networkValue) else {
                throw DockerfileError("invalid network mode \(GoText.quote(networkValue))", lines: nil)
            }
            let securityValue = flags.used.contains("security") ? flags.rawString("security") : "sandbox"
            guard let security = Run.SecurityMode(rawValue: securityValue) else {
                throw DockerfileError("security \(GoText.quote(securityValue)) is not valid", lines: nil)
            }
            kind = .run(Run(command: Self.commandForm(arguments, json: raw.isJSON), mounts: flags.strings("mount"),
                            network: network, security: security, devices: devices))
        case "cmd":
            _ = try BuildFlags(raw.flags)
            kind = .cmd(Self.commandForm(arguments, json: raw.isJSON))
        case "entrypoint":
            _ = try BuildFlags(raw.flags)
            kind = .entrypoint(Self.commandForm(arguments, json: raw.isJSON))
        case "healthcheck":
            kind = .healthcheck(try Self.healthcheck(raw))
        case "expose":
            guard !arguments.isEmpty else { throw Self.atLeastOne("EXPOSE") }
            _ = try BuildFlags(raw.flags)
            kind = .expose(arguments.sorted(by: Self.goLess))
        case "user":
            try Self.requireOne(arguments, "USER")
            _ = try BuildFlags(raw.flags)
            kind = .user(arguments[0])
        case "volume":
            guard !arguments.isEmpty else { throw Self.atLeastOne("VOLUME") }
            _ = try BuildFlags(raw.flags)
            var volumes: [String] = []
            for volume in arguments {
                let trimmed = String(scalars: volume.unicodeScalars.trimmingGoSpace())
                if trimmed.isEmpty { throw DockerfileError("VOLUME specified can not be an empty string", lines: nil) }
                volumes.append(trimmed)
            }
            kind = .volume(volumes)
        case "stopsignal":
            try Self.requireOne(arguments, "STOPSIGNAL")
            kind = .stopSignal(arguments[0])
        case "arg":
            guard !arguments.isEmpty else { throw Self.atLeastOne("ARG") }
            var definitions: [ArgDefinition] = []
            for argument in arguments {
                guard let equals = argument.firstIndex(of: "=") else {
                    definitions.append(ArgDefinition(argument))
                    continue
                }
                if equals == argument.startIndex { throw Self.blankNames("ARG") }
                definitions.append(ArgDefinition(String(argument[..<equals]), String(argument[argument.index(after: equals)...])))
            }
            kind = .arg(definitions)
        case "shell":
            _ = try BuildFlags(raw.flags)
            if arguments.isEmpty { throw Self.atLeastOne("SHELL") }
            guard raw.isJSON else { throw DockerfileError("SHELL requires the arguments to be in JSON form", lines: nil) }
            kind = .shell(arguments)
        default:
            throw DockerfileError(
                Suggestion.wrap("unknown instruction: \(raw.keyword)", value: raw.keyword, options: Self.keywords, caseSensitive: false),
                lines: nil)
        }
        self.init(keyword: raw.keyword, original: String(scalars: raw.original.unicodeScalars.trimmingGoSpace()),
                  lines: raw.lines, heredocs: raw.heredocs, kind: kind)
    }

    // MARK: Helpers

    static func atLeastOne(_ keyword: String) -> DockerfileError {
        DockerfileError("\(keyword) requires at least one argument", lines: nil)
    }

    static func requireOne(_ arguments: [String], _ keyword: String) throws(DockerfileError) {
        if arguments.count != 1 { throw DockerfileError("\(keyword) requires exactly one argument", lines: nil) }
    }

    static func noDestination(_ keyword: String) -> DockerfileError {
        DockerfileError("\(keyword) requires at least two arguments, but only one was provided. Destination could not be determined", lines: nil)
    }

    static func blankNames(_ keyword: String) -> DockerfileError {
        DockerfileError("\(keyword) names can not be blank", lines: nil)
    }

    /// Go's byte-wise string order (`slices.Sort`).
    static func goLess(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// `handleJSONArgs`: the exec form as is, the shell form joined into one string.
    static func commandForm(_ arguments: [String], json: Bool) -> CommandForm {
        json ? .exec(arguments) : .shell(arguments.joined(separator: " "))
    }

    /// ENV and LABEL (key, value, delimiter) triples.
    static func keyValues(_ arguments: [String], _ keyword: String) throws(DockerfileError) -> [KeyValue] {
        if arguments.isEmpty { throw atLeastOne(keyword) }
        if arguments.count % 3 != 0 { throw DockerfileError("Bad input to \(keyword), too many arguments", lines: nil) }
        var pairs: [KeyValue] = []
        for start in stride(from: 0, to: arguments.count, by: 3) {
            if arguments[start].isEmpty { throw blankNames(keyword) }
            pairs.append(KeyValue(arguments[start], arguments[start + 1]))
        }
        return pairs
    }

    /// `parseSourcesAndDest`: heredoc words among the sources take their body from the
    /// heredoc of the same name (tabs stripped for `<<-`); the destination may not be one.
    static func sourcesAndDestination(_ arguments: [String], _ heredocs: [Heredoc], _ keyword: String) throws(DockerfileError) -> ([CopySource], String) {
        let destination = arguments[arguments.count - 1]
        if (try? Heredoc.parse(destination)) != nil {
            throw DockerfileError("\(keyword) cannot accept a heredoc as a destination", lines: nil)
        }
        var bodies: [String: String] = [:]
        for heredoc in heredocs { bodies[heredoc.name] = heredoc.content }
        let sources = arguments.dropLast().map { source -> CopySource in
            guard let heredoc = (try? Heredoc.parse(source)) ?? nil else { return .path(source) }
            let content = bodies[heredoc.name] ?? ""
            return .inline(InlineFile(name: heredoc.name, data: heredoc.chomp ? Heredoc.stripLeadingTabs(content) : content,
                                      expand: heredoc.expand))
        }
        return (sources, destination)
    }

    /// `FROM base` or `FROM base AS name`: the lowercased name, checked.
    static func stageName(_ arguments: [String]) throws(DockerfileError) -> String? {
        if arguments.count == 3 && arguments[1].lowercased() == "as" {
            let name = arguments[2].lowercased()
            guard isValidStageName(name) else {
                throw DockerfileError(
                    "invalid name for build stage: \(GoText.quote(arguments[2])), name can't start with a number or contain symbols",
                    lines: nil)
            }
            return name
        }
        if arguments.count != 1 { throw DockerfileError("FROM requires either one or three arguments", lines: nil) }
        return nil
    }

    /// `^[a-z][a-z0-9-_.]*$`
    static func isValidStageName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (0x61...0x7A).contains(first) else { return false }
        return name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
    }

    /// The line without `(?i)^\s*ONBUILD\s*`.
    static func droppingOnbuildKeyword(_ line: String) -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\u{0C}" || scalar == "\r"
        }
        var rest = line.unicodeScalars[...].drop(while: isSpace)
        guard rest.count >= 7, String(String.UnicodeScalarView(rest.prefix(7))).lowercased() == "onbuild" else { return line }
        rest = rest.dropFirst(7).drop(while: isSpace)
        return String(String.UnicodeScalarView(rest))
    }

    static func healthcheck(_ raw: RawInstruction) throws(DockerfileError) -> Healthcheck {
        guard let first = raw.arguments.first else { throw atLeastOne("HEALTHCHECK") }
        let type = first.uppercased()
        let arguments = Array(raw.arguments.dropFirst())
        if type == "NONE" {
            if !arguments.isEmpty { throw DockerfileError("HEALTHCHECK NONE takes no arguments", lines: nil) }
            return Healthcheck(test: [type])
        }
        let flags = try BuildFlags(raw.flags, accepting: [
            "interval": .string, "timeout": .string, "start-period": .string, "start-interval": .string, "retries": .string,
        ])
        guard type == "CMD" else {
            throw DockerfileError("Unknown type \(GoText.quote(type)) in HEALTHCHECK (try CMD)", lines: nil)
        }
        if arguments.isEmpty { throw DockerfileError("Missing command after HEALTHCHECK CMD", lines: nil) }
        var healthcheck = Healthcheck(
            test: raw.isJSON ? ["CMD"] + arguments : ["CMD-SHELL", arguments.joined(separator: " ")])
        healthcheck.interval = try interval(flags, "interval")
        healthcheck.timeout = try interval(flags, "timeout")
        healthcheck.startPeriod = try interval(flags, "start-period")
        healthcheck.startInterval = try interval(flags, "start-interval")
        let retries = flags.rawString("retries")
        if !retries.isEmpty {
            switch GoNumbers.parseInt32(retries) {
            case .failure(let error): throw DockerfileError(error.message, lines: nil)
            case .success(let count) where count < 0:
                throw DockerfileError("--retries cannot be negative (\(count))", lines: nil)
            case .success(let count): healthcheck.retries = count
            }
        }
        return healthcheck
    }

    /// `parseOptInterval`: a Go duration, 0 when absent, at least 1ms otherwise.
    static func interval(_ flags: BuildFlags, _ name: String) throws(DockerfileError) -> Int64 {
        let value = flags.rawString(name)
        if value.isEmpty { return 0 }
        switch GoNumbers.parseDuration(value) {
        case .failure(let error):
            throw DockerfileError(error.message, lines: nil)
        case .success(let duration):
            if duration == 0 { return 0 }
            if duration < 1_000_000 {
                throw DockerfileError("Interval \(GoText.quote(name)) cannot be less than 1ms", lines: nil)
            }
            return duration
        }
    }
}
