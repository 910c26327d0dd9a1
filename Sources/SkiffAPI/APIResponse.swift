import FoundationEssentials

/// What a handler answers (SkiffHTTP's response). The server adds dockerd's
/// common headers (Api-Version, Server, Ostype, ...) and the framing.
public typealias APIResponse = HTTPResponse

extension HTTPResponse {
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
