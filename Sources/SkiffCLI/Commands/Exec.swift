/// `skiff exec`: run a command in a running container, attached unless -d, exiting with
/// its code.
enum ExecCommand {
    static let spec = CommandSpec(
        name: "exec", usage: "[OPTIONS] CONTAINER COMMAND [ARG...]", summary: "Execute a command in a running container",
        aliasPaths: ["skiff container exec", "skiff exec"],
        flags: [
            .bool("detach", "d", "Detached mode: run command in the background"),
            .value("detach-keys", .string, "Override the key sequence for detaching a container"),
            .list("env", "e", .env, "Set environment variables"),
            .list("env-file", .list, "Read in a file of environment variables"),
            .bool("interactive", "i", "Keep STDIN open even if not attached"),
            .bool("privileged", "Give extended privileges to the command"),
            .bool("tty", "t", "Allocate a pseudo-TTY"),
            .value("user", "u", .string, "Username or UID (format: \"<name|uid>[:<group|gid>]\")"),
            .value("workdir", "w", .string, "Working directory inside the container"),
        ],
        interspersed: false, arguments: .atLeast(2), run: run)

    static func run(_ inv: Invocation) throws {
        let client = try inv.client
        let f = inv.flags
        let container = inv.args[0]
        let environment = Environment.current()
        var env: [String] = []
        for file in f.strings("env-file") { env += try ContainerOptions.readKeyValueFile(file, environment: environment) }
        for e in f.strings("env") {
            if e.contains("=") { env.append(e) } else if let v = environment[e] { env.append(e + "=" + v) } else { env.append(e) }
        }
        let detach = f.bool("detach")
        let tty = f.bool("tty")
        let stdin = !detach && f.bool("interactive")
        _ = try client.json("GET", "/containers/\(Query.escapePath(container))/json")
        if !detach && tty && stdin && !Terminal.isTerminal(0) { throw CLIError("the input device is not a TTY") }

        let withConsoleSize = try client.version() >= APIVersion(1, 42)
        var config: JSONObject = [
            "User": .string(f.string("user") ?? ""), "Privileged": .bool(f.bool("privileged")), "Tty": .bool(tty),
        ]
        if withConsoleSize && tty { config["ConsoleSize"] = Attaching.consoleSize }
        config["AttachStdin"] = .bool(stdin)
        config["AttachStderr"] = .bool(!detach)
        config["AttachStdout"] = .bool(!detach)
        config["Detach"] = .bool(detach)
        config["DetachKeys"] = .string(f.string("detach-keys") ?? "")
        config["Env"] = env.isEmpty ? .null : .array(env.map { .string($0) })
        config["WorkingDir"] = .string(f.string("workdir") ?? "")
        config["Cmd"] = .array(inv.args.dropFirst().map { .string($0) })
        let created = try client.json("POST", "/containers/\(Query.escapePath(container))/exec", body: .object(config))
        guard let execID = created["Id"]?.string, !execID.isEmpty else { throw CLIError("exec ID empty") }

        var start: JSONObject = ["Detach": .bool(detach), "Tty": .bool(tty)]
        if withConsoleSize && tty { start["ConsoleSize"] = Attaching.consoleSize }
        if detach {
            try client.call("POST", "/exec/\(execID)/start", body: .object(start))
            return
        }
        let socket = try client.hijack("/exec/\(execID)/start", body: .object(start))
        let outcome = try Attaching.stream(
            client, socket: socket, tty: tty, stdin: stdin, stdout: true, stderr: true, detachKeys: f.string("detach-keys"),
            resizePath: "/exec/\(execID)/resize", killPath: nil)
        if case .detached = outcome { return }
        let inspect = try client.json("GET", "/exec/\(execID)/json")
        let code = Int32(truncatingIfNeeded: inspect["ExitCode"]?.int ?? 0)
        if code != 0 { throw CLIError.exit(code) }
    }
}
