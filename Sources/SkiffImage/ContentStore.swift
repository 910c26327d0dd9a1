import CZlib
import FoundationEssentials
import Glibc
import SkiffArchive
import SkiffOCI
import SkiffSystem

/// Content-addressed blobs (`<data-root>/content`):
///
///     blobs/sha256/<hex>   a blob, named by the digest of its bytes
///     ingest/<random>      a blob being written
///
/// A blob becomes visible only by a rename after its bytes are on disk and
/// their digest is checked, so no reader ever sees half a blob; `ingest/`
/// is emptied on open.
public struct ContentStore: Sendable {
    public let root: String

    public init(root: String) throws(ImageError) {
        self.root = root
        try makeDirectory(root + "/blobs/sha256")
        try makeDirectory(root + "/ingest")
        for name in Directories.list(root + "/ingest") { unlink(root + "/ingest/" + name) }
    }

    public func path(_ digest: Digest) -> String {
        "\(root)/blobs/\(digest.algorithm.rawValue)/\(digest.encoded)"
    }

    public func has(_ digest: Digest) -> Bool {
        access(path(digest), F_OK) == 0
    }

    public func size(_ digest: Digest) -> Int64? {
        var st = stat()
        return stat(path(digest), &st) == 0 ? Int64(st.st_size) : nil
    }

    /// Every blob in the store.
    public func digests() -> [Digest] {
        Directories.list(root + "/blobs/sha256").compactMap { try? Digest.sha256($0) }
    }

    /// A new blob being written; `commit` makes it visible.
    public func writer() throws(ImageError) -> BlobWriter {
        try BlobWriter(store: self)
    }

    /// Stores `bytes` (manifests, configs); returns their descriptor.
    @discardableResult
    public func put(_ bytes: [UInt8], mediaType: String, expected: Digest? = nil) throws(ImageError) -> Descriptor {
        var w = try writer()
        do {
            try w.write(bytes)
            return try w.commit(mediaType: mediaType, expected: expected)
        } catch {
            w.abort()
            throw ImageError(error)
        }
    }

    /// Reads a small blob whole and checks its digest.
    public func read(_ digest: Digest) throws(ImageError) -> [UInt8] {
        var bytes: [UInt8] = []
        try readVerified(digest) { bytes += $0 }
        return bytes
    }

    /// Opens a blob for reading.
    public func open(_ digest: Digest) throws(ImageError) -> Int32 {
        let fd = Glibc.open(path(digest), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw ImageError(.notFound, "blob \(digest) not found") }
            throw .system("open blob \(digest)")
        }
        return fd
    }

    /// Rehashes a blob; throws if it no longer matches its name.
    public func verify(_ digest: Digest) throws(ImageError) {
        try readVerified(digest) { _ in }
    }

    /// Streams a blob's bytes to `chunk`, then checks they hash to its name.
    private func readVerified(_ digest: Digest, _ chunk: (ArraySlice<UInt8>) -> Void) throws(ImageError) {
        let fd = try open(digest)
        defer { close(fd) }
        var hasher = DigestHasher()
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .system("read blob \(digest)") }
            if n == 0 { break }
            buf.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            chunk(buf[0..<n])
        }
        let actual = hasher.finalize()
        guard actual == digest else {
            throw ImageError(.corrupt, "blob \(digest) is corrupt: its content has digest \(actual)")
        }
    }

    public func delete(_ digest: Digest) {
        unlink(path(digest))
    }
}

/// A blob on its way into the store: written to `ingest/`, hashed as it
/// goes, fsync'd, checked, then renamed into `blobs/`.
///
/// Writeback starts every `writebackStep` bytes as it is written, without waiting, so the
/// disk works while the rest arrives and the fsync at commit has little left: it took
/// ~150 ms per 50 MB layer here when all of it waited for the end.
public struct BlobWriter: ByteSink {
    let store: ContentStore
    let tmp: String
    let fd: Int32
    var hasher = DigestHasher()
    public private(set) var size: Int64 = 0
    private var writebackFrom: Int64 = 0
    private var done = false
    static let writebackStep: Int64 = 4 << 20

    init(store: ContentStore) throws(ImageError) {
        self.store = store
        tmp = "\(store.root)/ingest/\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .system("create \(tmp)") }
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageError.system("write \(tmp)")
            }
            offset += n
        }
        size += Int64(bytes.count)
        if size - writebackFrom >= Self.writebackStep {
            _ = czlib_start_writeback(fd, writebackFrom, size - writebackFrom)  // a hint: the fsync still decides
            writebackFrom = size
        }
    }

    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public mutating func finish() throws {}

    /// The digest of what was written so far.
    public var digest: Digest { hasher.finalize() }

    /// Makes the blob visible, checking `expected` (digest and size) first.
    /// An existing blob with the same digest is kept and this copy dropped.
    public mutating func commit(mediaType: String, expected: Digest? = nil, expectedSize: Int64? = nil) throws(ImageError) -> Descriptor {
        guard !done else { throw ImageError(.invalid, "blob already committed") }
        done = true
        let digest = self.digest
        defer { close(fd) }
        if let expected, expected != digest {
            unlink(tmp)
            throw ImageError(.digestMismatch, "blob digest mismatch: expected \(expected), got \(digest)")
        }
        if let expectedSize, expectedSize != size {
            unlink(tmp)
            throw ImageError(.sizeMismatch, "blob \(digest): expected \(expectedSize) bytes, got \(size)")
        }
        let final = store.path(digest)
        if access(final, F_OK) == 0 {
            unlink(tmp)
        } else {
            guard fsync(fd) == 0 else {
                unlink(tmp)
                throw .system("fsync \(tmp)")
            }
            guard rename(tmp, final) == 0 else {
                let err = errno
                unlink(tmp)
                throw .system("rename \(tmp) to \(final)", errno: err)
            }
        }
        return Descriptor(mediaType: mediaType, digest: digest, size: size)
    }

    /// Drops what was written.
    public mutating func abort() {
        guard !done else { return }
        done = true
        close(fd)
        unlink(tmp)
    }
}
