import Glibc
import NIOCore
import SkiffHTTP
import SkiffImage
import SkiffOCI
import Synchronization

/// Blob uploads in progress, by UUID. Each holds a BlobWriter (its bytes in
/// the store's `ingest/`, hashed as they come); only `complete` makes a blob,
/// and only when its digest matches. Sessions live in memory: a restarted
/// server has none (and the store empties `ingest/` at start); one left
/// alone for `expiry` seconds is dropped when the next upload starts.
final class Uploads: Sendable {
    private let storage: RegistryStorage
    private let sessions = Mutex<[String: Session]>([:])
    /// Seconds an upload may sit without a request before it is dropped.
    let expiry: Int64

    init(storage: RegistryStorage, expiry: Int64 = 24 * 3600) {
        self.storage = storage
        self.expiry = expiry
    }

    /// One upload. Its writer is used by one request at a time (`busy`).
    final class Session: @unchecked Sendable {
        let id: String
        let repository: String
        /// Under `lock`.
        private var writer: BlobWriter?
        private var busy = false
        /// When a request last used it (monotonic seconds).
        private var touched = monotonicSeconds()
        private let lock = Mutex<Void>(())

        init(id: String, repository: String, writer: BlobWriter) {
            self.id = id
            self.repository = repository
            self.writer = writer
        }

        /// Takes the writer for one request; nil if another request has it.
        func take() -> BlobWriter? {
            lock.withLock { _ in
                guard !busy, let writer else { return nil }
                busy = true
                touched = monotonicSeconds()
                self.writer = nil
                return writer
            }
        }

        /// Gives the writer back after a request.
        func give(_ writer: BlobWriter) {
            lock.withLock { _ in
                self.writer = writer
                busy = false
                touched = monotonicSeconds()
            }
        }

        /// Takes the writer if no request used it since `before`.
        func takeIfIdle(since before: Int64) -> BlobWriter? {
            lock.withLock { _ in
                guard !busy, touched < before, let writer else { return nil }
                busy = true
                self.writer = nil
                return writer
            }
        }

        /// The bytes received so far (nil while a request writes).
        var size: Int64? { lock.withLock { _ in writer?.size } }
    }

    /// Starts an upload for repository `name`.
    func start(_ name: String) throws -> Session {
        dropExpired()
        let writer = try storage.content.writer()
        let session = Session(id: Self.newUUID(), repository: name, writer: writer)
        sessions.withLock { $0[session.id] = session }
        return session
    }

    /// The session `id` of repository `name`.
    func session(_ id: String, repository name: String) throws(RegistryError) -> Session {
        guard let session = sessions.withLock({ $0[id] }), session.repository == name else {
            throw RegistryError(.blobUploadUnknown, detail: "upload \(id) of \(name)")
        }
        return session
    }

    /// Ends a session: its bytes are dropped unless they were committed.
    func remove(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// Drops the uploads idle for longer than `expiry`.
    func dropExpired() {
        let before = monotonicSeconds() - expiry
        for session in sessions.withLock({ Array($0.values) }) {
            guard var writer = session.takeIfIdle(since: before) else { continue }
            writer.abort()
            remove(session.id)
        }
    }

    /// Cancels an upload.
    func cancel(_ session: Session) throws(RegistryError) {
        guard var writer = session.take() else {
            throw RegistryError(.blobUploadInvalid, detail: "another request is writing to upload \(session.id)")
        }
        writer.abort()
        remove(session.id)
    }

    /// A random version 4 UUID.
    static func newUUID() -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }

    /// Appends a request body to `writer`; returns the number of bytes written.
    static func append(_ body: InboundStream, to writer: inout BlobWriter) async throws -> Int64 {
        var total: Int64 = 0
        while let chunk = try await body.next() {
            try chunk.withUnsafeReadableBytes { try writer.write($0) }
            total += Int64(chunk.readableBytes)
        }
        return total
    }
}

/// CLOCK_MONOTONIC in whole seconds.
func monotonicSeconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec)
}
