import Glibc

/// `skiff import`: a root filesystem tarball (file, URL or - for stdin) as a new image.
enum ImportCommand {
    static let spec = CommandSpec(
        name: "import", usage: "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
        summary: "Import the contents from a tarball to create a filesystem image",
        aliasPaths: ["skiff image import", "skiff import"],
        flags: [
            .list("change", "c", .list, "Apply Dockerfile instruction to the created image"),
            .value("message", "m", .string, "Set commit message for imported image"),
            .value("platform", .string, "Set platform if server is multi-platform capable"),
        ],
        arguments: .atLeast(1), run: run)

    static func run(_ inv: Invocation) throws {
        let source = inv.args[0]
        let reference = inv.args.count > 1 ? inv.args[1] : ""
        if !reference.isEmpty { _ = try ImageName.parse(reference) }
        var q = Query()
        var fd: Int32 = -1
        switch source {
        case "-":
            fd = 0
            q.add("fromSrc", "-")
        case _ where source.hasPrefix("http://") || source.hasPrefix("https://"):
            q.add("fromSrc", source)
        default:
            fd = open(source, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw CLIError("open \(source): \(errnoText(errno))") }
            q.add("fromSrc", "-")
        }
        defer { if fd > 0 { close(fd) } }
        if !reference.isEmpty { q.add("repo", reference) }
        if let m = inv.flags.string("message"), !m.isEmpty { q.add("message", m) }
        if let p = inv.flags.string("platform"), !p.isEmpty { q.add("platform", p) }
        for c in inv.flags.strings("change") { q.add("changes", c) }
        let body: HTTPRequest.Body = fd >= 0
            ? .stream(fd: fd, length: FileSystem.regularFileSize(fd), contentType: "application/x-tar") : .none
        let response = try inv.client.send("POST", "/images/create", query: q, body: body)
        try JSONMessages.display(response.body, to: 1)
    }
}
