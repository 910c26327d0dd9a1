/// `skiff events` / `skiff system events`: the daemon's events as they happen (after the
/// history asked for with --since), one line each, until --until or until interrupted.
enum EventsCommand {
    static let spec = CommandSpec(
        name: "events", usage: "[OPTIONS]", summary: "Get real time events from the server",
        aliasPaths: ["skiff system events", "skiff events"],
        flags: [
            .list("filter", "f", .filter, "Filter output based on conditions provided"),
            .value("format", .string, InspectCommand.formatHelp),
            .value("since", .string, "Show all events created since timestamp"),
            .value("until", .string, "Stream events until this timestamp"),
        ],
        arguments: .none, run: run)

    static func run(_ inv: Invocation) throws {
        let f = inv.flags
        let template = try makeTemplate(f.string("format") ?? "")
        var q = Query()
        let now = Clock.now()
        for key in ["since", "until"] {
            guard let value = f.string(key), !value.isEmpty else { continue }
            q.add(key, try GoTime.apiTimestamp(value, now: now))
        }
        let filters = try Filters(parsing: f.strings("filter"))
        if !filters.isEmpty { q.add("filters", filters.json) }
        let response = try inv.client.send("GET", "/events", query: q)
        var pending: [UInt8] = []
        while let part = try response.body.next() {
            pending += part
            var start = 0
            while let end = pending[start...].firstIndex(of: 0x0A) {
                let line = Array(pending[start..<end])
                start = end + 1
                guard !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) else { continue }
                let event: JSON
                do { event = try JSON.parse(line) } catch { throw CLIError("cannot read an event from the daemon: \(error)") }
                Output.write(1, try render(event, template))
            }
            pending.removeFirst(start)
        }
    }

    /// The --format template, checked as docker checks it (run once on an empty event).
    static func makeTemplate(_ format: String) throws -> GoTemplate? {
        guard !format.isEmpty else { return nil }
        do {
            let template = try GoTemplate(format == "json" ? "{{json .}}" : format)
            _ = try template.execute(.typed(.object(JSONObject()), .pointer(DockerTypes.event)))
            return template
        } catch {
            throw CLIError("Error parsing format: \(error)", status: 64)
        }
    }

    /// One event as docker prints it: through the template, or
    /// `TIME TYPE ACTION ID (key=value, ...)` with the attributes sorted.
    static func render(_ event: JSON, _ template: GoTemplate?) throws -> String {
        if let template { return try template.execute(.typed(event, DockerTypes.event)) + "\n" }
        var line = ""
        if let nanos = event["timeNano"].flatMap(int64), nanos != 0 {
            line = GoTime.rfc3339NanoFixed(nanoseconds: nanos) + " "
        } else if let seconds = event["time"].flatMap(int64), seconds != 0 {
            line = GoTime.rfc3339NanoFixed(nanoseconds: seconds * 1_000_000_000) + " "
        }
        line += "\(event["Type"]?.string ?? "") \(event["Action"]?.string ?? "") \(event["Actor"]?["ID"]?.string ?? "")"
        let attributes = event["Actor"]?["Attributes"]?.object?.members ?? []
        if !attributes.isEmpty {
            let sorted = attributes.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            line += " (" + sorted.map { "\($0.key)=\($0.value.string ?? "")" }.joined(separator: ", ") + ")"
        }
        return line + "\n"
    }

    private static func int64(_ value: JSON) -> Int64? {
        if case .number(let n) = value { return Int64(n) }
        return nil
    }
}
