/// `skiff stop` and `skiff restart`: each container in turn, its name printed on success.
enum StopCommand {
    static let flags: [Flag] = [
        .value("signal", "s", .string, "Signal to send to the container"),
        .value("time", .int, "Seconds to wait before killing the container (deprecated: use --timeout)", aliasOf: "timeout")
            .deprecated("use --timeout instead"),
        .value("timeout", "t", .int, "Seconds to wait before killing the container"),
    ]

    static let stop = CommandSpec(
        name: "stop", usage: "[OPTIONS] CONTAINER [CONTAINER...]", summary: "Stop one or more running containers",
        aliasPaths: ["skiff container stop", "skiff stop"], flags: flags, arguments: .atLeast(1)
    ) { try run($0, action: "stop") }

    static let restart = CommandSpec(
        name: "restart", usage: "[OPTIONS] CONTAINER [CONTAINER...]", summary: "Restart one or more containers",
        aliasPaths: ["skiff container restart", "skiff restart"], flags: flags, arguments: .atLeast(1)
    ) { try run($0, action: "restart") }

    static func run(_ inv: Invocation, action: String) throws {
        let client = try inv.client
        var query = Query()
        if let t = inv.flags.int("timeout") { query.add("t", String(t)) }
        if let s = inv.flags.string("signal"), !s.isEmpty { query.add("signal", s) }
        try forEach(inv.args) { name in
            try client.call("POST", "/containers/\(Query.escapePath(name))/\(action)", query: query)
        }
    }

    /// Runs `body` for every name, printing the names that worked and failing with every
    /// error, one per line (docker's errors.Join).
    static func forEach(_ names: [String], _ body: (String) throws -> Void) throws {
        var errors: [String] = []
        for name in names {
            do {
                try body(name)
                Output.line(name)
            } catch {
                errors.append(errorText(error))
            }
        }
        if !errors.isEmpty { throw CLIError(errors.joined(separator: "\n")) }
    }
}
