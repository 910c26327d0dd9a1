/// `skiff images` / `skiff image ls`: images as docker's table or a template.
enum ImagesCommand {
    static let spec = CommandSpec(
        name: "images", usage: "[OPTIONS] [REPOSITORY[:TAG]]", summary: "List images",
        aliasPaths: ["skiff image ls", "skiff image list", "skiff images"],
        flags: [
            .bool("all", "a", "Show all images (default hides intermediate images)"),
            .bool("digests", "Show digests"),
            .list("filter", "f", .filter, "Filter output based on conditions provided"),
            .value("format", .string, ListCommand.formatHelp),
            .bool("no-trunc", "Don't truncate output"),
            .bool("quiet", "q", "Only show image IDs"),
            .bool("tree", "List multi-platform images as a tree (EXPERIMENTAL)"),
        ],
        arguments: .atMost(1), run: run)

    static let defaultTable = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
    static let digestTable = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"

    static func run(_ inv: Invocation) throws {
        let f = inv.flags
        var filters = try Filters(parsing: f.strings("filter"))
        if let name = inv.args.first { filters.add("reference", name) }
        if f.bool("tree") { throw CLIError("--tree is not supported by skiff") }
        var q = Query()
        if !filters.isEmpty { q.add("filters", filters.json) }
        q.flag("all", f.bool("all"))
        let images = try inv.client.json("GET", "/images/json", query: q).array ?? []

        let quiet = f.bool("quiet"), digests = f.bool("digests")
        var source = f.string("format") ?? ""
        if source.isEmpty { source = "table" }
        var format: String
        switch source {
        case "table": format = quiet ? "{{.ID}}" : digests ? digestTable : defaultTable
        case "raw":
            format = quiet ? "image_id: {{.ID}}"
                : "repository: {{ .Repository }}\ntag: {{.Tag}}\n" + (digests ? "digest: {{.Digest}}\n" : "")
                + "image_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n"
        default:
            format = source
            if format.hasPrefix("table") && digests && !format.contains("{{.Digest}}") { format += "\t{{.Digest}}" }
        }
        let digestColumn = digests || format.contains("{{.Digest}}")
        let now = Clock.now()
        let rows = images.flatMap {
            ImageRecord.rows(for: $0, truncate: !f.bool("no-trunc"), showDigests: digests, digestColumn: digestColumn, now: now)
        }
        Output.write(1, try Formatter(format: format).render(rows, header: ImageRecord.header))
    }
}
