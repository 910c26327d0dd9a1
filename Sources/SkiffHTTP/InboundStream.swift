import NIOCore

/// Bytes arriving from a connection (a request body, or a hijacked
/// connection's input), handed to one consumer, async or blocking.
///
/// The event loop appends; once more than `highWater` bytes wait,
/// `shouldPause` tells the channel handler to stop reading from the socket,
/// and the consumer's draining below `lowWater` calls `resume` (which hops to
/// the loop and reads again). So a 500 MB upload never sits in memory.
package final class InboundStream: @unchecked Sendable {
    private let lock = ConditionLock()
    private let highWater: Int
    private let lowWater: Int
    /// Asks the channel for more; called off the loop, at most once per pause.
    private let resume: @Sendable () -> Void

    // Under `lock`.
    private var chunks: [ByteBuffer] = []
    private var head = 0
    private var buffered = 0
    private var ended = false
    private var failure: (any Error)?
    private var paused = false
    private var discarding = false
    private var waiter: CheckedContinuation<Void, Never>?

    package init(highWater: Int = 1 << 20, lowWater: Int = 256 << 10, resume: @escaping @Sendable () -> Void) {
        self.highWater = highWater
        self.lowWater = lowWater
        self.resume = resume
    }

    /// A stream that already holds all of `bytes`.
    package convenience init(bytes: [UInt8]) {
        self.init(resume: {})
        if !bytes.isEmpty { append(ByteBuffer(bytes: bytes)) }
        finish()
    }

    // MARK: Producer (the event loop)

    /// Adds bytes from the socket.
    package func append(_ buffer: ByteBuffer) {
        let waiter = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            guard !ended, failure == nil, !discarding, buffer.readableBytes > 0 else { return nil }
            chunks.append(buffer)
            buffered += buffer.readableBytes
            if buffered >= highWater { paused = true }
            return takeWaiter()
        }
        waiter?.resume()
    }

    /// The input ended cleanly.
    package func finish() {
        lock.withLock { () -> CheckedContinuation<Void, Never>? in
            ended = true
            return takeWaiter()
        }?.resume()
    }

    /// The input ended badly: the consumer gets `error` after what was buffered.
    package func fail(_ error: any Error) {
        lock.withLock { () -> CheckedContinuation<Void, Never>? in
            if !ended, failure == nil { failure = error }
            return takeWaiter()
        }?.resume()
    }

    /// The consumer is gone: drop what is buffered and what still comes.
    package func discard() {
        lock.withLock {
            discarding = true
            chunks = []
            head = 0
            buffered = 0
            paused = false
        }
    }

    /// Whether the socket should not be read now.
    package var shouldPause: Bool { lock.withLock { paused } }

    /// Whether the input has ended (cleanly or not).
    package var isComplete: Bool { lock.withLock { ended || failure != nil } }

    private func takeWaiter() -> CheckedContinuation<Void, Never>? {
        lock.signal()
        defer { waiter = nil }
        return waiter
    }

    // MARK: Consumer

    private enum Next {
        case chunk(ByteBuffer)
        case end
        case failed(any Error)
        case wait
    }

    /// Under `lock`: the next chunk, or why there is none.
    private func take(upTo limit: Int) -> (Next, resume: Bool) {
        if head < chunks.count {
            var chunk = chunks[head]
            let piece: ByteBuffer
            if chunk.readableBytes > limit, let slice = chunk.readSlice(length: limit) {
                piece = slice
                chunks[head] = chunk
            } else {
                // Consumed chunks are dropped at once (they hold the bytes).
                piece = chunk
                chunks[head] = ByteBuffer()
                head += 1
                if head == chunks.count {
                    chunks.removeAll(keepingCapacity: true)
                    head = 0
                } else if head >= 64, head * 2 >= chunks.count {
                    chunks.removeFirst(head)
                    head = 0
                }
            }
            buffered -= piece.readableBytes
            var resumeNow = false
            if paused, buffered <= lowWater {
                paused = false
                resumeNow = true
            }
            return (.chunk(piece), resumeNow)
        }
        if let failure { return (.failed(failure), false) }
        return (ended ? .end : .wait, false)
    }

    /// The next chunk (at most `limit` bytes); nil at the end.
    package func next(limit: Int = .max) async throws -> ByteBuffer? {
        while true {
            let (next, resumeNow) = lock.withLock { take(upTo: limit) }
            if resumeNow { resume() }
            switch next {
            case .chunk(let chunk): return chunk
            case .end: return nil
            case .failed(let error): throw error
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = lock.withLock { () -> Bool in
                        if head < chunks.count || ended || failure != nil { return true }
                        waiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            }
        }
    }

    /// Blocking read for a ByteSource: waits on the calling thread.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        let (next, resumeNow) = lock.withLock { () -> (Next, Bool) in
            while true {
                let result = take(upTo: buffer.count)
                if case .wait = result.0 {
                    lock.wait()
                    continue
                }
                return result
            }
        }
        if resumeNow { resume() }
        switch next {
        case .chunk(let chunk):
            return chunk.withUnsafeReadableBytes { bytes in
                buffer.copyMemory(from: bytes)
                return bytes.count
            }
        case .end, .wait: return 0
        case .failed(let error): throw error
        }
    }
}
