/// `skiff export`: the container's file system as a tar, to -o (written atomically) or
/// stdout (never a terminal).
enum ExportCommand {
    static let spec = CommandSpec(
        name: "export", usage: "[OPTIONS] CONTAINER", summary: "Export a container's filesystem as a tar archive",
        aliasPaths: ["skiff container export", "skiff export"],
        flags: [.value("output", "o", .string, "Write to a file, instead of STDOUT")],
        arguments: .exactly(1), run: run)

    static func run(_ inv: Invocation) throws {
        let output = inv.flags.string("output") ?? ""
        if output.isEmpty && Terminal.isTerminal(1) {
            throw CLIError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
        }
        let file = output.isEmpty ? nil : try AtomicFile(output, context: "failed to export container")
        let response = try inv.client.send("GET", "/containers/\(Query.escapePath(inv.args[0]))/export")
        while let part = try response.body.next() { Output.write(file?.fd ?? 1, part) }
        try file?.commit()
    }
}
