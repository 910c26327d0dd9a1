import NIOCore
import NIOHTTP1
import SkiffArchive

/// Writes a streamed response's body: every write is sent and flushed.
public struct ResponseWriter: Sendable {
    let channel: any Channel

    init(channel: any Channel) { self.channel = channel }

    /// Sends `bytes` as one chunk; returns once the socket took them.
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes))))
    }

    /// Sends `buffer` as one chunk without copying it; returns once the socket took it.
    public func write(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)))
    }

    /// An allocator for buffers passed to `write(_: ByteBuffer)`.
    public var allocator: ByteBufferAllocator { channel.allocator }

    /// A blocking `ByteSink` onto this response, for a producer on its own
    /// thread (ImageStore.save). Never use it on an event loop thread.
    public func sink() -> ResponseSink { ResponseSink(channel: channel) }
}

/// A blocking ByteSink that sends a response body in large chunks, keeping
/// at most one chunk in flight (the producer waits for the socket).
public final class ResponseSink: ByteSink, @unchecked Sendable {
    private let channel: any Channel
    private var buffer: ByteBuffer
    private var inFlight: EventLoopFuture<Void>?
    private let chunkSize = 256 << 10

    init(channel: any Channel) {
        self.channel = channel
        buffer = channel.allocator.buffer(capacity: chunkSize)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.writeBytes(bytes)
        if buffer.readableBytes >= chunkSize { try send() }
    }

    public func finish() throws {
        if buffer.readableBytes > 0 { try send() }
        try waitInFlight()
    }

    private func send() throws {
        try waitInFlight()
        let chunk = buffer
        buffer = channel.allocator.buffer(capacity: chunkSize)
        inFlight = channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(chunk)))
    }

    /// Blocks until the last chunk was written (or failed).
    private func waitInFlight() throws {
        guard let future = inFlight else { return }
        inFlight = nil
        let lock = ConditionLock()
        let outcome = Box()
        future.whenComplete { result in
            lock.withLock {
                outcome.result = result
                lock.signal()
            }
        }
        try lock.withLock {
            while outcome.result == nil { lock.wait() }
            if case .failure(let error) = outcome.result { throw error }
        }
    }

    private final class Box: @unchecked Sendable {
        var result: Result<Void, any Error>?
    }
}
