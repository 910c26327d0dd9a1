import NIOCore

/// A hijacked connection (attach, exec start): raw bytes both ways.
///
/// The client may half-close its side (the docker CLI does after stdin
/// EOF): `read` then returns nil while writing still works. `closeWrite`
/// half-closes ours, so the client sees EOF on its output.
public final class HijackedConnection: Sendable {
    let channel: any Channel
    let input: InboundStream

    init(channel: any Channel, input: InboundStream) {
        self.channel = channel
        self.input = input
    }

    /// The next bytes from the client; nil once it closed or half-closed.
    public func read() async throws -> [UInt8]? {
        guard let chunk = try await input.next() else { return nil }
        return Array(chunk.readableBytesView)
    }

    /// Sends `bytes`; returns once the socket took them.
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Half-closes our side (shutdown(SHUT_WR)): the client reads EOF.
    public func closeWrite() async throws {
        try await channel.close(mode: .output)
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
    }
}

/// The pipeline's only handler once a connection is hijacked: feeds the
/// socket's bytes to the HijackedConnection's input, reading only as fast
/// as it is consumed.
final class HijackHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let input: InboundStream
    private var context: ChannelHandlerContext?
    private var readPending = false

    init(input: InboundStream) { self.input = input }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Called on the loop when the consumer drained the input.
    func resumeReading() {
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        input.append(unwrapInboundIn(data))
    }

    func read(context: ChannelHandlerContext) {
        if input.shouldPause {
            readPending = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            input.finish()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        input.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        input.fail(error)
        context.close(promise: nil)
    }
}
