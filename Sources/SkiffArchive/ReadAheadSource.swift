import Glibc

/// Reads a source on a helper thread, a few large buffers ahead of the consumer, so that
/// decompression (one core) overlaps with extraction (the file system, the other).
///
/// Everything below runs on the helper thread, observers included; `close()` (or the end of the
/// stream, or an error) joins it, so what they did is visible to the caller afterwards. Errors
/// of the base are thrown to the consumer after the bytes read before them.
final class ReadAheadSource<Base: ByteSource>: ByteSource, @unchecked Sendable {
    private var base: Base
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Shared state, under `lock`.
    private var free: [Int]
    private var filled: [(index: Int, count: Int)] = []
    private var ended = false
    private var failure: (any Error)?
    private var cancelled = false
    // Consumer state.
    private var current: (index: Int, count: Int, offset: Int)?
    private var thread: pthread_t?

    /// Call `start()` before reading.
    init(_ base: Base, chunkSize: Int = 1 << 20, depth: Int = 4) {
        self.base = base
        buffers = (0..<max(depth, 2)).map { _ in .allocate(byteCount: chunkSize, alignment: 64) }
        free = Array(buffers.indices)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(changed, nil)
    }

    /// Starts the helper thread.
    func start() throws {
        precondition(thread == nil, "ReadAheadSource started twice")
        self.thread = try startThread(ThreadBody(self))
    }

    deinit {
        close()
        pthread_mutex_destroy(lock)
        pthread_cond_destroy(changed)
        lock.deallocate()
        changed.deallocate()
        for buffer in buffers { buffer.deallocate() }
    }

    /// Stops the helper thread (if still running) and waits for it.
    func close() {
        guard let thread else { return }
        pthread_mutex_lock(lock)
        cancelled = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
        self.thread = nil
        if pthread_equal(thread, pthread_self()) != 0 {
            pthread_detach(thread)  // the last reference went away on the helper thread itself
        } else {
            pthread_join(thread, nil)
        }
    }

    fileprivate func produce() {
        while true {
            pthread_mutex_lock(lock)
            while free.isEmpty, !cancelled { pthread_cond_wait(changed, lock) }
            if cancelled {
                pthread_mutex_unlock(lock)
                return
            }
            let index = free.removeFirst()
            pthread_mutex_unlock(lock)
            var count = 0
            var error: (any Error)?
            do { count = try base.read(into: buffers[index]) } catch let caught { error = caught }
            pthread_mutex_lock(lock)
            if let error {
                failure = error
            } else if count == 0 {
                ended = true
            } else {
                filled.append((index, count))
            }
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(lock)
            if error != nil || count == 0 { return }
        }
    }

    func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        if current == nil {
            pthread_mutex_lock(lock)
            while filled.isEmpty, !ended, failure == nil { pthread_cond_wait(changed, lock) }
            if !filled.isEmpty {
                let next = filled.removeFirst()
                current = (next.index, next.count, 0)
            }
            let failure = failure
            pthread_mutex_unlock(lock)
            if current == nil {
                close()
                if let failure { throw failure }
                return 0
            }
        }
        let (index, count, offset) = current!
        let step = min(destination.count, count - offset)
        destination.baseAddress!.copyMemory(from: buffers[index].baseAddress! + offset, byteCount: step)
        if offset + step == count {
            current = nil
            pthread_mutex_lock(lock)
            free.append(index)
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(lock)
        } else {
            current = (index, count, offset + step)
        }
        return step
    }
}

/// What a helper thread runs (a non-generic box, as a C thread entry point cannot be generic).
private final class ThreadBody: @unchecked Sendable {
    let run: () -> Void
    init<Base>(_ source: ReadAheadSource<Base>) { run = { source.produce() } }
}

private func startThread(_ body: ThreadBody) throws -> pthread_t {
    var thread = pthread_t()
    let context = Unmanaged.passRetained(body).toOpaque()
    let status = pthread_create(&thread, nil, threadMain, context)
    if status != 0 {
        Unmanaged<ThreadBody>.fromOpaque(context).release()
        throw ArchiveError(.system, "read-ahead thread", "pthread_create", errno: status)
    }
    return thread
}

private func threadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
    return nil
}
