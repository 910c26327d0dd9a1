/// `skiff commit CONTAINER [REPOSITORY[:TAG]]`: a new image from the container's changes;
/// prints its id.
enum CommitCommand {
    static let spec = CommandSpec(
        name: "commit", usage: "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]", summary: "Create a new image from a container's changes",
        aliasPaths: ["skiff container commit", "skiff commit"],
        flags: [
            .value("author", "a", .string, "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")"),
            .list("change", "c", .list, "Apply Dockerfile instruction to the created image"),
            .value("message", "m", .string, "Commit message"),
            .bool("pause", "p", "Pause container during commit", default: true),
        ],
        interspersed: false, arguments: .between(1, 2), run: run)

    static func run(_ inv: Invocation) throws {
        var query: Query = ["container": inv.args[0]]
        if inv.args.count > 1 {
            let reference = inv.args[1]
            let ref = try ImageName.parse(reference)
            if ref.digest != nil { throw CLIError("refusing to create a tag with a digest reference") }
            query.add("repo", ref.name)
            query.add("tag", ref.tag ?? "latest")
        }
        if let m = inv.flags.string("message"), !m.isEmpty { query.add("comment", m) }
        if let a = inv.flags.string("author"), !a.isEmpty { query.add("author", a) }
        for change in inv.flags.strings("change") { query.add("changes", change) }
        // The flag's default is true; only an explicit false is sent.
        if inv.flags.isSet("pause") && !inv.flags.bool("pause") { query.add("pause", "0") }
        let answer = try inv.client.json("POST", "/commit", query: query)
        Output.line(answer["Id"]?.string ?? "")
    }
}
