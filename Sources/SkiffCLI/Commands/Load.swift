import Glibc

/// `skiff load`: an image archive from -i or stdin, streamed to POST /images/load.
enum LoadCommand {
    static let spec = CommandSpec(
        name: "load", usage: "[OPTIONS]", summary: "Load an image from a tar archive or STDIN",
        aliasPaths: ["skiff image load", "skiff load"],
        flags: [
            .value("input", "i", .string, "Read from tar archive file, instead of STDIN"),
            .value("platform", .string, "Load only the given platform variant. Formatted as \"os[/arch[/variant]]\" (e.g., \"linux/amd64\")"),
            .bool("quiet", "q", "Suppress the load output"),
        ],
        arguments: .none, run: run)

    static func run(_ inv: Invocation) throws {
        let input = inv.flags.string("input") ?? ""
        var fd: Int32 = 0
        if input.isEmpty {
            if Terminal.isTerminal(0) { throw CLIError("requested load from stdin, but stdin is empty") }
        } else {
            fd = open(input, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw CLIError("open \(input): \(errnoText(errno))") }
        }
        defer { if fd != 0 { close(fd) } }
        var q: Query = ["quiet": inv.flags.bool("quiet") || !Terminal.isTerminal(1) ? "1" : "0"]
        if let p = inv.flags.string("platform"), !p.isEmpty { q.add("platform", p) }
        let response = try inv.client.send(
            "POST", "/images/load", query: q,
            body: .stream(fd: fd, length: FileSystem.regularFileSize(fd), contentType: "application/x-tar"))
        if response.header("Content-Type") == "application/json" {
            try JSONMessages.display(response.body, to: 1)
        } else {
            while let part = try response.body.next() { Output.write(1, part) }
        }
    }
}
