import NIOCore
@_exported import SkiffHTTP

/// The Docker API over HTTP/1.1 on unix sockets and TCP: SkiffHTTP's server
/// answering with the router.
public final class APIServer: Sendable {
    private let server: HTTPServer
    private let logger: ServerLogger

    public init(router: Router, logger: ServerLogger, socketGroup: String = "skiff", threads: Int = System.coreCount) {
        server = HTTPServer(responder: router, logger: logger, socketGroup: socketGroup, threads: threads)
        self.logger = logger
    }

    /// Starts listening on `endpoint`. A unix socket file left by a dead
    /// daemon is replaced; one that answers is not (another daemon runs).
    public func listen(_ endpoint: Endpoint) async throws {
        try await server.listen(endpoint)
        if case .tcp = endpoint {
            logger.warning("API listening on \(endpoint) without TLS or authentication: anyone who can reach it is root on this host")
        }
        logger.info("API listening on \(endpoint)")
    }

    /// Stops accepting, closes every connection, removes the unix sockets.
    public func shutdown() async {
        await server.shutdown()
    }
}

/// Headers dockerd puts on every response.
enum CommonHeaders {
    static let all: [(name: String, value: String)] = [
        ("Api-Version", APIVersion.current),
        ("Docker-Experimental", "false"),
        ("Ostype", "linux"),
        ("Server", "skiff/\(SkiffVersion.version) (linux)"),
    ]
}

extension Router: HTTPResponder {
    package func respond(method: String, target: String, headers: Headers, body: InboundStream) async -> HTTPResponse {
        await respond(method: method, target: target, headers: headers, body: RequestBody(stream: body))
    }

    package func malformedRequest(_ message: String) -> HTTPResponse { .error(.badRequest(message)) }

    package func inputError(_ message: String) -> any Error { APIError.badRequest(message) }

    package var commonHeaders: [(name: String, value: String)] { CommonHeaders.all }
}


extension ResponseWriter {
    /// Sends `value` as one JSON line (progress messages, events).
    public func writeJSON<T: Encodable>(_ value: T) async throws {
        try await write(try encodeJSON(value))
    }
}
