import CZlib
import Glibc

/// How extracted files get their owners.
public enum Ownership: Sendable {
    /// The uid and gid in the archive (needs root, or CAP_CHOWN).
    case preserve
    /// Whoever extracts owns everything (no chown).
    case ignore
    /// The archive's ids passed through a function, e.g. into a user namespace's range.
    case remap(@Sendable (_ uid: UInt32, _ gid: UInt32) -> (uid: UInt32, gid: UInt32))
}

/// Options for extraction and layer application.
public struct ExtractOptions: Sendable {
    public var ownership: Ownership
    /// Ignore xattrs the file system refuses (EPERM, ENOTSUP) instead of failing.
    public var bestEffortXattrs: Bool
    /// Bytes per read and per write(2) at most; contents go from the tar reader's buffer
    /// straight to the file.
    public var bufferSize: Int
    /// Decompress on a helper thread, overlapping with the file system work (layers only).
    public var decompressInBackground: Bool

    /// Resolve paths with openat2(RESOLVE_IN_ROOT); false walks them component by component in
    /// Swift instead, which is also what happens where openat2 is missing. Both keep every path
    /// inside the root.
    public var useOpenat2: Bool

    public init(
        ownership: Ownership = .preserve, bestEffortXattrs: Bool = false, bufferSize: Int = 1 << 20,
        decompressInBackground: Bool = true, useOpenat2: Bool = true
    ) {
        self.ownership = ownership
        self.bestEffortXattrs = bestEffortXattrs
        self.bufferSize = bufferSize
        self.decompressInBackground = decompressInBackground
        self.useOpenat2 = useOpenat2
    }
}

/// The directory extraction happens in. Every path is resolved with
/// `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)` below it, so `..` and symlinks (absolute
/// ones, relative ones, ones the archive itself made) resolve as if it were `/`; the final
/// component is then handled with `*at` calls that do not follow it.
final class ExtractionRoot {
    let fd: Int32
    let path: String
    private var cachedPath: [UInt8]?
    private var cachedFD: Int32 = -1

    /// Resolves paths in Swift, component by component, instead of with openat2: asked for, or
    /// because openat2 is missing (Linux < 5.6, or a seccomp filter that predates it).
    let resolvesManually: Bool

    init(path: String, useOpenat2: Bool = true) throws {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw ArchiveError.system("extraction root \"\(path)\"", "open") }
        self.fd = fd
        self.path = path
        if useOpenat2 {
            let probe = czlib_openat2_in_root(fd, ".", O_PATH_FLAG | O_DIRECTORY | O_CLOEXEC, 0)
            if probe >= 0 { close(probe) }
            resolvesManually = probe < 0 && (errno == ENOSYS || errno == EPERM)
        } else {
            resolvesManually = true
        }
    }

    deinit {
        if cachedFD >= 0 { close(cachedFD) }
        close(fd)
    }

    /// Forgets the cached directory handle.
    ///
    /// Not needed after removals: every operation resolves its parent through the cache first,
    /// so a removal only ever touches a child of the cached directory, never its path.
    func invalidate() {
        if cachedFD >= 0 { close(cachedFD) }
        cachedFD = -1
        cachedPath = nil
    }

    /// Opens the directory at `path` below the root (`flags` must include O_DIRECTORY; with
    /// O_NOFOLLOW a final symlink is not followed); -1 with errno on failure.
    func open(_ path: [UInt8], flags: Int32) -> Int32 {
        precondition(flags & O_DIRECTORY != 0, "ExtractionRoot.open is for directories")
        if !resolvesManually {
            return withCString(path.isEmpty ? [0x2e] : path) { czlib_openat2_in_root(fd, $0, flags | O_CLOEXEC, 0) }
        }
        do {
            if flags & O_NOFOLLOW != 0, !path.isEmpty {
                let (parent, name) = TarPath.split(path)
                let parentFD = try walk(parent, create: false, subject: "")
                defer { close(parentFD) }
                return withCString(name) { openat(parentFD, $0, flags | O_CLOEXEC) }
            }
            let resolved = try walk(path, create: false, subject: "")
            defer { close(resolved) }
            return withCString([0x2e]) { openat(resolved, $0, flags | O_CLOEXEC) }
        } catch {
            errno = (error as? ArchiveError)?.errno ?? EIO
            return -1
        }
    }

    /// A handle (O_PATH) on the directory at `path`, made with its parents (0755) if missing
    /// when `create`; owned by the root: do not close it, and do not keep it past the next call.
    /// nil if it is missing and not `create`.
    func directory(_ path: [UInt8], create: Bool, subject: @autoclosure () -> String) throws -> Int32? {
        if let cachedPath, cachedPath == path { return cachedFD }
        guard let fd = try openDirectory(path, create: create, subject: subject()) else { return nil }
        invalidate()
        cachedPath = path
        cachedFD = fd
        return fd
    }

    /// Like `directory`, but a new handle the caller closes.
    func openDirectory(_ path: [UInt8], create: Bool, flags: Int32 = O_PATH_FLAG, subject: @autoclosure () -> String) throws -> Int32? {
        let fd = open(path, flags: flags | O_DIRECTORY)
        if fd >= 0 { return fd }
        guard errno == ENOENT else {
            throw ArchiveError.system(subject(), "open directory \"\(TarPath.text(path))\"")
        }
        guard create else { return nil }
        let made = try walk(path, create: true, subject: subject())
        defer { close(made) }
        let reopened = withCString([0x2e]) { openat(made, $0, flags | O_DIRECTORY | O_CLOEXEC) }
        if reopened < 0 { throw ArchiveError.system(subject(), "open directory \"\(TarPath.text(path))\"") }
        return reopened
    }

    /// Resolves `path` below the root one component at a time, as the kernel would with the root
    /// as `/`, and, when `create`, makes each missing directory (0755) on the way, including the
    /// targets of dangling symlinks (as `mkdir -p` does in a chroot). Every step is an `*at` call
    /// with `O_NOFOLLOW` on a directory already inside the root; `..` pops a stack that never
    /// goes below it. Returns an O_PATH handle on the directory.
    private func walk(_ path: [UInt8], create: Bool, subject: @autoclosure () -> String) throws -> Int32 {
        var stack: [Int32] = [dup(fd)]
        defer { for handle in stack { close(handle) } }
        if stack[0] < 0 { throw ArchiveError.system(subject(), "dup") }
        var pending = Array(path.split(separator: UInt8(ascii: "/")).reversed())
        var links = 0
        while let component = pending.popLast() {
            if component.elementsEqual([0x2e]) { continue }
            if component.elementsEqual([0x2e, 0x2e]) {
                if stack.count > 1 { close(stack.removeLast()) }
                continue
            }
            let name = Array(component)
            let current = stack[stack.count - 1]
            let next = try withCString(name) { cName -> Int32 in
                var handle = openat(current, cName, O_PATH_FLAG | O_NOFOLLOW | O_CLOEXEC)
                if handle < 0, errno == ENOENT, create {
                    if mkdirat(current, cName, 0o755) != 0, errno != EEXIST {
                        throw ArchiveError.system(subject(), "mkdir \"\(TarPath.text(path))\"")
                    }
                    handle = openat(current, cName, O_PATH_FLAG | O_NOFOLLOW | O_CLOEXEC)
                }
                if handle < 0 { throw ArchiveError.system(subject(), "open directory \"\(TarPath.text(path))\"") }
                return handle
            }
            var status = stat()
            if fstatat(next, "", &status, AT_EMPTY_PATH_FLAG) != 0 {
                close(next)
                throw ArchiveError.system(subject(), "stat \"\(TarPath.text(path))\"")
            }
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                stack.append(next)
            case S_IFLNK:
                close(next)
                links += 1
                if links > 40 { throw ArchiveError.system(subject(), "resolve \"\(TarPath.text(path))\"", errno: ELOOP) }
                let target = try withCString(name) { cName -> [UInt8] in
                    var buffer = [UInt8](repeating: 0, count: 4097)
                    let length = buffer.withUnsafeMutableBytes {
                        readlinkat(current, cName, $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4096)
                    }
                    if length < 0 { throw ArchiveError.system(subject(), "readlink \"\(TarPath.text(path))\"") }
                    return Array(buffer[..<length])
                }
                if target.first == UInt8(ascii: "/") {
                    while stack.count > 1 { close(stack.removeLast()) }
                }
                pending.append(contentsOf: target.split(separator: UInt8(ascii: "/")).reversed())
            default:
                close(next)
                throw ArchiveError.system(subject(), "open directory \"\(TarPath.text(path))\"", errno: ENOTDIR)
            }
        }
        return stack.removeLast()
    }
}

/// Writes tar entries into an `ExtractionRoot`: files, directories, links, devices and FIFOs
/// with their modes (setuid, sticky), owners, xattrs and mtimes. Directories' mtimes are set in
/// `finish()`, after their contents.
final class Extractor {
    let root: ExtractionRoot
    let options: ExtractOptions
    private var directoryTimes: [([UInt8], TarTimestamp)] = []

    init(root: ExtractionRoot, options: ExtractOptions) {
        self.root = root
        self.options = options
    }

    /// Creates `entry` at the cleaned `path`, its contents read from `reader`.
    func extract<S: ByteSource>(_ entry: TarEntry, at path: [UInt8], from reader: TarReader<S>) throws {
        let subject = ArchiveError.entry(entry.path)
        if path.isEmpty {
            guard entry.kind == .directory else {
                throw ArchiveError(.unsafePath, subject, "would replace the extraction root")
            }
            let fd = root.open([], flags: O_RDONLY | O_DIRECTORY)
            if fd < 0 { throw ArchiveError.system(subject, "open") }
            defer { close(fd) }
            try setMetadata(fd: fd, entry, subject: subject)
            directoryTimes.append((path, entry.modificationTime))
            return
        }
        let (parent, name) = TarPath.split(path)
        guard let directory = try root.directory(parent, create: true, subject: subject) else {
            throw ArchiveError.system(subject, "open parent directory", errno: ENOENT)
        }
        try withCString(name) { cName in
            switch entry.kind {
            case .regular:
                try writeFile(entry, directory, cName, name, reader, subject)
            case .directory:
                try makeDirectory(entry, directory, cName, name, path, subject)
            case .symbolicLink:
                try create(directory, cName, name, subject, "symlink") {
                    withCString(entry.linkTargetBytes) { symlinkat($0, directory, cName) }
                }
                try setMetadata(directory: directory, name: name, cName: cName, entry, isSymlink: true, subject: subject)
            case .hardLink:
                try makeHardLink(entry, directory, cName, name, subject)
            case .characterDevice, .blockDevice, .fifo:
                let type: UInt32 = switch entry.kind {
                case .characterDevice: S_IFCHR
                case .blockDevice: S_IFBLK
                default: S_IFIFO
                }
                let device = czlib_makedev(entry.deviceMajor, entry.deviceMinor)
                try create(directory, cName, name, subject, "mknod") {
                    mknodat(directory, cName, type | (entry.mode & 0o777), __dev_t(device))
                }
                try setMetadata(directory: directory, name: name, cName: cName, entry, isSymlink: false, subject: subject)
            }
        }
    }

    /// Sets the directories' mtimes, deepest first.
    func finish() throws {
        for (path, time) in directoryTimes.reversed() {
            let fd = root.open(path, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            if fd < 0 {
                if errno == ENOENT || errno == ENOTDIR || errno == ELOOP { continue }
                throw ArchiveError.system(ArchiveError.entry(TarPath.text(path)), "open directory for mtime")
            }
            var times = Self.timespecs(time)
            let status = futimens(fd, &times)
            let code = errno
            close(fd)
            if status != 0 { throw ArchiveError.system(ArchiveError.entry(TarPath.text(path)), "utimensat", errno: code) }
        }
        directoryTimes = []
    }

    /// Runs `make`; if the name is taken, removes what is there (a directory with its contents)
    /// and runs it again.
    private func create(_ directory: Int32, _ cName: UnsafePointer<CChar>, _ name: [UInt8], _ subject: String, _ call: String, _ make: () -> Int32) throws {
        if make() == 0 { return }
        guard errno == EEXIST else { throw ArchiveError.system(subject, call) }
        try removeAll(in: directory, name, subject: subject)
        if make() != 0 { throw ArchiveError.system(subject, call) }
    }

    private func writeFile<S: ByteSource>(_ entry: TarEntry, _ directory: Int32, _ cName: UnsafePointer<CChar>, _ name: [UInt8], _ reader: TarReader<S>, _ subject: String) throws {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var fd = openat(directory, cName, flags, 0o600)
        if fd < 0 {
            guard errno == EEXIST else { throw ArchiveError.system(subject, "open") }
            try removeAll(in: directory, name, subject: subject)
            fd = openat(directory, cName, flags, 0o600)
            if fd < 0 { throw ArchiveError.system(subject, "open") }
        }
        defer { close(fd) }
        let limit = max(options.bufferSize, 4096)
        while true {
            let chunk = try reader.contentChunk(maxCount: limit)
            if chunk.isEmpty { break }
            try writeAll(fd, chunk, subject: subject)
        }
        try setMetadata(fd: fd, entry, subject: subject)
        var times = Self.timespecs(entry.modificationTime)
        if futimens(fd, &times) != 0 { throw ArchiveError.system(subject, "utimensat") }
    }

    private func makeDirectory(_ entry: TarEntry, _ directory: Int32, _ cName: UnsafePointer<CChar>, _ name: [UInt8], _ path: [UInt8], _ subject: String) throws {
        if mkdirat(directory, cName, 0o700) != 0 {
            guard errno == EEXIST else { throw ArchiveError.system(subject, "mkdir") }
            var status = stat()
            if fstatat(directory, cName, &status, AT_SYMLINK_NOFOLLOW) != 0 { throw ArchiveError.system(subject, "lstat") }
            if status.st_mode & S_IFMT != S_IFDIR {
                try removeAll(in: directory, name, subject: subject)
                if mkdirat(directory, cName, 0o700) != 0 { throw ArchiveError.system(subject, "mkdir") }
            }
        }
        let fd = openat(directory, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { throw ArchiveError.system(subject, "open directory") }
        defer { close(fd) }
        try setMetadata(fd: fd, entry, subject: subject)
        directoryTimes.append((path, entry.modificationTime))
    }

    private func makeHardLink(_ entry: TarEntry, _ directory: Int32, _ cName: UnsafePointer<CChar>, _ name: [UInt8], _ subject: String) throws {
        guard let target = TarPath.clean(entry.linkTargetBytes), !target.isEmpty else {
            throw ArchiveError(.unsafePath, subject, "hard link target \"\(entry.linkTarget)\" leaves the root")
        }
        let (targetParent, targetName) = TarPath.split(target)
        guard let targetDirectory = try root.openDirectory(targetParent, create: false, subject: subject) else {
            throw ArchiveError(.corrupt, subject, "hard link target \"\(entry.linkTarget)\" does not exist")
        }
        defer { close(targetDirectory) }
        try withCString(targetName) { cTarget in
            var status = stat()
            if fstatat(targetDirectory, cTarget, &status, AT_SYMLINK_NOFOLLOW) != 0 {
                if errno == ENOENT { throw ArchiveError(.corrupt, subject, "hard link target \"\(entry.linkTarget)\" does not exist") }
                throw ArchiveError.system(subject, "lstat hard link target")
            }
            if status.st_mode & S_IFMT == S_IFDIR {
                throw ArchiveError(.corrupt, subject, "hard link target \"\(entry.linkTarget)\" is a directory")
            }
            var existing = stat()
            if fstatat(directory, cName, &existing, AT_SYMLINK_NOFOLLOW) == 0,
               existing.st_dev == status.st_dev, existing.st_ino == status.st_ino
            {
                return  // already that file
            }
            try create(directory, cName, name, subject, "link") { linkat(targetDirectory, cTarget, directory, cName, 0) }
        }
    }

    // MARK: Metadata

    private func owner(_ entry: TarEntry) -> (uid: UInt32, gid: UInt32)? {
        switch options.ownership {
        case .preserve: (entry.uid, entry.gid)
        case .ignore: nil
        case .remap(let map): map(entry.uid, entry.gid)
        }
    }

    /// Owner, then mode (chown clears setuid bits), then xattrs (chown clears
    /// security.capability) of an open regular file or directory.
    private func setMetadata(fd: Int32, _ entry: TarEntry, subject: String) throws {
        if let (uid, gid) = owner(entry), fchown(fd, uid, gid) != 0 { throw ArchiveError.system(subject, "chown \(uid):\(gid)") }
        if fchmod(fd, entry.mode & 0o7777) != 0 { throw ArchiveError.system(subject, "chmod") }
        for key in entry.xattrs.keys.sorted() where !isOverlayPrivateXattr(key) {
            let value = entry.xattrs[key]!
            let status = value.withUnsafeBytes { fsetxattr(fd, key, $0.baseAddress, $0.count, 0) }
            if status != 0 { try xattrFailed(key, subject) }
        }
    }

    /// The same for a symlink, device or FIFO, by name in its directory, and its mtime.
    private func setMetadata(directory: Int32, name: [UInt8], cName: UnsafePointer<CChar>, _ entry: TarEntry, isSymlink: Bool, subject: String) throws {
        if let (uid, gid) = owner(entry), fchownat(directory, cName, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 {
            throw ArchiveError.system(subject, "chown \(uid):\(gid)")
        }
        if !isSymlink, fchmodat(directory, cName, entry.mode & 0o7777, 0) != 0 { throw ArchiveError.system(subject, "chmod") }
        let xattrs = entry.xattrs.keys.sorted().filter { !isOverlayPrivateXattr($0) }
        if !xattrs.isEmpty {
            try withCString(procPath(directory, name)) { path in
                for key in xattrs {
                    let status = entry.xattrs[key]!.withUnsafeBytes { lsetxattr(path, key, $0.baseAddress, $0.count, 0) }
                    if status != 0 { try xattrFailed(key, subject) }
                }
            }
        }
        var times = Self.timespecs(entry.modificationTime)
        if utimensat(directory, cName, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw ArchiveError.system(subject, "utimensat") }
    }

    private func xattrFailed(_ key: String, _ subject: String) throws {
        let code = errno
        if options.bestEffortXattrs, code == EPERM || code == ENOTSUP { return }
        throw ArchiveError.system(subject, "setxattr \(key)", errno: code)
    }

    /// atime and mtime both the entry's mtime.
    static func timespecs(_ time: TarTimestamp) -> [timespec] {
        let spec = timespec(tv_sec: Int(time.seconds), tv_nsec: Int(time.nanoseconds))
        return [spec, spec]
    }
}
