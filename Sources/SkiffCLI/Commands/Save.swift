import Glibc

/// `skiff save`: images as a tar archive, to -o (written atomically) or stdout (never a
/// terminal).
enum SaveCommand {
    static let spec = CommandSpec(
        name: "save", usage: "[OPTIONS] IMAGE [IMAGE...]",
        summary: "Save one or more images to a tar archive (streamed to STDOUT by default)",
        aliasPaths: ["skiff image save", "skiff save"],
        flags: [
            .value("output", "o", .string, "Write to a file, instead of STDOUT"),
            .value("platform", .string, "Save only the given platform variant. Formatted as \"os[/arch[/variant]]\" (e.g., \"linux/amd64\")"),
        ],
        arguments: .atLeast(1), run: run)

    static func run(_ inv: Invocation) throws {
        let output = inv.flags.string("output") ?? ""
        if output.isEmpty && Terminal.isTerminal(1) {
            throw CLIError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
        }
        var q = Query(inv.args.map { ("names", $0) })
        if let p = inv.flags.string("platform"), !p.isEmpty { q.add("platform", p) }
        let file = output.isEmpty ? nil : try AtomicFile(output, context: "failed to save image")
        let response = try inv.client.send("GET", "/images/get", query: q)
        while let part = try response.body.next() { Output.write(file?.fd ?? 1, part) }
        try file?.commit()
    }
}
