/// `skiff rm`: remove containers (-f kills running ones, -v their anonymous volumes).
enum RemoveCommand {
    static let spec = CommandSpec(
        name: "rm", aliases: ["remove"], usage: "[OPTIONS] CONTAINER [CONTAINER...]", summary: "Remove one or more containers",
        aliasPaths: ["skiff container rm", "skiff container remove", "skiff rm"],
        flags: [
            .bool("force", "f", "Force the removal of a running container (uses SIGKILL)"),
            .bool("link", "l", "Remove the specified link"),
            .bool("volumes", "v", "Remove anonymous volumes associated with the container"),
        ],
        arguments: .atLeast(1), run: run)

    static func run(_ inv: Invocation) throws {
        let client = try inv.client
        let f = inv.flags
        var query = Query()
        query.flag("v", f.bool("volumes"))
        query.flag("link", f.bool("link"))
        query.flag("force", f.bool("force"))
        var errors: [String] = []
        for name in inv.args {
            let trimmed = name.trimmingSlashes
            do {
                if trimmed.isEmpty { throw CLIError("container name cannot be empty") }
                try client.call("DELETE", "/containers/\(Query.escapePath(trimmed))", query: query)
                Output.line(name)
            } catch let error as DaemonError where f.bool("force") && error.isNotFound {
                Output.error(error.description)
            } catch {
                errors.append(errorText(error))
            }
        }
        if !errors.isEmpty { throw CLIError(errors.joined(separator: "\n")) }
    }
}

extension String {
    /// Without leading and trailing "/" (docker accepts "/name").
    var trimmingSlashes: String {
        var s = Substring(self)
        while s.hasPrefix("/") { s = s.dropFirst() }
        while s.hasSuffix("/") { s = s.dropLast() }
        return String(s)
    }
}
