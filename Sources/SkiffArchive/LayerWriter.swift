import CZlib
import Glibc

/// Makes layers (tar streams) from directory trees.
public enum LayerWriter {
    /// What the tree is.
    public enum Source: Sendable, Hashable {
        /// An ordinary tree: everything in it becomes an entry.
        case plain
        /// An overlayfs upper directory: 0:0 character devices become `.wh.NAME` entries, a
        /// directory with `trusted.overlay.opaque=y` gets a `.wh..wh..opq` entry after its own.
        case overlayUpper
    }

    public struct Options: Sendable, Hashable {
        public var source: Source
        /// Keep nanoseconds of mtimes (PAX `mtime`); false writes whole seconds only.
        public var subsecondTimes: Bool
        /// Paths (relative to the tree, no leading slash) left out, with everything below them.
        public var exclude: Set<[UInt8]>

        public init(source: Source = .plain, subsecondTimes: Bool = true, exclude: Set<[UInt8]> = []) {
            self.source = source
            self.subsecondTimes = subsecondTimes
            self.exclude = exclude
        }
    }

    /// What writing a layer produced.
    public struct Result: Sendable, Hashable {
        /// Length of the tar stream (what the diffID hashes).
        public var uncompressedSize: Int64
        /// Length of the compressed blob written to the sink.
        public var compressedSize: Int64
        /// Entries written, whiteouts included.
        public var entryCount: Int
    }

    /// Writes the tree under `directory` as a layer, compressed as `format` says, into `sink`
    /// (finished at the end). Entries come in walk order, each directory's names sorted
    /// bytewise, a directory before its contents; the root itself is not an entry. Files with
    /// several links are archived once, later names as hard links. Overlay-private xattrs
    /// (`trusted.overlay.*`) and sockets are left out.
    ///
    /// `uncompressed`, if given, sees every byte of the tar stream before it is compressed: hash
    /// it for the diffID while the sink's own observer hashes the blob.
    @discardableResult
    public static func write<S: ByteSink>(
        directory: String, to sink: inout S, format: Compression, options: Options = Options(),
        uncompressed: ((UnsafeRawBufferPointer) throws -> Void)? = nil
    ) throws -> Result {
        let compressor = try CompressingSink(ObservingSink(sink) { _ in }, compression: format)
        let writer = TarWriter(ObservingSink(compressor) { bytes in try uncompressed?(bytes) })
        let count = try writeEntries(directory: directory, to: writer, options: options)
        try writer.finish()
        sink = compressor.base.base
        return Result(
            uncompressedSize: writer.bytesWritten, compressedSize: compressor.base.byteCount, entryCount: count)
    }

    /// Appends the entries of the tree under `directory` to `writer` (without finishing it);
    /// returns how many.
    @discardableResult
    public static func writeEntries<S: ByteSink>(directory: String, to writer: TarWriter<S>, options: Options = Options()) throws -> Int {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw ArchiveError.system("directory \"\(directory)\"", "open") }
        defer { close(fd) }
        let walker = Walker(writer: writer, options: options)
        try walker.walk(fd, prefix: [])
        return walker.count
    }

    /// Appends the entry `name` of the directory open as `directory` (`.` for that directory
    /// itself) under the archive path `path`, and, when it is a directory, everything below it
    /// as `path/...` (a `path` ending in `/` takes no second slash). Returns how many entries.
    @discardableResult
    public static func writeEntry<S: ByteSink>(
        named name: [UInt8], in directory: Int32, as path: [UInt8], to writer: TarWriter<S>, options: Options = Options()
    ) throws -> Int {
        let walker = Walker(writer: writer, options: options)
        try walker.emit(directory, name: name, path: path, mustExist: true)
        return walker.count
    }
}

private struct InodeKey: Hashable {
    let device: UInt64
    let inode: UInt64
}

private final class Walker<S: ByteSink> {
    let writer: TarWriter<S>
    let options: LayerWriter.Options
    var count = 0
    var links: [InodeKey: [UInt8]] = [:]

    init(writer: TarWriter<S>, options: LayerWriter.Options) {
        self.writer = writer
        self.options = options
    }

    func walk(_ directory: Int32, prefix: [UInt8]) throws {
        let names = try listDirectory(directory, subject: "directory \"\(TarPath.text(prefix))\"")
            .sorted { $0.lexicographicallyPrecedes($1) }
        for name in names {
            try emit(directory, name: name, path: Self.join(prefix, name), mustExist: false)
        }
    }

    static func join(_ prefix: [UInt8], _ name: [UInt8]) -> [UInt8] {
        if prefix.isEmpty { return name }
        return prefix.last == UInt8(ascii: "/") ? prefix + name : prefix + [UInt8(ascii: "/")] + name
    }

    /// The entry `name` of `directory` as `path`, and what is below it; one gone since the
    /// listing is skipped unless `mustExist`.
    func emit(_ directory: Int32, name: [UInt8], path: [UInt8], mustExist: Bool) throws {
        if options.exclude.contains(path) { return }
        let subject = ArchiveError.entry(TarPath.text(path))
        var status = stat()
        let found = withCString(name) { fstatat(directory, $0, &status, AT_SYMLINK_NOFOLLOW) }
        if found != 0 {
            if errno == ENOENT && !mustExist { return }  // gone since the listing
            throw ArchiveError.system(subject, "lstat")
        }
        let type = status.st_mode & S_IFMT
        if type == S_IFSOCK { return }
        var entry = TarEntry(
            kind: .regular, pathBytes: path, linkTargetBytes: [], size: 0, mode: status.st_mode & 0o7777,
            uid: status.st_uid, gid: status.st_gid, userName: "", groupName: "",
            modificationTime: TarTimestamp(
                seconds: Int64(status.st_mtim.tv_sec),
                nanoseconds: options.subsecondTimes ? Int32(status.st_mtim.tv_nsec) : 0),
            deviceMajor: 0, deviceMinor: 0, xattrs: [:])

        if options.source == .overlayUpper, type == S_IFCHR, status.st_rdev == 0 {
            entry.pathBytes = Self.join(TarPath.split(path).parent, Applier.whiteoutPrefix + name)
            entry.mode = 0o600
            try append(entry)
            return
        }

        var opaque = false
        for (key, value) in try readXattrs(path: procPath(directory, name), subject: subject) {
            if key == "trusted.overlay.opaque" { opaque = value == [UInt8(ascii: "y")] }
            if isOverlayPrivateXattr(key) { continue }
            entry.xattrs[key] = value
        }

        if type != S_IFDIR, status.st_nlink > 1 {
            let key = InodeKey(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
            if let first = links[key] {
                entry.kind = .hardLink
                entry.linkTargetBytes = first
                entry.xattrs = [:]
                try append(entry)
                return
            }
            links[key] = path
        }

        switch type {
        case S_IFREG:
            entry.size = Int64(status.st_size)
            let file = withCString(name) { openat(directory, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            if file < 0 { throw ArchiveError.system(subject, "open") }
            defer { close(file) }
            try append(entry)
            try writer.writeContents(fromFileDescriptor: file)
        case S_IFDIR:
            entry.kind = .directory
            try append(entry)
            if opaque, options.source == .overlayUpper {
                var marker = entry
                marker.kind = .regular
                marker.pathBytes = Self.join(path, Applier.opaqueMarker)
                marker.mode = entry.mode & 0o777
                marker.xattrs = [:]
                try append(marker)
            }
            let child = withCString(name) { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if child < 0 { throw ArchiveError.system(subject, "open directory") }
            defer { close(child) }
            try walk(child, prefix: path)
        case S_IFLNK:
            entry.kind = .symbolicLink
            entry.linkTargetBytes = try readLink(directory, name, size: Int(status.st_size), subject: subject)
            try append(entry)
        case S_IFCHR, S_IFBLK:
            entry.kind = type == S_IFCHR ? .characterDevice : .blockDevice
            entry.deviceMajor = czlib_major(UInt64(status.st_rdev))
            entry.deviceMinor = czlib_minor(UInt64(status.st_rdev))
            try append(entry)
        case S_IFIFO:
            entry.kind = .fifo
            try append(entry)
        default:
            return
        }
    }

    private func append(_ entry: TarEntry) throws {
        try writer.append(entry)
        count += 1
    }

    private func readLink(_ directory: Int32, _ name: [UInt8], size: Int, subject: String) throws -> [UInt8] {
        var capacity = max(size, 255) + 1
        while true {
            var target = [UInt8](repeating: 0, count: capacity)
            let length = withCString(name) { cName in
                target.withUnsafeMutableBytes { readlinkat(directory, cName, $0.baseAddress!.assumingMemoryBound(to: CChar.self), capacity) }
            }
            if length < 0 { throw ArchiveError.system(subject, "readlink") }
            if length < capacity { return Array(target[..<length]) }
            capacity *= 2
        }
    }
}
