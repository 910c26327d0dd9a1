/// `skiff attach`: local stdin, stdout and stderr to a running container; exits with its
/// code when it stops.
enum AttachCommand {
    static let spec = CommandSpec(
        name: "attach", usage: "[OPTIONS] CONTAINER",
        summary: "Attach local standard input, output, and error streams to a running container",
        aliasPaths: ["skiff container attach", "skiff attach"],
        flags: [
            .value("detach-keys", .string, "Override the key sequence for detaching a container"),
            .bool("no-stdin", "Do not attach STDIN"),
            .bool("sig-proxy", "Proxy all received signals to the process"),
        ],
        arguments: .exactly(1), run: run)

    static func run(_ inv: Invocation) throws {
        let client = try inv.client
        let f = inv.flags
        let name = inv.args[0]
        let wait = try client.post("/containers/\(Query.escapePath(name))/wait")
        let c = try checkedState(client, name)
        let tty = c["Config"]?["Tty"]?.bool ?? false
        let noStdin = f.bool("no-stdin")
        if tty && !noStdin && !Terminal.isTerminal(0) { throw CLIError("the input device is not a TTY") }
        let stdin = !noStdin && (c["Config"]?["OpenStdin"]?.bool ?? false)
        let proxy = f.isSet("sig-proxy") ? f.bool("sig-proxy") : true
        let id = c["Id"]?.string ?? name
        let detachKeys = f.string("detach-keys")
        let socket = try Attaching.attach(client, id: id, stdin: stdin, stdout: true, stderr: true, detachKeys: detachKeys)
        _ = try checkedState(client, name)
        let outcome = try Attaching.stream(
            client, socket: socket, tty: tty, stdin: stdin, stdout: true, stderr: true, detachKeys: detachKeys,
            resizePath: "/containers/\(id)/resize", killPath: proxy && !tty ? "/containers/\(id)/kill" : nil)
        // docker's attach reports the detach as an error (run and start do not).
        if case .detached = outcome { throw CLIError("read escape sequence") }
        let response = try client.answer(to: wait)
        let answer = try JSON.parse(try response.body.readAll())
        if let message = answer["Error"]?["Message"]?.string, !message.isEmpty { throw CLIError(message) }
        let code = Int32(truncatingIfNeeded: answer["StatusCode"]?.int ?? 0)
        if code != 0 { throw CLIError.exit(code) }
    }

    /// The container's inspect data, refusing stopped, paused and restarting containers.
    private static func checkedState(_ client: APIClient, _ name: String) throws -> JSON {
        let c = try client.json("GET", "/containers/\(Query.escapePath(name))/json")
        if c["State"]?["Running"]?.bool != true { throw CLIError("You cannot attach to a stopped container, start it first") }
        if c["State"]?["Paused"]?.bool == true { throw CLIError("You cannot attach to a paused container, unpause it first") }
        if c["State"]?["Restarting"]?.bool == true { throw CLIError("You cannot attach to a restarting container, wait until it is running") }
        return c
    }
}
