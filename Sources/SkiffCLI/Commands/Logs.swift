/// `skiff logs`: the container's log, demuxed to stdout/stderr unless it has a tty.
enum LogsCommand {
    static let spec = CommandSpec(
        name: "logs", usage: "[OPTIONS] CONTAINER", summary: "Fetch the logs of a container",
        aliasPaths: ["skiff container logs", "skiff logs"],
        flags: [
            .bool("details", "Show extra details provided to logs"),
            .bool("follow", "f", "Follow log output"),
            .value("since", .string, "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)"),
            .value("tail", "n", .string, "Number of lines to show from the end of the logs", default: "\"all\""),
            .bool("timestamps", "t", "Show timestamps"),
            .value("until", .string, "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)"),
        ],
        arguments: .exactly(1), run: run)

    static func run(_ inv: Invocation) throws {
        let client = try inv.client
        let f = inv.flags
        let c = try client.json("GET", "/containers/\(Query.escapePath(inv.args[0]))/json")
        let id = c["Id"]?.string ?? inv.args[0]
        let tty = c["Config"]?["Tty"]?.bool ?? false
        var q: Query = ["stdout": "1", "stderr": "1"]
        let now = Clock.now()
        for key in ["since", "until"] {
            guard let value = f.string(key), !value.isEmpty else { continue }
            do { q.add(key, try GoTime.apiTimestamp(value, now: now)) } catch {
                throw CLIError("invalid value for \"\(key)\": \(error.message)")
            }
        }
        q.flag("timestamps", f.bool("timestamps"))
        q.flag("follow", f.bool("follow"))
        q.add("tail", f.string("tail") ?? "all")
        q.flag("details", f.bool("details"))
        let response = try client.send("GET", "/containers/\(id)/logs", query: q)
        var demux = StreamDemux()
        while let part = try response.body.next() {
            if tty {
                Output.write(1, part)
                continue
            }
            do {
                try demux.feed(part[...]) { stream, piece in Output.write(stream == .stderr ? 2 : 1, piece) }
            } catch {
                throw CLIError(error.description)
            }
            if let error = demux.error { throw CLIError(error) }
        }
    }
}
