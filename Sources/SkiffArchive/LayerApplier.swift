import CZlib
import Glibc

/// What a layer is applied onto, which decides what its OCI whiteouts become.
public enum ApplyMode: Sendable, Hashable {
    /// Onto a directory holding the lower layers' content (the plain-copy snapshotter):
    /// `.wh.NAME` deletes NAME; `.wh..wh..opq` empties its directory of what lower layers put
    /// there, keeping this layer's own entries.
    case merged
    /// Into an empty directory that will be an overlayfs lower: `.wh.NAME` becomes a 0:0
    /// character device, `.wh..wh..opq` the xattr `trusted.overlay.opaque=y` on its directory.
    case overlayLower
    /// No whiteout handling: `.wh.` entries are ordinary files (`docker cp`, plain archives).
    case verbatim
}

/// What applying a layer did.
public struct LayerApplyResult: Sendable, Hashable {
    /// Length of the uncompressed tar stream (everything the diffID hashes).
    public var uncompressedSize: Int64
    /// Entries read, whiteouts included.
    public var entryCount: Int
}

/// Applies layers (tar streams, compressed or not) onto directories.
public enum LayerApplier {
    /// Applies the layer read from `layer` (gzip, zstd or plain, told by its magic bytes) onto
    /// `directory`, which nothing in the layer can leave: paths that climb out with `..` and hard
    /// links pointing outside are errors; absolute paths and symlinks resolve inside it.
    ///
    /// Reads `layer` to its end, so an `ObservingSource` under it sees the whole blob. A compressed
    /// stream is decompressed on a helper thread (`ExtractOptions.decompressInBackground`), so
    /// the stages below, observers included, run there; it has ended when this returns. To see the
    /// uncompressed stream too (the diffID), decompress yourself —
    /// `ObservingSource(DecompressingSource(ObservingSource(file, ...)), ...)` — and pass that:
    /// plain streams go through detection untouched.
    @discardableResult
    public static func apply<S: ByteSource>(
        layer: S, to directory: String, mode: ApplyMode, options: ExtractOptions = ExtractOptions()
    ) throws -> LayerApplyResult {
        let root = try ExtractionRoot(path: directory, useOpenat2: options.useOpenat2)
        let decompressor = try DecompressingSource(layer, bufferSize: options.bufferSize)
        if decompressor.algorithm != .none, options.decompressInBackground {
            let readAhead = ReadAheadSource(decompressor, chunkSize: options.bufferSize)
            try readAhead.start()
            defer { readAhead.close() }
            return try apply(TarReader(readAhead, bufferSize: options.bufferSize), root: root, mode: mode, options: options)
        }
        return try apply(TarReader(decompressor, bufferSize: options.bufferSize), root: root, mode: mode, options: options)
    }

    private static func apply<S: ByteSource>(
        _ reader: TarReader<S>, root: ExtractionRoot, mode: ApplyMode, options: ExtractOptions
    ) throws -> LayerApplyResult {
        let applier = Applier(root: root, mode: mode, options: options)
        var count = 0
        while let entry = try reader.next() {
            count += 1
            try applier.apply(entry, from: reader)
        }
        try applier.extractor.finish()
        let size = try reader.drain()
        return LayerApplyResult(uncompressedSize: size, entryCount: count)
    }
}

/// One layer's application: the extractor plus whiteout handling.
final class Applier {
    let root: ExtractionRoot
    let mode: ApplyMode
    let options: ExtractOptions
    let extractor: Extractor
    /// Paths this layer created (merged mode): an opaque directory keeps them.
    private var layerPaths = Set<[UInt8]>()

    static let whiteoutPrefix = Array(".wh.".utf8)
    static let opaqueMarker = Array(".wh..wh..opq".utf8)
    static let aufsMetaPrefix = Array(".wh..wh.".utf8)

    init(root: ExtractionRoot, mode: ApplyMode, options: ExtractOptions) {
        self.root = root
        self.mode = mode
        self.options = options
        extractor = Extractor(root: root, options: options)
    }

    func apply<S: ByteSource>(_ entry: TarEntry, from reader: TarReader<S>) throws {
        if entry.pathBytes.contains(0) || entry.linkTargetBytes.contains(0) {
            throw ArchiveError(.unsafePath, ArchiveError.entry(entry.path), "path or link target contains NUL")
        }
        guard let path = TarPath.clean(entry.pathBytes) else {
            throw ArchiveError(.unsafePath, ArchiveError.entry(entry.path), "path leaves the root")
        }
        if mode != .verbatim, !path.isEmpty {
            // AUFS bookkeeping at the top (`.wh..wh.plnk/`, `.wh..wh.aufs`, `.wh..wh.orph/`) is
            // not content; Docker skips it too.
            if path.starts(with: Self.aufsMetaPrefix), !path.starts(with: Self.opaqueMarker) { return }
            let (parent, name) = TarPath.split(path)
            if name.starts(with: Self.whiteoutPrefix) {
                if name == Self.opaqueMarker {
                    try opaque(parent, entry)
                } else {
                    let target = Array(name.dropFirst(Self.whiteoutPrefix.count))
                    if target.isEmpty || target == [0x2e] || target == [0x2e, 0x2e] {
                        throw ArchiveError(.unsafePath, ArchiveError.entry(entry.path), "bad whiteout name")
                    }
                    try whiteout(parent, target, entry)
                }
                return
            }
        }
        try extractor.extract(entry, at: path, from: reader)
        if mode == .merged { layerPaths.insert(path) }
    }

    private func whiteout(_ parent: [UInt8], _ name: [UInt8], _ entry: TarEntry) throws {
        let subject = ArchiveError.entry(entry.path)
        switch mode {
        case .merged:
            if layerPaths.contains(TarPath.join(parent, name)) { return }
            guard let directory = try root.directory(parent, create: false, subject: subject) else { return }
            try removeAll(in: directory, name, subject: subject)
        case .overlayLower:
            guard let directory = try root.directory(parent, create: true, subject: subject) else { return }
            try withCString(name) { cName in
                var made = mknodat(directory, cName, S_IFCHR, 0)
                if made != 0, errno == EEXIST {
                    try removeAll(in: directory, name, subject: subject)
                    made = mknodat(directory, cName, S_IFCHR, 0)
                }
                if made != 0 { throw ArchiveError.system(subject, "mknod overlay whiteout") }
                let owner: (uid: UInt32, gid: UInt32)? = switch options.ownership {
                case .preserve: (entry.uid, entry.gid)
                case .ignore: nil
                case .remap(let map): map(entry.uid, entry.gid)
                }
                if let owner, fchownat(directory, cName, owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) != 0 {
                    throw ArchiveError.system(subject, "chown overlay whiteout")
                }
            }
        case .verbatim:
            break
        }
    }

    private func opaque(_ directoryPath: [UInt8], _ entry: TarEntry) throws {
        let subject = ArchiveError.entry(entry.path)
        switch mode {
        case .merged:
            // The marker means the directory is in this layer: make it if the lower lacks it.
            guard let directory = try root.directory(directoryPath, create: true, subject: subject) else { return }
            try prune(directory, directoryPath, subject: subject)
        case .overlayLower:
            guard let fd = try root.openDirectory(directoryPath, create: true, flags: O_RDONLY, subject: subject) else { return }
            defer { close(fd) }
            let value: [UInt8] = [UInt8(ascii: "y")]
            let status = value.withUnsafeBytes { fsetxattr(fd, "trusted.overlay.opaque", $0.baseAddress, 1, 0) }
            if status != 0 { throw ArchiveError.system(subject, "setxattr trusted.overlay.opaque") }
        case .verbatim:
            break
        }
    }

    /// Removes everything below `directory` this layer did not create, descending into the
    /// directories it did (they may be merged with lower ones).
    private func prune(_ directory: Int32, _ path: [UInt8], subject: String) throws {
        let listing = withCString([0x2e]) { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if listing < 0 { throw ArchiveError.system(subject, "open opaque directory") }
        defer { close(listing) }
        for name in try listDirectory(listing, subject: subject) {
            let child = TarPath.join(path, name)
            if !layerPaths.contains(child) {
                try removeAll(in: listing, name, subject: subject)
                continue
            }
            let fd = withCString(name) { openat(listing, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if fd < 0 {
                if errno == ENOTDIR || errno == ELOOP { continue }
                throw ArchiveError.system(subject, "open \"\(TarPath.text(child))\"")
            }
            defer { close(fd) }
            try prune(fd, child, subject: subject)
        }
    }
}
