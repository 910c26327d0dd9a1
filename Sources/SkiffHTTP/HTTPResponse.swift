/// What a handler answers. The server adds the responder's common headers
/// and the framing (Content-Length or chunked).
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        /// No body (Content-Length: 0, or nothing for 204).
        case empty
        /// A body of known length.
        case bytes([UInt8])
        /// A chunked body: each `ResponseWriter.write` is sent and flushed as
        /// it comes (progress, logs --follow, events, wait). The response
        /// ends when the closure returns; a throw after the first write can
        /// only cut the connection. With a Content-Length header among the
        /// response's headers, the body is sent with that length instead of
        /// chunked (the closure must write exactly that many bytes).
        case stream(@Sendable (ResponseWriter) async throws -> Void)
        /// Docker's hijack (attach, exec start): `101 UPGRADED` when the
        /// client asked for `Upgrade: tcp`, else `200 OK`; then the connection
        /// is a raw byte stream both ways until the closure returns, and is
        /// closed.
        case hijack(contentType: String, @Sendable (HijackedConnection) async throws -> Void)
    }

    public var status: Int
    /// Extra headers (Content-Type, ...).
    public var headers: [(name: String, value: String)]
    public var body: Body

    public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Request headers, looked up case-insensitively.
public struct Headers: Sendable {
    public var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }

    /// The first value of `name`.
    public subscript(_ name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.name.lowercased() == lower }?.value
    }
}

/// What a server answers requests with (skiffd's Docker API router, the registry).
package protocol HTTPResponder: Sendable {
    /// Answers one request as it came off the wire (`target` is the request
    /// URI, query included). Never throws: every failure is an error response.
    func respond(method: String, target: String, headers: Headers, body: InboundStream) async -> HTTPResponse
    /// The answer to bytes that are not HTTP (the connection is closed after it).
    func malformedRequest(_ message: String) -> HTTPResponse
    /// What a handler reading the body gets when the input ends badly.
    func inputError(_ message: String) -> any Error
    /// Headers put on every response.
    var commonHeaders: [(name: String, value: String)] { get }
}

/// Where the server's log lines go.
package protocol ServerLog: Sendable {
    func debug(_ message: @autoclosure () -> String)
    func info(_ message: String)
    func warning(_ message: String)
    func error(_ message: String)
}
