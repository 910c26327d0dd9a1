/// `skiff kill`: send a signal (default KILL) to containers.
enum KillCommand {
    static let spec = CommandSpec(
        name: "kill", usage: "[OPTIONS] CONTAINER [CONTAINER...]", summary: "Kill one or more running containers",
        aliasPaths: ["skiff container kill", "skiff kill"],
        flags: [.value("signal", "s", .string, "Signal to send to the container")],
        arguments: .atLeast(1), run: run)

    static func run(_ inv: Invocation) throws {
        let client = try inv.client
        var query = Query()
        if let s = inv.flags.string("signal"), !s.isEmpty { query.add("signal", s) }
        try StopCommand.forEach(inv.args) { name in
            try client.call("POST", "/containers/\(Query.escapePath(name))/kill", query: query)
        }
    }
}
