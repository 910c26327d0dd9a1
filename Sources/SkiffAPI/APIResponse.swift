import FoundationEssentials

/// What a handler answers. The server adds dockerd's common headers
/// (Api-Version, Server, Ostype, ...) and the framing.
public struct APIResponse: Sendable {
    public enum Body: Sendable {
        /// No body (Content-Length: 0, or nothing for 204).
        case empty
        /// A body of known length.
        case bytes([UInt8])
        /// A chunked body: each `ResponseWriter.write` is sent and flushed as
        /// it comes (progress, logs --follow, events, wait). The response
        /// ends when the closure returns; a throw after the first write can
        /// only cut the connection.
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

    /// `value` as JSON (a trailing newline, as Go's encoder writes).
    public static func json<T: Encodable>(_ value: T, status: Int = 200) throws -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", "application/json")], body: .bytes(try encodeJSON(value)))
    }

    /// 204 No Content.
    public static let noContent = APIResponse(status: 204)

    /// Plain text.
    public static func text(_ text: String, status: Int = 200) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: .bytes(Array(text.utf8)))
    }

    /// A chunked response of `contentType`.
    public static func stream(
        contentType: String = "application/json", status: Int = 200, _ body: @escaping @Sendable (ResponseWriter) async throws -> Void
    ) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", contentType)], body: .stream(body))
    }

    /// A hijacked connection (attach, exec start): `contentType` is
    /// "application/vnd.docker.raw-stream" or, multiplexed,
    /// "application/vnd.docker.multiplexed-stream".
    public static func hijack(
        contentType: String, _ body: @escaping @Sendable (HijackedConnection) async throws -> Void
    ) -> APIResponse {
        APIResponse(body: .hijack(contentType: contentType, body))
    }

    /// `{"message": ...}` with the error's status.
    public static func error(_ error: APIError) -> APIResponse {
        if error.status == 304 { return APIResponse(status: 304) }
        let body = (try? encodeJSON(ErrorMessage(message: error.message))) ?? Array("{\"message\":\"error\"}\n".utf8)
        return APIResponse(status: error.status, headers: [("Content-Type", "application/json")], body: .bytes(body))
    }
}

/// Docker's `ErrorResponse`.
struct ErrorMessage: Codable, Sendable {
    var message: String
}

/// JSON as dockerd writes it: slashes unescaped, a trailing newline.
func encodeJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var bytes = Array(try encoder.encode(value))
    bytes.append(0x0A)
    return bytes
}
