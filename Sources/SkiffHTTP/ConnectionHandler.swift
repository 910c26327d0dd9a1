import NIOCore
import NIOHTTP1

/// One HTTP/1.1 connection: requests one at a time (keep-alive, pipelined
/// requests queued), each answered by the responder in its own Task.
///
/// A request's body streams to the handler through an InboundStream; the
/// socket is read only while the handler keeps up. Between a request's end
/// and its response head no more is read, so a hijacking handler finds the
/// connection's next bytes untouched. A malformed request gets a 400 and the
/// connection is closed.
final class ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: any HTTPResponder
    private let logger: any ServerLog
    private let decoder: ByteToMessageHandler<HTTPRequestDecoder>
    private let encoder: HTTPResponseEncoder
    private var context: ChannelHandlerContext?

    /// A request is in flight (its input or its response not finished).
    private var busy = false
    private var inputDone = true
    private var outputDone = true
    /// The current request's body, until its end.
    private var body: InboundStream?
    /// Parts of requests that came while one was in flight.
    private var queued: [HTTPServerRequestPart] = []
    /// Reading is held from a request's end until its response head is out.
    private var holdReads = false
    private var readPending = false
    private var keepAlive = true
    /// Close once the current response is out (malformed input, half-close).
    private var closeAfterResponse = false
    private var task: Task<Void, Never>?

    init(router: any HTTPResponder, logger: any ServerLog, decoder: ByteToMessageHandler<HTTPRequestDecoder>, encoder: HTTPResponseEncoder) {
        self.router = router
        self.logger = logger
        self.decoder = decoder
        self.encoder = encoder
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        // The body's resume callback refers back to this handler.
        body = nil
    }

    // MARK: Input

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if !queued.isEmpty || (busy && inputDone) {
            queued.append(part)
        } else {
            process(part, context: context)
        }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            start(head, context: context)
        case .body(let buffer):
            body?.append(buffer)
        case .end:
            body?.finish()
            body = nil
            inputDone = true
            if !outputDone { holdReads = true }
            finishIfDone(context: context)
        }
    }

    private func start(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        busy = true
        inputDone = false
        outputDone = false
        keepAlive = head.isKeepAlive
        let channel = context.channel
        let bound = NIOLoopBound(self, eventLoop: channel.eventLoop)
        let stream = InboundStream { channel.eventLoop.execute { bound.value.resumeReading() } }
        body = stream
        if head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
        }
        let headers = Headers(head.headers.map { ($0.name, $0.value) })
        let method = head.method.rawValue
        let target = head.uri
        let wantsUpgrade = head.headers["connection"].contains { $0.lowercased().contains("upgrade") }
            && head.headers["upgrade"].contains { $0.lowercased() == "tcp" }
        let keepAlive = self.keepAlive
        let router = self.router
        let logger = self.logger
        logger.debug("\(method) \(target)")
        task = Task {
            let response = await router.respond(method: method, target: target, headers: headers, body: stream)
            if response.status >= 500 {
                var detail = ""
                if case .bytes(let body) = response.body { detail = " " + String(decoding: body.prefix(500), as: UTF8.self) }
                logger.error("\(method) \(target): \(response.status)\(detail)")
            }
            let exchange = Exchange(
                channel: channel, handler: bound, isHead: method == "HEAD", keepAlive: keepAlive, logger: logger,
                commonHeaders: router.commonHeaders)
            await exchange.send(response, upgrade: wantsUpgrade)
        }
    }

    /// Starts the next queued request once the current one is done both ways.
    private func finishIfDone(context: ChannelHandlerContext) {
        guard inputDone, outputDone else { return }
        busy = false
        holdReads = false
        task = nil
        while !queued.isEmpty, !(busy && inputDone) {
            process(queued.removeFirst(), context: context)
        }
        resumeReading()
    }

    // MARK: Read control

    func read(context: ChannelHandlerContext) {
        if holdReads || (body?.shouldPause ?? false) {
            readPending = true
        } else {
            context.read()
        }
    }

    /// Reads again if a read was held and nothing holds it any more.
    func resumeReading() {
        guard readPending, !holdReads, !(body?.shouldPause ?? false), let context else { return }
        readPending = false
        context.read()
    }

    // MARK: Called by the request's Task, on the loop

    /// The response head is out: the connection may be read again (to see
    /// the client go away during a long stream).
    func responseStarted() {
        holdReads = false
        resumeReading()
    }

    /// The response is complete.
    func responseFinished(close: Bool) {
        guard let context else { return }
        outputDone = true
        if close || closeAfterResponse || !keepAlive {
            context.close(promise: nil)
            return
        }
        if !inputDone {
            // The handler left part of the body unread: drop the rest as it comes.
            body?.discard()
        }
        finishIfDone(context: context)
    }

    /// Turns the connection into a raw byte stream and writes the hijack
    /// response head.
    func hijack(contentType: String, upgrade: Bool, headers: [(name: String, value: String)]) throws -> HijackedConnection {
        guard let context else { throw ChannelError.ioOnClosedChannel }
        let channel = context.channel
        body?.discard()
        body = nil
        let input = InboundStream {
            channel.eventLoop.execute {
                (try? channel.pipeline.syncOperations.handler(type: HijackHandler.self))?.resumeReading()
            }
        }
        let pipeline = context.pipeline.syncOperations
        try pipeline.addHandler(HijackHandler(input: input), position: .after(decoder))
        pipeline.removeHandler(encoder, promise: nil)
        pipeline.removeHandler(context: context, promise: nil)
        var head = upgrade
            ? "HTTP/1.1 101 UPGRADED\r\nContent-Type: \(contentType)\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            : "HTTP/1.1 200 OK\r\nContent-Type: \(contentType)\r\n"
        for (name, value) in router.commonHeaders + headers where name.lowercased() != "content-type" {
            head += "\(name): \(value)\r\n"
        }
        head += "\r\n"
        channel.writeAndFlush(ByteBuffer(string: head), promise: nil)
        // Bytes the decoder holds beyond the request go to the hijacker.
        pipeline.removeHandler(decoder, promise: nil)
        channel.read()
        return HijackedConnection(channel: channel, input: input)
    }

    // MARK: Events

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client half-closed: answer what is in flight, then close.
            if !busy {
                context.close(promise: nil)
            } else {
                closeAfterResponse = true
                if !inputDone {
                    body?.fail(router.inputError("unexpected end of request body"))
                    inputDone = true
                }
                if outputDone { context.close(promise: nil) }
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError || error is ByteToMessageDecoderError else {
            logger.debug("connection error: \(error)")
            context.close(promise: nil)
            return
        }
        let message = "malformed HTTP request: \(error)"
        closeAfterResponse = true
        if busy {
            if !inputDone {
                body?.fail(router.inputError(message))
                inputDone = true
            }
            if outputDone { context.close(promise: nil) }
            return
        }
        // Nothing in flight: answer the garbage directly.
        busy = true
        let response = router.malformedRequest(message)
        guard case .bytes(let bytes) = response.body else { return }
        var headers = HTTPHeaders(router.commonHeaders.map { ($0.name, $0.value) } + response.headers.map { ($0.name, $0.value) })
        headers.add(name: "Content-Length", value: String(bytes.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        body?.fail(ChannelError.ioOnClosedChannel)
        body = nil
        task?.cancel()
        context.fireChannelInactive()
    }
}

/// Sends one response from the request's Task.
private struct Exchange: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<ConnectionHandler>
    let isHead: Bool
    let keepAlive: Bool
    let logger: any ServerLog
    let commonHeaders: [(name: String, value: String)]

    func send(_ response: HTTPResponse, upgrade: Bool) async {
        switch response.body {
        case .hijack(let contentType, let body):
            await hijack(response, contentType: contentType, upgrade: upgrade, body: body)
            return
        case .empty:
            await sendWhole(response, bytes: [])
        case .bytes(let bytes):
            await sendWhole(response, bytes: bytes)
        case .stream(let body):
            await sendStream(response, body: body)
        }
    }

    private func head(_ response: HTTPResponse, contentLength: Int?) -> HTTPResponseHead {
        var headers = HTTPHeaders(commonHeaders.map { ($0.name, $0.value) } + response.headers.map { ($0.name, $0.value) })
        if let contentLength, response.status != 204, response.status != 304 {
            headers.replaceOrAdd(name: "Content-Length", value: String(contentLength))
        }
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        return HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
    }

    private func sendWhole(_ response: HTTPResponse, bytes: [UInt8]) async {
        channel.write(HTTPServerResponsePart.head(head(response, contentLength: bytes.count)), promise: nil)
        if !bytes.isEmpty, !isHead {
            channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes))), promise: nil)
        }
        let sent: Bool
        do {
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            sent = true
        } catch {
            sent = false
        }
        finished(close: !sent)
    }

    private func sendStream(_ response: HTTPResponse, body: @Sendable (ResponseWriter) async throws -> Void) async {
        var ok = true
        do {
            try await channel.writeAndFlush(HTTPServerResponsePart.head(head(response, contentLength: nil)))
            let handler = self.handler
            channel.eventLoop.execute { handler.value.responseStarted() }
            if !isHead { try await body(ResponseWriter(channel: channel)) }
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        } catch {
            // The head is out: an error can only cut the stream short.
            logger.debug("stream ended early: \(error)")
            ok = false
        }
        finished(close: !ok)
    }

    private func hijack(
        _ response: HTTPResponse, contentType: String, upgrade: Bool, body: @Sendable (HijackedConnection) async throws -> Void
    ) async {
        let handler = self.handler
        let headers = response.headers
        let connection: HijackedConnection
        do {
            connection = try await channel.eventLoop.submit {
                try handler.value.hijack(contentType: contentType, upgrade: upgrade, headers: headers)
            }.get()
        } catch {
            try? await channel.close()
            return
        }
        do {
            try await body(connection)
        } catch {
            logger.debug("hijacked connection: \(error)")
        }
        await connection.close()
    }

    private func finished(close: Bool) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.responseFinished(close: close) }
    }
}
