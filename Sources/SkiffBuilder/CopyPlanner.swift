import Glibc
import SkiffArchive
import SkiffBuild
import SkiffSystem

/// Works out a COPY or ADD: its sources (wildcards matched) in the source tree — the build
/// context or another stage's or image's root file system, every path resolved inside it so
/// neither `..` nor a symlink reaches outside — and where each lands under the destination
/// root, following the Dockerfile rules: a directory's contents are copied, not the
/// directory; several sources need a destination ending in `/`; a file lands inside the
/// destination when that is (or must be) a directory.
struct CopyPlanner {
    /// The host directory standing for the sources' `/`.
    let sourceRoot: String
    /// The root file system being written (checked for what already exists).
    let destinationRoot: String
    /// The instruction's name for messages (`COPY`, `ADD`).
    let instruction: String
    /// ADD: local tar archives are unpacked.
    let unpackArchives: Bool
    /// `--chmod`, applied to every file and directory copied.
    let chmod: UInt32?
    /// `--exclude` patterns, matched against source-relative paths.
    let excludes: DockerIgnore?
    /// `COPY --parents`: each source keeps its directories under the destination.
    var keepParents = false

    /// `downloads`: ADD's URLs, fetched already; they land like files (0600), never unpacked.
    func plan(sources: [CopySource], destination: String, downloads: [Download] = []) throws(BuildError) -> CopyPlan {
        var matched: [(path: String, entry: stat)] = []
        var inline: [InlineFile] = []
        for source in sources {
            switch source {
            case .inline(let file):
                inline.append(file)
            case .path(let path):
                let found = try match(path)
                if found.isEmpty {
                    throw BuildError("\(instruction) failed: no source files were specified")
                }
                matched += found
            }
        }
        let count = matched.count + inline.count + downloads.count
        let destinationIsDirectory = destination.hasSuffix("/") || destination.hasSuffix("/.")
        if count > 1 && !destinationIsDirectory {
            throw BuildError("When using \(instruction) with more than one source file, the destination must be a directory and end with a /")
        }
        let unresolved = target(destination)
        let targetIsDirectory = destinationIsDirectory || existingDirectory(unresolved)
        // Symlinks on the way to the destination are followed inside the image (`/evil` -> `/x`
        // makes `/evil/f` land in `/x/f`); a file's own name is not resolved.
        let target = resolveInDestination(unresolved, wholePath: targetIsDirectory || matched.contains { $0.entry.st_mode & S_IFMT == S_IFDIR })

        var plan = CopyPlan()
        var directoryNeeded = targetIsDirectory || matched.contains { $0.entry.st_mode & S_IFMT == S_IFDIR }
        for (path, entry) in matched {
            let host = sourceRoot + path
            // --parents: `a/b/c` lands as `<target>/a/b/c` (the directories between made on extraction).
            let target = keepParents ? join(target, String(CopyPath.dir(path).dropFirst())) : target
            switch entry.st_mode & S_IFMT {
            case S_IFDIR:
                try walk(directory: host, relative: "", into: target, plan: &plan)
            case S_IFREG where unpackArchives && Self.isArchive(host):
                plan.items.append(.archive(source: host, directory: target))
                directoryNeeded = true
            case S_IFREG:
                let name = targetIsDirectory || keepParents ? join(target, CopyPath.base(path)) : target
                plan.items.append(.file(destination: name, source: host, mode: mode(entry), size: Int64(entry.st_size), time: time(entry)))
            default:
                throw BuildError("\(instruction) failed: \(path) is not a file or directory")
            }
        }
        for download in downloads {
            let name = targetIsDirectory ? join(target, download.name) : target
            plan.items.append(.file(destination: name, source: download.path, mode: chmod ?? 0o600, size: download.size,
                                    time: download.modified ?? CopyPlan.now()))
        }
        for file in inline {
            let name = targetIsDirectory ? join(target, file.name) : target
            plan.items.append(.inline(destination: name, contents: Array(file.data.utf8), mode: chmod ?? 0o644))
        }
        let parent = directoryNeeded ? target : String(CopyPath.dir("/" + target).dropFirst())
        plan.missingDirectories = Self.missingDirectories(parent, in: destinationRoot)
        return plan
    }

    /// The destination relative to the root ("" for `/`).
    private func target(_ destination: String) -> String {
        String(CopyPath.clean(destination).dropFirst())
    }

    // MARK: Sources

    /// The source paths `pattern` names (resolved inside the source root), with what they are.
    private func match(_ pattern: String) throws(BuildError) -> [(path: String, entry: stat)] {
        let cleaned = CopyPath.clean("/" + pattern)
        let tree = RootedTree(root: sourceRoot)
        guard Self.hasWildcard(cleaned) else {
            let resolved: String
            do {
                resolved = try tree.resolve(cleaned)
            } catch {
                throw BuildError("\(instruction) failed: \(pattern): \(error)")
            }
            guard let entry = lstatEntry(sourceRoot + resolved), !isExcluded(String(resolved.dropFirst())) else {
                throw BuildError("\(instruction) failed: file not found in build context or excluded by .dockerignore: stat \(pattern): file does not exist")
            }
            return [(resolved, entry)]
        }
        var candidates = ["/"]
        for component in cleaned.split(separator: "/").map(String.init) {
            var next: [String] = []
            for directory in candidates {
                guard let resolved = try? tree.resolve(directory) else { continue }
                if Self.hasWildcard(component) {
                    for name in listDirectory(sourceRoot + resolved) where fnmatch(component, name, 0) == 0 {
                        next.append(join(directory, name, absolute: true))
                    }
                } else {
                    next.append(join(directory, component, absolute: true))
                }
            }
            candidates = next
        }
        var found: [(String, stat)] = []
        for candidate in candidates.sorted() {
            guard let resolved = try? tree.resolve(candidate), let entry = lstatEntry(sourceRoot + resolved),
                  !isExcluded(String(resolved.dropFirst())) else { continue }
            found.append((resolved, entry))
        }
        return found
    }

    /// Everything below `directory` (a host path), in name order, into `target`.
    private func walk(directory: String, relative: String, into target: String, plan: inout CopyPlan) throws(BuildError) {
        for name in listDirectory(directory) {
            let sourcePath = relative.isEmpty ? name : relative + "/" + name
            if isExcluded(sourcePath) { continue }
            let host = directory + "/" + name
            guard let entry = lstatEntry(host) else { continue }
            let destination = join(target, sourcePath)
            switch entry.st_mode & S_IFMT {
            case S_IFDIR:
                plan.items.append(.directory(destination: destination, mode: mode(entry), time: time(entry)))
                try walk(directory: host, relative: sourcePath, into: target, plan: &plan)
            case S_IFREG:
                plan.items.append(.file(destination: destination, source: host, mode: mode(entry), size: Int64(entry.st_size), time: time(entry)))
            case S_IFLNK:
                plan.items.append(.symlink(destination: destination, target: readLink(host), time: time(entry)))
            default:
                continue  // sockets, fifos and devices are not copied
            }
        }
    }

    private func isExcluded(_ relative: String) -> Bool {
        guard let excludes, !relative.isEmpty else { return false }
        return excludes.excludes(relative)
    }

    // MARK: Destination

    private func resolveInDestination(_ path: String, wholePath: Bool) -> String {
        guard !path.isEmpty else { return path }
        let tree = RootedTree(root: destinationRoot)
        if wholePath {
            guard let resolved = try? tree.resolve("/" + path) else { return path }
            return String(resolved.dropFirst())
        }
        let parent = CopyPath.dir("/" + path)
        guard parent != "/", let resolved = try? tree.resolve(parent) else { return path }
        return join(String(resolved.dropFirst()), CopyPath.base(path))
    }

    private func existingDirectory(_ path: String) -> Bool {
        guard !path.isEmpty else { return true }
        guard let entry = try? RootedTree(root: destinationRoot).stat("/" + path + "/") else { return false }
        return entry.isDirectory
    }

    /// The directories of `path` (relative) that `root` lacks, outermost first.
    static func missingDirectories(_ path: String, in root: String) -> [String] {
        guard !path.isEmpty else { return [] }
        var missing: [String] = []
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            if !missing.isEmpty || (try? RootedTree(root: root).stat("/" + prefix + "/")) == nil {
                missing.append(prefix)
            }
        }
        return missing
    }

    // MARK: Helpers

    private func mode(_ entry: stat) -> UInt32 { chmod ?? (UInt32(entry.st_mode) & 0o7777) }

    private func time(_ entry: stat) -> TarTimestamp {
        TarTimestamp(seconds: Int64(entry.st_mtim.tv_sec), nanoseconds: Int32(entry.st_mtim.tv_nsec))
    }

    private func join(_ base: String, _ name: String, absolute: Bool = false) -> String {
        if absolute { return base == "/" ? "/" + name : base + "/" + name }
        return base.isEmpty ? name : base + "/" + name
    }

    private func lstatEntry(_ path: String) -> stat? {
        var entry = stat()
        return lstat(path, &entry) == 0 ? entry : nil
    }

    private func readLink(_ path: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return "" }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func listDirectory(_ path: String) -> [String] {
        Directories.list(path).sorted()
    }

    static func hasWildcard(_ path: String) -> Bool {
        path.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// A tar archive ADD unpacks: gzip or zstd data, or a plain tar (`ustar` at 257).
    static func isArchive(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 512)
        let count = header.withUnsafeMutableBytes { read(fd, $0.baseAddress, 512) }
        guard count >= 4 else { return false }
        if header.starts(with: [0x1F, 0x8B]) || header.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return true }
        return count >= 262 && Array(header[257..<262]) == Array("ustar".utf8)
    }
}
