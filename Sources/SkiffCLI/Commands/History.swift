/// `skiff history` / `skiff image history`: an image's layers.
enum HistoryCommand {
    static let spec = CommandSpec(
        name: "history", usage: "[OPTIONS] IMAGE", summary: "Show the history of an image",
        aliasPaths: ["skiff image history", "skiff history"],
        flags: [
            .value("format", .string, ListCommand.formatHelp),
            .bool("human", "H", "Print sizes and dates in human readable format"),
            .bool("no-trunc", "Don't truncate output"),
            .value("platform", .string, "Show history for the given platform. Formatted as \"os[/arch[/variant]]\" (e.g., \"linux/amd64\")"),
            .bool("quiet", "q", "Only show image IDs"),
        ],
        arguments: .exactly(1), run: run)

    static func run(_ inv: Invocation) throws {
        let f = inv.flags
        let human = f.isSet("human") ? f.bool("human") : true
        var q = Query()
        if let p = f.string("platform"), !p.isEmpty { q.add("platform", p) }
        let items = try inv.client.json("GET", "/images/\(Query.escapePath(inv.args[0]))/history", query: q).array ?? []
        var format = f.string("format") ?? ""
        if format.isEmpty || format == "table" {
            if f.bool("quiet") {
                format = "{{.ID}}"
            } else {
                format = human
                    ? "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
                    : "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
            }
        }
        let now = Clock.now()
        let rows = items.map { HistoryRecord(item: $0, truncate: !f.bool("no-trunc"), human: human, now: now) }
        Output.write(1, try Formatter(format: format).render(rows, header: HistoryRecord.header))
    }
}
