import Glibc

/// The `skiff` command line: global options, then a command or a management command and
/// its subcommand, run against the daemon. Returns the process's exit status.
public enum SkiffCLI {
    public static func main(_ arguments: [String]) -> Int32 {
        signal(SIGPIPE, SIG_DFL)
        let global: ParsedFlags
        do {
            global = try FlagParser(flags: GlobalOptions.flags, interspersed: false, shortHelp: true).parse(Array(arguments.dropFirst()))
        } catch {
            Output.error("\(error.message)\n\nUsage:  skiff [OPTIONS] COMMAND\n\nRun 'skiff --help' for more information")
            return 125
        }
        if global.bool("version") {
            Output.line("skiff version \(SkiffVersion.version)")
            return 0
        }
        var args = global.args[...]
        guard let name = args.popFirst() else {
            Output.write(1, Help.root(commands: Registry.topLevel, groups: Registry.helpGroups))
            return 0
        }
        let hosts = global.strings("host")
        if name == "compose" { return compose(host: hosts.last, arguments: Array(args)) }
        let session = Session(hostOption: hosts.last, environment: Environment.current())
        if global.help {
            Output.write(1, Help.root(commands: Registry.topLevel, groups: Registry.helpGroups))
            return 0
        }
        if let spec = Registry.topLevel.first(where: { $0.name == name }) {
            return run(path: "skiff " + name, spec: spec, args: Array(args), session: session)
        }
        if let group = Registry.groups.first(where: { $0.name == name }) {
            let groupPath = "skiff " + name
            guard let sub = args.popFirst() else {
                // docker's ShowHelp: the help goes to stderr when no subcommand is given.
                Output.write(2, Help.group(path: groupPath, summary: group.summary, commands: group.commands))
                return 0
            }
            guard sub != "--help", sub != "-h" else {
                Output.write(1, Help.group(path: groupPath, summary: group.summary, commands: group.commands))
                return 0
            }
            guard let spec = group.commands.first(where: { $0.name == sub || $0.aliases.contains(sub) }) else {
                Output.error("skiff: unknown command: \(groupPath) \(sub)\n\nUsage:  \(groupPath)\(group.usage)\n\nRun '\(groupPath) --help' for more information")
                return 1
            }
            return run(path: groupPath + " " + spec.name, spec: spec, args: Array(args), session: session)
        }
        Output.error("skiff: unknown command: skiff \(name)\n\nRun 'skiff --help' for more information")
        return 1
    }

    /// Parses a command's flags and arguments and runs it; errors are printed here.
    static func run(path: String, spec: CommandSpec, args: [String], session: Session) -> Int32 {
        let parser = FlagParser(flags: spec.flags, interspersed: spec.interspersed, shortHelp: spec.shortHelp)
        let flags: ParsedFlags
        do {
            flags = try parser.parse(args)
        } catch {
            Output.error("\(error.message)\n\nUsage:  \(path) \(spec.usage)\n\nRun '\(path) --help' for more information")
            return 125
        }
        for note in flags.deprecations where !note.hasPrefix("Flag shorthand") { Output.line(note) }
        if flags.help || flags.bool("help") {
            if flags.deprecations.contains(where: { $0.hasPrefix("Flag shorthand") }) {
                Output.error("Flag shorthand -h has been deprecated, use --help")
            }
            Output.write(1, Help.command(path: path, spec: spec))
            return 0
        }
        if let problem = argumentProblem(spec.arguments, count: flags.args.count, path: path) {
            // cobra's RequiresMinArgs says "See", its other validators "Run".
            var see = false
            if case .atLeast = spec.arguments { see = true }
            Output.error("skiff: \(problem)\n\nUsage:  \(path) \(spec.usage)\n\n\(see ? "See" : "Run") '\(path) --help' for more information")
            return 1
        }
        do {
            try spec.run(Invocation(path: path, spec: spec, flags: flags, session: session))
            return 0
        } catch {
            let text = errorText(error)
            if !text.isEmpty { Output.error(text) }
            return (error as? CLIError)?.status ?? 1
        }
    }

    /// `skiff compose ...`: the whole command line goes to `skiff-compose` (as docker hands it to
    /// its compose plugin), with the daemon's address when -H chose one.
    private static func compose(host: String?, arguments: [String]) -> Int32 {
        guard let path = HelperExecutable.locate("skiff-compose") else {
            Output.error("skiff: 'compose' needs skiff-compose, which was not found next to skiff or in PATH")
            return 1
        }
        do {
            try HelperExecutable.exec([path] + (host.map { ["--host", $0] } ?? []) + arguments)
        } catch {
            Output.error(errorText(error))
            return 1
        }
    }

    private static func argumentProblem(_ rule: CommandSpec.Arguments, count: Int, path: String) -> String? {
        func plural(_ n: Int) -> String { n == 1 ? "argument" : "arguments" }
        switch rule {
        case .any: return nil
        case .none: return count == 0 ? nil : "'\(path)' accepts no arguments"
        case .exactly(let n): return count == n ? nil : "'\(path)' requires \(n) \(plural(n))"
        case .atLeast(let n): return count >= n ? nil : "'\(path)' requires at least \(n) \(plural(n))"
        case .atMost(let n): return count <= n ? nil : "'\(path)' requires at most \(n) \(plural(n))"
        case .between(let a, let b):
            return count >= a && count <= b ? nil : "'\(path)' requires at least \(a) and at most \(b) \(plural(b))"
        }
    }
}

/// skiff's global options (docker's, most accepted and ignored: no TLS or contexts).
enum GlobalOptions {
    static let flags: [Flag] = [
        .value("config", .string, "Location of client config files", default: "\"/root/.docker\""),
        .value("context", "c", .string, "Name of the context to use to connect to the daemon"),
        .bool("debug", "D", "Enable debug mode"),
        .list("host", "H", .list, "Daemon socket to connect to"),
        .value("log-level", "l", .string, "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\")", default: "\"info\""),
        .bool("tls", "Use TLS; implied by --tlsverify"),
        .value("tlscacert", .string, "Trust certs signed only by this CA"),
        .value("tlscert", .string, "Path to TLS certificate file"),
        .value("tlskey", .string, "Path to TLS key file"),
        .bool("tlsverify", "Use TLS and verify the remote"),
        .bool("version", "v", "Print version information and quit"),
    ]
}

/// The process environment as a dictionary.
enum Environment {
    static func current() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return env
    }
}
