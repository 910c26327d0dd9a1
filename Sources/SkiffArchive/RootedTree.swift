import Glibc

/// A directory tree seen as a whole root file system (a container's): every path is resolved
/// inside it as if it were `/` (openat2 `RESOLVE_IN_ROOT`, or the manual walk where that is
/// missing), so neither `..` nor a symlink — absolute, relative, or made by a hostile image —
/// can reach outside it. `docker cp`'s three operations on it: stat a path, archive a path with
/// Docker's entry names, and extract an archive into a directory.
public struct RootedTree: Sendable {
    /// The directory that stands for `/`.
    public let root: String
    /// How the root is shown in messages: "" when it stands for `/` (a container's root: paths
    /// read `/etc/x`), else its own path (a local destination directory).
    public var displayRoot: String

    public init(root: String, displayRoot: String = "") {
        self.root = root
        self.displayRoot = displayRoot
    }

    /// What `stat` found.
    public struct Entry: Sendable, Equatable {
        /// The last component of the path asked for (Go's `filepath.Base`: `.` for `dir/.`).
        public var name: String
        /// `st_mode`: type and permission bits.
        public var mode: UInt32
        public var size: Int64
        public var modificationTime: TarTimestamp
        /// A symlink's target resolved inside the root as far as it exists (absolute), else "".
        public var linkTarget: String

        public var isDirectory: Bool { mode & S_IFMT == S_IFDIR }
        public var isSymbolicLink: Bool { mode & S_IFMT == S_IFLNK }
    }

    /// How `extract` writes.
    public struct CopyOptions: Sendable {
        public var ownership: Ownership
        /// An existing directory is never replaced by a non-directory, nor the reverse: an error.
        public var noOverwriteDirNonDir: Bool
        /// Renames applied to every entry name, in order.
        public var rebases: [PathRebase]
        /// Names (and hard link targets) that climb out of the directory are taken as if it
        /// were `/` (`../../x` is `x`, `/etc/x` is `etc/x`), as an extraction chrooted into it
        /// reads them (ADD of an archive); otherwise such an entry is an error (`docker cp`).
        public var confineNames: Bool

        public init(ownership: Ownership = .preserve, noOverwriteDirNonDir: Bool = false, rebases: [PathRebase] = [],
                    confineNames: Bool = false) {
            self.ownership = ownership
            self.noOverwriteDirNonDir = noOverwriteDirNonDir
            self.rebases = rebases
            self.confineNames = confineNames
        }
    }

    // MARK: Stat

    /// `lstat` of `path` (relative paths are taken from `/`): symlinks before the last component
    /// are followed inside the root, the last one is not — unless the path ends in `/` or `/.`.
    /// Errors are `.system` with the errno, the path as Docker shows it as subject.
    public func stat(_ path: String) throws -> Entry {
        let tree = try ExtractionRoot(path: root)
        return try stat(Located(path), in: tree)
    }

    /// The path with every symlink in it expanded inside the root, `..` applied lexically, parts
    /// that do not exist kept as they are (moby's FollowSymlinkInScope); absolute.
    public func resolve(_ path: String) throws -> String {
        let tree = try ExtractionRoot(path: root)
        return try resolve(CopyPath.clean("/" + path), in: tree)
    }

    // MARK: Archive

    /// Writes `path` into `writer` as `docker cp` names it (the tar is not finished): a file or
    /// symlink as its base name; a directory as its base name and everything below it (`dir/.`
    /// as `./...`, `/` as `/...`). Returns what was archived.
    @discardableResult
    public func archive<S: ByteSink>(_ path: String, to writer: TarWriter<S>, options: LayerWriter.Options = .init()) throws -> Entry {
        let tree = try ExtractionRoot(path: root)
        let located = Located(path)
        let entry = try stat(located, in: tree)
        let base = CopyPath.base(located.absolute)
        if entry.isDirectory {
            let fd = tree.open(located.relative, flags: O_RDONLY | O_DIRECTORY)
            if fd < 0 { throw ArchiveError.system(located.absolute, "open") }
            defer { close(fd) }
            try LayerWriter.writeEntry(named: [UInt8(ascii: ".")], in: fd, as: Array(base.utf8), to: writer, options: options)
        } else {
            let (parent, name) = TarPath.split(located.relative)
            let fd = tree.open(parent, flags: O_PATH_FLAG | O_DIRECTORY)
            if fd < 0 { throw ArchiveError.system(located.absolute, "open") }
            defer { close(fd) }
            try LayerWriter.writeEntry(named: name, in: fd, as: Array(base.utf8), to: writer, options: options)
        }
        return entry
    }

    // MARK: Extract

    /// Extracts the archive read from `archive` (gzip, zstd or plain) into `directory`, a
    /// directory inside the root the caller has resolved (Docker resolves it fully). Entry names
    /// are relative to it and may not climb out of it; the archive's own `.` entry is skipped
    /// (the directory keeps its metadata); missing parents are made (0755).
    public func extract<S: ByteSource>(_ archive: S, into directory: String, options: CopyOptions = .init()) throws {
        let tree = try ExtractionRoot(path: root)
        let base = Array(CopyPath.clean("/" + directory).utf8.dropFirst())
        var extractOptions = ExtractOptions(ownership: options.ownership, bestEffortXattrs: true)
        extractOptions.decompressInBackground = false
        let extractor = Extractor(root: tree, options: extractOptions)
        let reader = TarReader(try DecompressingSource(archive, bufferSize: extractOptions.bufferSize), bufferSize: extractOptions.bufferSize)
        while let read = try reader.next() {
            var entry = read
            let subject = ArchiveError.entry(entry.path)
            for rebase in options.rebases {
                entry.pathBytes = rebase.apply(entry.pathBytes)
                if entry.kind == .hardLink { entry.linkTargetBytes = rebase.apply(entry.linkTargetBytes) }
            }
            if entry.pathBytes.contains(0) || entry.linkTargetBytes.contains(0) {
                throw ArchiveError(.unsafePath, subject, "path or link target contains NUL")
            }
            if options.confineNames {
                entry.pathBytes = Self.confined(entry.pathBytes)
                if entry.kind == .hardLink { entry.linkTargetBytes = Self.confined(entry.linkTargetBytes) }
            }
            guard let relative = TarPath.clean(entry.pathBytes) else {
                throw ArchiveError(.unsafePath, subject, "\(goQuote(entry.path)) is outside of \(goQuote(display(base)))")
            }
            if relative.isEmpty {
                guard entry.kind == .directory else {
                    throw ArchiveError(.unsafePath, subject, "would replace \(goQuote(display(base)))")
                }
                continue
            }
            let path = TarPath.join(base, relative)
            if entry.kind == .hardLink {
                guard let target = TarPath.clean(entry.linkTargetBytes), !target.isEmpty else {
                    throw ArchiveError(.unsafePath, subject, "invalid hardlink \(goQuote(entry.path)) -> \(goQuote(entry.linkTarget))")
                }
                entry.linkTargetBytes = TarPath.join(base, target)
            }
            if options.noOverwriteDirNonDir { try checkOverwrite(entry, at: path, base: base, in: tree) }
            try extractor.extract(entry, at: path, from: reader)
        }
        try extractor.finish()
        _ = try reader.drain()
    }

    // MARK: Internals

    /// A name cleaned as if its directory were `/`: never above it.
    static func confined(_ name: [UInt8]) -> [UInt8] {
        let cleaned = CopyPath.clean("/" + String(decoding: name, as: UTF8.self))
        return cleaned == "/" ? Array(".".utf8) : Array(cleaned.utf8.dropFirst())
    }

    /// A path as Docker takes it: made absolute and cleaned, a trailing `/` or `/.` kept.
    struct Located {
        /// `/etc/x`, `/tmp/d/.`, `/tmp/d/`.
        let absolute: String
        /// Cleaned, without the leading slash ("" for the root).
        let relative: [UInt8]
        /// The last component must be a directory and is followed if a symlink.
        let followsLast: Bool

        init(_ path: String) {
            absolute = CopyPath.preserveTrailingDotOrSeparator(CopyPath.join("/", path), path)
            relative = Array(CopyPath.clean(absolute).utf8.dropFirst())
            followsLast = relative.isEmpty || CopyPath.assertsDirectory(absolute)
        }
    }

    private func stat(_ located: Located, in tree: ExtractionRoot) throws -> Entry {
        var status = Glibc.stat()
        if located.followsLast {
            let fd = tree.open(located.relative, flags: O_PATH_FLAG | O_DIRECTORY)
            if fd < 0 { throw ArchiveError.system(located.absolute, "lstat") }
            defer { close(fd) }
            if fstat(fd, &status) != 0 { throw ArchiveError.system(located.absolute, "lstat") }
        } else {
            let (parent, name) = TarPath.split(located.relative)
            let fd = tree.open(parent, flags: O_PATH_FLAG | O_DIRECTORY)
            if fd < 0 { throw ArchiveError.system(located.absolute, "lstat") }
            defer { close(fd) }
            let found = withCString(name) { fstatat(fd, $0, &status, AT_SYMLINK_NOFOLLOW) }
            if found != 0 { throw ArchiveError.system(located.absolute, "lstat") }
        }
        var entry = Entry(
            name: CopyPath.base(located.absolute), mode: status.st_mode, size: Int64(status.st_size),
            modificationTime: TarTimestamp(seconds: Int64(status.st_mtim.tv_sec), nanoseconds: Int32(status.st_mtim.tv_nsec)),
            linkTarget: "")
        if entry.isSymbolicLink {
            entry.linkTarget = try resolve(CopyPath.clean(located.absolute), in: tree)
        }
        return entry
    }

    /// FollowSymlinkInScope over `path` (absolute, clean).
    private func resolve(_ path: String, in tree: ExtractionRoot) throws -> String {
        var resolved: [[UInt8]] = []
        var pending: [[UInt8]] = Array(Array(path.utf8).split(separator: UInt8(ascii: "/")).map(Array.init).reversed())
        var steps = 0
        while let component = pending.popLast() {
            steps += 1
            if steps > 255 { throw ArchiveError.system(path, "resolve (too many links)", errno: ELOOP) }
            if component == [0x2e] { continue }
            if component == [0x2e, 0x2e] {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let parent = Array(resolved.joined(separator: [UInt8(ascii: "/")]))
            let fd = tree.open(parent, flags: O_PATH_FLAG | O_DIRECTORY)
            if fd < 0 {
                if errno == ENOENT { resolved.append(component); continue }
                throw ArchiveError.system(path, "lstat")
            }
            defer { close(fd) }
            var status = Glibc.stat()
            if withCString(component, { fstatat(fd, $0, &status, AT_SYMLINK_NOFOLLOW) }) != 0 {
                if errno == ENOENT { resolved.append(component); continue }
                throw ArchiveError.system(path, "lstat")
            }
            guard status.st_mode & S_IFMT == S_IFLNK else {
                resolved.append(component)
                continue
            }
            var target = [UInt8](repeating: 0, count: 4097)
            let length = withCString(component) { name in
                target.withUnsafeMutableBytes { readlinkat(fd, name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4096) }
            }
            if length < 0 { throw ArchiveError.system(path, "readlink") }
            if target.first == UInt8(ascii: "/") { resolved = [] }
            pending.append(contentsOf: target[..<length].split(separator: UInt8(ascii: "/")).map(Array.init).reversed())
        }
        return "/" + String(decoding: Array(resolved.joined(separator: [UInt8(ascii: "/")])), as: UTF8.self)
    }

    /// `noOverwriteDirNonDir`: what is at `path` keeps its kind (directory or not).
    private func checkOverwrite(_ entry: TarEntry, at path: [UInt8], base: [UInt8], in tree: ExtractionRoot) throws {
        let (parent, name) = TarPath.split(path)
        guard let fd = try tree.openDirectory(parent, create: false, subject: ArchiveError.entry(entry.path)) else { return }
        defer { close(fd) }
        var status = Glibc.stat()
        guard withCString(name, { fstatat(fd, $0, &status, AT_SYMLINK_NOFOLLOW) }) == 0 else { return }
        let isDirectory = status.st_mode & S_IFMT == S_IFDIR
        if isDirectory && entry.kind != .directory {
            throw ArchiveError(.conflict, ArchiveError.entry(entry.path),
                               "cannot overwrite directory \(goQuote(display(path))) with non-directory \(goQuote(display(base)))")
        }
        if !isDirectory && entry.kind == .directory {
            throw ArchiveError(.conflict, ArchiveError.entry(entry.path),
                               "cannot overwrite non-directory \(goQuote(display(path))) with directory \(goQuote(display(base)))")
        }
    }

    /// A root-relative path as messages show it.
    private func display(_ path: [UInt8]) -> String {
        let text = String(decoding: path, as: UTF8.self)
        if displayRoot.isEmpty { return "/" + text }
        return text.isEmpty ? displayRoot : CopyPath.join(displayRoot, text)
    }
}

/// Go's `%q` for the plain paths of messages: quotes, with `"` and `\` escaped.
func goQuote(_ text: String) -> String {
    var out = "\""
    for c in text {
        if c == "\"" || c == "\\" { out.append("\\") }
        out.append(c)
    }
    return out + "\""
}
