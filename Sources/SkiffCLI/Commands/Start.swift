/// `skiff start`: start containers; with -a/-i attach to one first and exit with its code.
enum StartCommand {
    static let spec = CommandSpec(
        name: "start", usage: "[OPTIONS] CONTAINER [CONTAINER...]", summary: "Start one or more stopped containers",
        aliasPaths: ["skiff container start", "skiff start"],
        flags: [
            .bool("attach", "a", "Attach STDOUT/STDERR and forward signals"),
            .value("checkpoint", .string, "Restore from this checkpoint"),
            .value("checkpoint-dir", .string, "Use a custom checkpoint storage directory"),
            .value("detach-keys", .string, "Override the key sequence for detaching a container"),
            .bool("interactive", "i", "Attach container's STDIN"),
        ],
        arguments: .atLeast(1), run: run)

    static func run(_ inv: Invocation) throws {
        let client = try inv.client
        let f = inv.flags
        var checkpoint = Query()
        if let c = f.string("checkpoint"), !c.isEmpty { checkpoint.add("checkpoint", c) }
        if let d = f.string("checkpoint-dir"), !d.isEmpty { checkpoint.add("checkpoint-dir", d) }
        if !checkpoint.items.isEmpty && !(f.bool("attach") || f.bool("interactive")) {
            guard inv.args.count == 1 else { throw CLIError("you cannot restore multiple containers at once") }
            try client.call("POST", "/containers/\(Query.escapePath(inv.args[0]))/start", query: checkpoint)
            return
        }
        guard f.bool("attach") || f.bool("interactive") else {
            var failed: [String] = []
            for name in inv.args {
                do {
                    try client.call("POST", "/containers/\(Query.escapePath(name))/start")
                    Output.line(name)
                } catch {
                    Output.error(errorText(error))
                    failed.append(name)
                }
            }
            if !failed.isEmpty { throw CLIError("Error: failed to start containers: " + failed.joined(separator: ", ")) }
            return
        }
        guard inv.args.count == 1 else { throw CLIError("you cannot start and attach multiple containers at once") }
        let c = try client.json("GET", "/containers/\(Query.escapePath(inv.args[0]))/json")
        let id = c["Id"]?.string ?? inv.args[0]
        let tty = c["Config"]?["Tty"]?.bool ?? false
        let stdin = f.bool("interactive") && (c["Config"]?["OpenStdin"]?.bool ?? false)
        let autoRemove = c["HostConfig"]?["AutoRemove"]?.bool ?? false
        let detachKeys = f.string("detach-keys")
        let stream = try Attaching.attach(client, id: id, stdin: stdin, stdout: true, stderr: true, detachKeys: detachKeys)
        let wait = try Attaching.beginWait(client, id: id, removed: autoRemove)
        do {
            try client.call("POST", "/containers/\(id)/start", query: checkpoint)
        } catch {
            if autoRemove { _ = Attaching.exitCode(client, wait) }
            throw error
        }
        let outcome = try Attaching.stream(
            client, socket: stream, tty: tty, stdin: stdin, stdout: true, stderr: true, detachKeys: detachKeys,
            resizePath: "/containers/\(id)/resize", killPath: tty ? nil : "/containers/\(id)/kill")
        if case .detached = outcome { return }
        let status = Attaching.exitCode(client, wait)
        if status != 0 { throw CLIError.exit(status) }
    }
}
