/// `skiff ps` / `skiff container ls`: containers as docker's table or a template.
enum ListCommand {
    static let formatHelp = "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates"

    static let spec = CommandSpec(
        name: "ps", usage: "[OPTIONS]", summary: "List containers",
        aliasPaths: ["skiff container ls", "skiff container list", "skiff container ps", "skiff ps"],
        flags: [
            .bool("all", "a", "Show all containers (default shows just running)"),
            .list("filter", "f", .filter, "Filter output based on conditions provided"),
            .value("format", .string, formatHelp),
            .value("last", "n", .int, "Show n last created containers (includes all states)", default: "-1"),
            .bool("latest", "l", "Show the latest created container (includes all states)"),
            .bool("no-trunc", "Don't truncate output"),
            .bool("quiet", "q", "Only display container IDs"),
            .bool("size", "s", "Display total file sizes"),
        ],
        arguments: .none, run: run)

    static let defaultTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

    static func run(_ inv: Invocation) throws {
        let f = inv.flags
        let quiet = f.bool("quiet")
        let userFormat = f.string("format") ?? ""
        if !userFormat.isEmpty && quiet {
            Output.error("WARNING: Ignoring custom format, because both --format and --quiet are set.")
        }
        var size = f.bool("size")
        var last = f.int("last") ?? -1
        if f.bool("latest") && last == -1 { last = 1 }
        let filters = try Filters(parsing: f.strings("filter"))
        if !userFormat.isEmpty {
            let template: GoTemplate
            do { template = try GoTemplate(userFormat) } catch { throw CLIError("failed to parse template: \(error)") }
            let usage = FieldUsage()
            let probe = ContainerRecord(summary: .object(JSONObject()), truncate: false, usage: usage, now: 0)
            do { _ = try template.execute(.record(probe)) } catch { throw CLIError("failed to execute template: \(error)") }
            if !quiet && !size && !f.isSet("size") && usage.used.contains("Size") { size = true }
        }

        var q = Query()
        q.flag("all", f.bool("all"))
        if last > 0 { q.add("limit", String(last)) }
        q.flag("size", size)
        if !filters.isEmpty { q.add("filters", filters.json) }
        let client = try inv.client
        let containers = try client.json("GET", "/containers/json", query: q).array ?? []

        let format: String
        switch userFormat {
        case "", "table": format = quiet ? "{{.ID}}" : defaultTable + (size ? "\t{{.Size}}" : "")
        case "raw":
            format = quiet ? "container_id: {{.ID}}"
                : "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n"
                + (size ? "size: {{.Size}}\\n" : "")
        default: format = quiet ? "{{.ID}}" : userFormat
        }
        let now = Clock.now()
        let rows = containers.map { ContainerRecord(summary: $0, truncate: !f.bool("no-trunc"), usage: nil, now: now) }
        Output.write(1, try Formatter(format: format).render(rows, header: ContainerRecord.header))
    }
}
