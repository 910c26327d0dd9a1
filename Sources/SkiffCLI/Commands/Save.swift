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
        var fd: Int32 = 1
        var temporary: String?
        if !output.isEmpty {
            try validateDestination(output)
            let slash = output.lastIndex(of: "/")
            let dir = slash.map { String(output[..<$0]) } ?? "."
            let base = slash.map { String(output[output.index(after: $0)...]) } ?? output
            let tmp = (dir.isEmpty ? "" : dir + "/") + ".tmp-\(base)-\(getpid())"
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CLIError("failed to save image: \(SystemError("open \(tmp)"))") }
            temporary = tmp
        }
        defer {
            if let temporary {
                close(fd)
                unlink(temporary)
            }
        }
        let response = try inv.client.send("GET", "/images/get", query: q)
        while let part = try response.body.next() { Output.write(fd, part) }
        if let temporary {
            guard fsync(fd) == 0, rename(temporary, output) == 0 else { throw CLIError("failed to save image: \(SystemError("write \(output)"))") }
        }
    }

    /// atomicwriter's checks: the directory exists, the destination is a regular file or absent.
    private static func validateDestination(_ path: String) throws {
        let fail = { (reason: String) in CLIError("failed to save image: \(reason)") }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let dir = String(path[..<slash])
            var st = stat()
            guard stat(dir, &st) == 0 else { throw fail("invalid output path: stat \(dir): \(errnoText(errno))") }
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw fail("invalid output path: stat \(dir): not a directory") }
        }
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw fail("cannot write to a directory")
        case S_IFLNK: throw fail("cannot write to a symbolic link directly")
        case S_IFIFO: throw fail("cannot write to a named pipe (FIFO)")
        case S_IFSOCK: throw fail("cannot write to a socket")
        case S_IFCHR: throw fail("cannot write to a character device file")
        default: throw fail("cannot write to a block device file")
        }
    }
}
