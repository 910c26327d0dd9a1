import Glibc

/// `skiff stats`: docker's live resource table (CPU %, memory, network and block I/O, pids).
enum StatsCommand {
    static let spec = CommandSpec(
        name: "stats", usage: "[OPTIONS] [CONTAINER...]", summary: "Display a live stream of container(s) resource usage statistics",
        aliasPaths: ["skiff container stats", "skiff stats"],
        flags: [
            .bool("all", "a", "Show all containers (default shows just running)"),
            .value("format", .string, "Format output using a custom template"),
            .bool("no-stream", "Disable streaming stats and only pull the first result"),
            .bool("no-trunc", "Do not truncate output"),
        ],
        arguments: .any, run: run)

    static let defaultFormat = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

    static func run(_ inv: Invocation) throws {
        let f = inv.flags
        let client = try inv.client
        let format = (f.string("format") ?? "").isEmpty || f.string("format") == "table" ? defaultFormat : f.string("format")!
        var previous: [String: JSON] = [:]
        while true {
            var names = inv.args
            if names.isEmpty {
                var q = Query()
                if f.bool("all") { q.add("all", "1") }
                names = (try client.json("GET", "/containers/json", query: q).array ?? []).compactMap { $0["Id"]?.string }
            }
            var rows: [StatsRecord] = []
            var errors: [String] = []
            for name in names {
                var q = Query()
                q.add("stream", "0")
                // Streaming: one reading a second, CPU % from the one before (docker starts at 0%).
                if !f.bool("no-stream") { q.add("one-shot", "1") }
                do {
                    let stats = try client.json("GET", "/containers/\(Query.escapePath(name))/stats", query: q)
                    let id = stats["id"]?.string ?? name
                    rows.append(StatsRecord(stats: stats, previous: f.bool("no-stream") ? nil : previous[id],
                                            container: name, truncate: !f.bool("no-trunc")))
                    previous[id] = stats
                } catch {
                    errors.append(errorText(error))
                }
            }
            if !errors.isEmpty && !inv.args.isEmpty { throw CLIError(errors.joined(separator: "\n")) }
            let text = try Formatter(format: format).render(rows, header: StatsRecord.header)
            if f.bool("no-stream") {
                Output.write(1, text)
                return
            }
            Output.write(1, "\u{1b}[2J\u{1b}[H" + text)
            usleep(1_000_000)
        }
    }
}

/// One `docker stats` row: docker's `statsContext`, figures computed as the docker CLI does.
struct StatsRecord: TemplateRecord {
    let stats: JSON
    let previous: JSON?
    let container: String
    let truncate: Bool

    static let header = HeaderRecord(columns: [
        "Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT",
        "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
    ])
    static let fields = ["BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "Name", "NetIO", "PIDs"]

    var typeName: String { "*container.statsContext" }

    func field(_ name: String, args: [TemplateValue]) throws(TemplateExecError) -> TemplateValue? {
        guard StatsRecord.fields.contains(name) else { return nil }
        if !args.isEmpty { throw TemplateExecError("wrong number of args for \(name): want 0 got \(args.count)") }
        return .string(value(name))
    }

    var json: JSON {
        .object(JSONObject(StatsRecord.fields.map { (key: $0, value: JSON.string(value($0))) }))
    }

    private func number(_ json: JSON?) -> Double { json?.int.map(Double.init) ?? 0 }

    private var running: Bool { stats["read"]?.string != "0001-01-01T00:00:00Z" }

    /// Memory without the page cache docker leaves out (inactive file pages).
    private var memoryUsage: Double {
        let usage = number(stats["memory_stats"]?["usage"])
        let s = stats["memory_stats"]?["stats"]
        let cache = s?["total_inactive_file"]?.int ?? s?["inactive_file"]?.int ?? 0
        return Double(cache) < usage ? usage - Double(cache) : usage
    }

    private func value(_ name: String) -> String {
        let id = stats["id"]?.string ?? ""
        switch name {
        case "Container": return container
        case "ID": return truncate ? String(id.prefix(12)) : id
        case "Name":
            let n = stats["name"]?.string ?? ""
            return n.hasPrefix("/") ? String(n.dropFirst()) : (n.isEmpty ? "--" : n)
        case "CPUPerc":
            guard running else { return "--" }
            let base = previous?["cpu_stats"] ?? stats["precpu_stats"]
            let cpu = number(stats["cpu_stats"]?["cpu_usage"]?["total_usage"]) - number(base?["cpu_usage"]?["total_usage"])
            let system = number(stats["cpu_stats"]?["system_cpu_usage"]) - number(base?["system_cpu_usage"])
            let cpus = number(stats["cpu_stats"]?["online_cpus"])
            let percent = system > 0 && cpu > 0 ? cpu / system * cpus * 100 : 0
            return format2(percent) + "%"
        case "MemUsage":
            guard running else { return "-- / --" }
            return Units.bytesSize(memoryUsage) + " / " + Units.bytesSize(number(stats["memory_stats"]?["limit"]))
        case "MemPerc":
            guard running else { return "--" }
            let limit = number(stats["memory_stats"]?["limit"])
            return format2(limit > 0 ? memoryUsage / limit * 100 : 0) + "%"
        case "NetIO":
            guard running else { return "--" }
            var rx = 0.0, tx = 0.0
            for (_, n) in stats["networks"]?.object?.members ?? [] {
                rx += number(n["rx_bytes"])
                tx += number(n["tx_bytes"])
            }
            return Units.humanSize(rx) + " / " + Units.humanSize(tx)
        case "BlockIO":
            guard running else { return "--" }
            var read = 0.0, write = 0.0
            for entry in stats["blkio_stats"]?["io_service_bytes_recursive"]?.array ?? [] {
                switch entry["op"]?.string?.lowercased() {
                case "read": read += number(entry["value"])
                case "write": write += number(entry["value"])
                default: break
                }
            }
            return Units.humanSize(read) + " / " + Units.humanSize(write)
        case "PIDs":
            guard running else { return "--" }
            return String(stats["pids_stats"]?["current"]?.int ?? 0)
        default: return ""
        }
    }

    /// `%.2f`.
    private func format2(_ value: Double) -> String {
        let scaled = Int((value * 100).rounded())
        let fraction = scaled % 100
        return "\(scaled / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }
}
