/// `skiff rmi` / `skiff image rm`: "Untagged:" and "Deleted:" lines per image.
enum RemoveImageCommand {
    static let spec = CommandSpec(
        name: "rmi", usage: "[OPTIONS] IMAGE [IMAGE...]", summary: "Remove one or more images",
        aliasPaths: ["skiff image rm", "skiff image remove", "skiff rmi"],
        flags: [
            .bool("force", "f", "Force removal of the image"),
            .bool("no-prune", "Do not delete untagged parents"),
            .list("platform", .list, "Remove only the given platform variant. Formatted as \"os[/arch[/variant]]\" (e.g., \"linux/amd64\")"),
        ],
        arguments: .atLeast(1), run: run)

    static func run(_ inv: Invocation) throws {
        let client = try inv.client
        let force = inv.flags.bool("force")
        var q = Query()
        q.flag("force", force)
        q.flag("noprune", inv.flags.bool("no-prune"))
        var errors: [String] = []
        var fatal = false
        for image in inv.args {
            do {
                let deleted = try client.json("DELETE", "/images/\(Query.escapePath(image))", query: q).array ?? []
                for d in deleted {
                    if let id = d["Deleted"]?.string, !id.isEmpty {
                        Output.line("Deleted: \(id)")
                    } else {
                        Output.line("Untagged: \(d["Untagged"]?.string ?? "")")
                    }
                }
            } catch {
                if (error as? DaemonError)?.isNotFound != true { fatal = true }
                errors.append(errorText(error))
            }
        }
        guard !errors.isEmpty else { return }
        if !force || fatal { throw CLIError(errors.joined(separator: "\n")) }
        Output.error(errors.joined(separator: "\n"))
    }
}
