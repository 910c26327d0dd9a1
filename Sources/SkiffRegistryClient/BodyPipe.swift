import Glibc
import NIOCore
import SkiffArchive
import SkiffSystem

/// A response body handed from async code (the HTTP client) to a blocking reader on a
/// thread of its own (layer ingest: hash, decompress, unpack), a few MiB at most in
/// between: `push` suspends while the reader is behind.
final class BodyPipe: ByteSource, @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var chunks: [ByteBuffer] = []
    private var buffered = 0
    private var ended = false
    private var failure: (any Error)?
    private var readerGone = false
    private var waiter: CheckedContinuation<Void, Never>?
    private let limit: Int

    init(limit: Int = 8 << 20) {
        self.limit = limit
        pthread_mutex_init(lock, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        pthread_cond_destroy(changed)
        lock.deallocate()
        changed.deallocate()
    }

    struct ReaderGone: Error {}

    /// Hands a chunk to the reader; waits while more than `limit` bytes are queued.
    func push(_ chunk: ByteBuffer) async throws {
        let full: Bool = locked {
            if readerGone { return false }
            chunks.append(chunk)
            buffered += chunk.readableBytes
            pthread_cond_broadcast(changed)
            return buffered > limit
        }
        if full {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = locked {
                    if readerGone || buffered <= limit { return true }
                    waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        }
        if locked({ readerGone }) { throw ReaderGone() }
    }

    /// The end of the body (`error`: it broke off).
    func finish(_ error: (any Error)? = nil) {
        locked {
            ended = true
            failure = error
            pthread_cond_broadcast(changed)
        }
    }

    /// The reader is done (or failed): wakes and stops the producer.
    func closeReader() {
        let w: CheckedContinuation<Void, Never>? = locked {
            readerGone = true
            chunks = []
            buffered = 0
            defer { waiter = nil }
            return waiter
        }
        w?.resume()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        pthread_mutex_lock(lock)
        while chunks.isEmpty && !ended { pthread_cond_wait(changed, lock) }
        guard !chunks.isEmpty else {
            let error = failure
            pthread_mutex_unlock(lock)
            if let error { throw error }
            return 0
        }
        let n = min(buffer.count, chunks[0].readableBytes)
        chunks[0].withUnsafeReadableBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: n)
        }
        chunks[0].moveReaderIndex(forwardBy: n)
        if chunks[0].readableBytes == 0 { chunks.removeFirst() }
        buffered -= n
        var w: CheckedContinuation<Void, Never>?
        if buffered <= limit { w = waiter; waiter = nil }
        pthread_mutex_unlock(lock)
        w?.resume()
        return n
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body()
    }
}

/// Runs blocking work on a new thread (never on the cooperative pool) and awaits it.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await SkiffSystem.onThread { Result { try body() } }.get()
}

/// A file's bytes (or `length` of them from `offset`) as an upload body, read in 1 MiB
/// chunks; `progress` sees the running total. Each iteration reads the file anew.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    var offset: Int64 = 0
    var length: Int64 = .max
    let progress: @Sendable (Int64) -> Void

    final class Handle: @unchecked Sendable {
        let fd: Int32
        init(fd: Int32) { self.fd = fd }
        deinit { if fd >= 0 { close(fd) } }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: Handle
        let progress: @Sendable (Int64) -> Void
        let offset: Int64
        let length: Int64
        var total: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard handle.fd >= 0 else { throw RegistryError(.failed, "cannot open blob for upload") }
            let want = Int(Swift.min(Int64(1 << 20), length - total))
            if want <= 0 { return nil }
            var buffer = ByteBufferAllocator().buffer(capacity: want)
            let fd = handle.fd
            let at = offset + total
            let n = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { ptr -> Int in
                while true {
                    let r = pread(fd, ptr.baseAddress, want, off_t(at))
                    if r >= 0 { return r }
                    if errno == EINTR { continue }
                    throw RegistryError(.failed, "read blob: \(String(cString: strerror(errno)))")
                }
            }
            if n == 0 { return nil }
            total += Int64(n)
            progress(total)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handle: Handle(fd: open(path, O_RDONLY | O_CLOEXEC)), progress: progress, offset: offset, length: length)
    }
}
