import Glibc
import SkiffArchive
import SkiffSystem

/// `skiff cp`: files and directories between a container and the local file system, with
/// `docker cp`'s rules: the daemon's tar (`GET /containers/{id}/archive`) is extracted here, or
/// a tar of the local path is made here and extracted by the daemon (`PUT`); entry names are
/// set so that `dir` copies the directory, `dir/.` its contents, and a destination that does
/// not exist takes the source's place. Local extraction never leaves the destination directory.
enum CopyCommand {
    static let spec = CommandSpec(
        name: "cp", usage: "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tskiff cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
        summary: "Copy files/folders between a container and the local filesystem",
        description: """
            Copy files/folders between a container and the local filesystem

            Use '-' as the source to read a tar archive from stdin
            and extract it to a directory destination in a container.
            Use '-' as the destination to stream a tar archive of a
            container source to stdout.
            """,
        aliasPaths: ["skiff container cp", "skiff cp"],
        flags: [
            .bool("archive", "a", "Archive mode (copy all uid/gid information)"),
            .bool("follow-link", "L", "Always follow symbol link in SRC_PATH"),
            .bool("quiet", "q", "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached"),
        ],
        arguments: .exactly(2), run: run)

    /// What the copy knows of a source or destination (archive.CopyInfo).
    struct Info {
        var path: String
        var exists = false
        var isDirectory = false
        /// The name the source's entries take (the source was reached through a symlink).
        var rebaseName: String?
    }

    static func run(_ inv: Invocation) throws {
        let source = inv.args[0], destination = inv.args[1]
        if source.isEmpty { throw CLIError("source can not be empty") }
        if destination.isEmpty { throw CLIError("destination can not be empty") }
        let quiet = inv.flags.isSet("quiet") ? inv.flags.bool("quiet") : !Terminal.isTerminal(1)
        let from = split(source), to = split(destination)
        switch (from.container, to.container) {
        case (nil, nil):
            throw CLIError("must specify at least one container source")
        case (.some, .some):
            throw CLIError("copying between containers is not supported")
        case (let container?, nil):
            try copyFrom(container, from.path, to: to.path, followLink: inv.flags.bool("follow-link"), quiet: quiet, client: inv.client)
        case (nil, let container?):
            try copyTo(container, to.path, from: from.path, followLink: inv.flags.bool("follow-link"),
                       copyOwners: inv.flags.bool("archive"), quiet: quiet, client: inv.client)
        }
    }

    /// docker's splitCpArg: `CONTAINER:PATH`, unless the argument is a local path (absolute,
    /// or starting with `.`, or without a colon).
    static func split(_ argument: String) -> (container: String?, path: String) {
        if argument.hasPrefix("/") { return (nil, argument) }
        guard let colon = argument.firstIndex(of: ":") else { return (nil, argument) }
        let container = String(argument[..<colon])
        if container.hasPrefix(".") { return (nil, argument) }
        return (container.isEmpty ? nil : container, String(argument[argument.index(after: colon)...]))
    }

    // MARK: From a container

    static func copyFrom(_ container: String, _ sourcePath: String, to destination: String, followLink: Bool, quiet: Bool, client: APIClient) throws {
        var destinationPath = destination
        if destinationPath != "-" { destinationPath = LocalPath.resolve(destinationPath) }
        try LocalPath.validateOutput(destinationPath)
        var sourcePath = sourcePath
        var rebaseName: String?
        if followLink, let stat = try? stat(container, sourcePath, client: client), stat.isSymbolicLink {
            var target = stat.linkTarget
            if !target.hasPrefix("/") { target = CopyPath.join(CopyPath.splitDirectoryEntry(sourcePath).directory, target) }
            (sourcePath, rebaseName) = rebase(sourcePath, resolved: target)
        }
        let response = try client.send("GET", "/containers/\(Query.escapePath(container))/archive", query: ["path": sourcePath])
        if destinationPath == "-" {
            while let part = try response.body.next() { Output.write(1, part) }
            return
        }
        let stat = try pathStat(response)
        var rebases: [PathRebase] = []
        if let rebaseName { rebases.append(PathRebase(from: CopyPath.splitDirectoryEntry(sourcePath).entry, to: rebaseName)) }
        let source = Info(path: sourcePath, exists: true, isDirectory: stat.isDirectory, rebaseName: rebaseName)
        let target = try LocalPath.destinationInfo(destinationPath)
        let (directory, rename) = try prepare(source, target)
        if let rename { rebases.append(rename) }
        let counter = Counter()
        let body = ResponseSource(body: response.body, counter: counter)
        // docker prints its summary whether the extraction worked or not.
        defer { if !quiet { Output.error("Successfully copied \(Units.humanSize(Double(counter.bytes))) to \(destinationPath)") } }
        do {
            try RootedTree(root: directory, displayRoot: directory).extract(
                body, into: "", options: .init(ownership: .ignore, noOverwriteDirNonDir: true, rebases: rebases))
        } catch let error as ArchiveError {
            throw CLIError(error.kind == .conflict || error.kind == .unsafePath ? error.message : error.description)
        }
        try body.drain()
    }

    // MARK: To a container

    static func copyTo(
        _ container: String, _ destinationPath: String, from sourcePath: String, followLink: Bool, copyOwners: Bool, quiet: Bool,
        client: APIClient
    ) throws {
        var sourcePath = sourcePath
        if sourcePath != "-" { sourcePath = LocalPath.resolve(sourcePath) }
        var target = Info(path: destinationPath)
        if var stat = try? stat(container, destinationPath, client: client) {
            var found = true
            if stat.isSymbolicLink {
                var link = stat.linkTarget
                if !link.hasPrefix("/") { link = CopyPath.join(CopyPath.splitDirectoryEntry(destinationPath).directory, link) }
                target.path = link
                if let resolved = try? self.stat(container, link, client: client) { stat = resolved } else { found = false }
            }
            if found {
                if let problem = stat.modeProblem {
                    throw CLIError("destination \"\(container):\(destinationPath)\" must be a directory or a regular file: \(problem)")
                }
                target.exists = true
                target.isDirectory = stat.isDirectory
            }
        }
        let directory: String
        let body: HTTPRequest.Body
        let counter = Counter()
        if sourcePath == "-" {
            guard target.isDirectory else { throw CLIError("destination \"\(container):\(destinationPath)\" must be a directory") }
            directory = target.path
            body = .stream(fd: 0, length: nil, contentType: "application/x-tar")
        } else {
            let source = try LocalPath.sourceInfo(sourcePath, followLink: followLink)
            let (parent, entry) = CopyPath.splitDirectoryEntry(source.path)
            let rename: PathRebase?
            (directory, rename) = try prepare(source, target)
            let name = rename?.to ?? source.rebaseName ?? entry
            body = .produced(contentType: "application/x-tar") { writer in
                let fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard fd >= 0 else { throw CLIError("open \(parent): \(errnoText(errno))") }
                defer { close(fd) }
                let tar = TarWriter(CountingSink(writer: writer, counter: counter))
                do {
                    try LayerWriter.writeEntry(named: Array(entry.utf8), in: fd, as: Array(name.utf8), to: tar, options: .init(subsecondTimes: false))
                    try tar.finish()
                } catch let error as ArchiveError {
                    throw CLIError(error.description)
                }
            }
        }
        var query: Query = ["path": directory, "noOverwriteDirNonDir": "true"]
        if copyOwners { query.add("copyUIDGID", "true") }
        // docker prints its summary whether the daemon took the archive or not.
        defer { if !quiet { Output.error("Successfully copied \(Units.humanSize(Double(counter.bytes))) to \(container):\(target.path)") } }
        let response = try client.send("PUT", "/containers/\(Query.escapePath(container))/archive", query: query, body: body)
        _ = try response.body.readAll()
    }

    // MARK: Shared

    /// archive.PrepareArchiveCopy: the directory the archive is extracted into, and the rename
    /// of its entries that makes the copy land where asked.
    static func prepare(_ source: Info, _ destination: Info) throws(CLIError) -> (directory: String, rename: PathRebase?) {
        let (directory, base) = CopyPath.splitDirectoryEntry(destination.path)
        let sourceBase = source.rebaseName ?? CopyPath.splitDirectoryEntry(source.path).entry
        if destination.exists && destination.isDirectory { return (destination.path, nil) }
        if destination.exists && source.isDirectory { throw CLIError("cannot copy directory") }
        if !destination.exists && !source.isDirectory && CopyPath.assertsDirectory(destination.path) {
            throw CLIError("no such directory")
        }
        return (directory, PathRebase(from: sourceBase, to: base))
    }

    /// archive.GetRebaseName: `resolved` with `path`'s trailing `/` or `/.`, and `path`'s base
    /// name when resolving changed it.
    static func rebase(_ path: String, resolved: String) -> (path: String, rebaseName: String?) {
        var resolved = resolved
        if CopyPath.specifiesCurrentDirectory(path) && !CopyPath.specifiesCurrentDirectory(resolved) { resolved += "/." }
        if CopyPath.hasTrailingSeparator(path) && !CopyPath.hasTrailingSeparator(resolved) { resolved += "/" }
        let name = CopyPath.base(path)
        return (resolved, name != CopyPath.base(resolved) ? name : nil)
    }

    /// A path's stat in the container (`HEAD /containers/{id}/archive`).
    static func stat(_ container: String, _ path: String, client: APIClient) throws -> PathStat {
        try pathStat(client.send("HEAD", "/containers/\(Query.escapePath(container))/archive", query: ["path": path]))
    }

    static func pathStat(_ response: HTTPResponse) throws -> PathStat {
        guard let header = response.header("X-Docker-Container-Path-Stat"),
              let bytes = Base64.decode(header), let json = try? JSON.parse(bytes) else {
            throw CLIError("unable to get resource stat from response: unable to decode container path stat header")
        }
        return PathStat(mode: UInt32(truncatingIfNeeded: json["mode"]?.int ?? 0), linkTarget: json["linkTarget"]?.string ?? "")
    }

    /// The daemon's `ContainerPathStat`: Go's file mode bits.
    struct PathStat {
        var mode: UInt32
        var linkTarget: String

        var isDirectory: Bool { mode & 1 << 31 != 0 }
        var isSymbolicLink: Bool { mode & 1 << 27 != 0 }
        /// ValidateOutputPathFileMode.
        var modeProblem: String? {
            if mode & 1 << 26 != 0 { return "got a device" }
            if mode & 1 << 19 != 0 { return "got an irregular file" }
            return nil
        }
    }

    /// The bytes the copy moved (the tar stream), for the summary.
    final class Counter {
        var bytes = 0
    }

    /// A request body that counts what goes through it.
    struct CountingSink: ByteSink {
        let writer: BodyWriter
        let counter: Counter

        mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
            counter.bytes += bytes.count
            try writer.write(bytes)
        }

        mutating func finish() throws {}
    }

    /// A response body as a ByteSource, counting what it reads.
    struct ResponseSource: ByteSource {
        let body: ResponseBody
        let counter: Counter
        var pending: [UInt8] = []
        var offset = 0

        init(body: ResponseBody, counter: Counter) {
            self.body = body
            self.counter = counter
        }

        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            while offset == pending.count {
                guard let part = try body.next() else { return 0 }
                pending = part
                offset = 0
                counter.bytes += part.count
            }
            let n = min(buffer.count, pending.count - offset)
            pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            offset += n
            return n
        }

        /// Reads what is left (the archive's padding), so the count is the whole stream.
        func drain() throws {
            while let part = try body.next() { counter.bytes += part.count }
        }
    }
}

/// Local paths as `docker cp` treats them (Go's filepath and Docker's archive package).
enum LocalPath {
    /// Absolute and clean, a trailing `/` or `/.` kept.
    static func resolve(_ path: String) -> String {
        CopyPath.preserveTrailingDotOrSeparator(absolute(path), path)
    }

    /// filepath.Abs.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return CopyPath.clean(path) }
        guard let cwd = getcwd(nil, 0) else { return CopyPath.clean(path) }
        defer { free(cwd) }
        return CopyPath.join(String(cString: cwd), path)
    }

    /// filepath.EvalSymlinks of an absolute path: every symlink followed; what is missing is an error.
    static func evalSymlinks(_ path: String) throws(CLIError) -> String {
        var pending = Array(path.split(separator: "/").map(String.init).reversed())
        var resolved = "/"
        var links = 0
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                resolved = CopyPath.dir(resolved)
                continue
            }
            let candidate = CopyPath.join(resolved, component)
            var st = stat()
            guard lstat(candidate, &st) == 0 else { throw CLIError("lstat \(candidate): \(errnoText(errno))") }
            guard st.st_mode & S_IFMT == S_IFLNK else {
                resolved = candidate
                continue
            }
            links += 1
            if links > 255 { throw CLIError("EvalSymlinks: too many links") }
            guard let target = FileSystem.readLink(candidate) else { throw CLIError("readlink \(candidate): \(errnoText(errno))") }
            if target.hasPrefix("/") { resolved = "/" }
            pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
        }
        return resolved
    }

    /// archive.CopyInfoSourcePath: the source with the symlinks before its last component
    /// followed (all of them with `followLink`); it must exist.
    static func sourceInfo(_ path: String, followLink: Bool) throws(CLIError) -> CopyCommand.Info {
        var resolved: String
        var rebaseName: String?
        if followLink {
            (resolved, rebaseName) = CopyCommand.rebase(path, resolved: try evalSymlinks(path))
        } else {
            let slash = path.lastIndex(of: "/")!
            let directory = String(path[...slash]), base = String(path[path.index(after: slash)...])
            resolved = try evalSymlinks(directory) + "/" + base
            if CopyPath.hasTrailingSeparator(path) && CopyPath.base(path) != CopyPath.base(resolved) {
                rebaseName = CopyPath.base(path)
            }
        }
        var st = stat()
        guard lstat(resolved, &st) == 0 else { throw CLIError("lstat \(resolved): \(errnoText(errno))") }
        return CopyCommand.Info(path: resolved, exists: true, isDirectory: st.st_mode & S_IFMT == S_IFDIR, rebaseName: rebaseName)
    }

    /// archive.CopyInfoDestinationPath: symlinks at the destination followed (10 at most); a
    /// missing destination needs an existing parent directory.
    static func destinationInfo(_ path: String) throws(CLIError) -> CopyCommand.Info {
        var path = path
        var st = stat()
        var found = lstat(path, &st) == 0
        var links = 0
        while found && st.st_mode & S_IFMT == S_IFLNK {
            links += 1
            if links > 11 { throw CLIError("too many symlinks in \(path)") }
            guard var target = FileSystem.readLink(path) else { throw CLIError("readlink \(path): \(errnoText(errno))") }
            if !target.hasPrefix("/") { target = CopyPath.join(CopyPath.splitDirectoryEntry(path).directory, target) }
            path = target
            found = lstat(path, &st) == 0
        }
        if found { return CopyCommand.Info(path: path, exists: true, isDirectory: st.st_mode & S_IFMT == S_IFDIR) }
        guard errno == ENOENT else { throw CLIError("lstat \(path): \(errnoText(errno))") }
        let parent = CopyPath.splitDirectoryEntry(path).directory
        guard stat(parent, &st) == 0 else { throw CLIError("stat \(parent): \(errnoText(errno))") }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw CLIError("not a directory") }
        return CopyCommand.Info(path: path)
    }

    /// command.ValidateOutputPath: the parent exists; the path, if it exists, is a directory,
    /// a regular file, or at least not a device.
    static func validateOutput(_ path: String) throws(CLIError) {
        let directory = CopyPath.dir(CopyPath.clean(path))
        var st = stat()
        if directory != "." && stat(directory, &st) != 0 && errno == ENOENT {
            throw CLIError("invalid output path: directory \"\(directory)\" does not exist")
        }
        guard stat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw CLIError("stat \(path): \(errnoText(errno))")
        }
        let type = st.st_mode & S_IFMT
        if type == S_IFCHR || type == S_IFBLK {
            throw CLIError("invalid output path: \"\(path)\" must be a directory or a regular file: got a device")
        }
    }
}
