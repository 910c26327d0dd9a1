import FoundationEssentials

/// A failure talking to a registry. Its text carries the registry's error codes as
/// docker shows them (`manifest unknown: manifest unknown`, `unauthorized: authentication required`).
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The manifest, blob or repository does not exist (404 / MANIFEST_UNKNOWN / NAME_UNKNOWN ...).
        case notFound
        /// 401/403: missing or wrong credentials, or no access.
        case unauthorized
        /// Content did not match its digest, or a response made no sense.
        case invalid
        /// The connection or anything else.
        case failed
    }

    public var kind: Kind
    public var message: String
    /// The HTTP status, when the registry answered.
    public var status: Int?
    /// The registry's error codes (`MANIFEST_UNKNOWN`).
    public var codes: [String]
    /// Worth retrying: the connection broke, or 429 / 5xx.
    public var transient: Bool

    public init(_ kind: Kind, _ message: String, status: Int? = nil, codes: [String] = [], transient: Bool = false) {
        self.kind = kind
        self.message = message
        self.status = status
        self.codes = codes
        self.transient = transient || status.map(RegistryError.isTransient) ?? false
    }

    /// 408, 429 and the 5xx a retry may cure.
    public static func isTransient(status: Int) -> Bool {
        [408, 429, 500, 502, 503, 504].contains(status)
    }

    public var description: String { message }

    /// The error a registry answered with: its `{"errors":[{"code","message","detail"}]}`
    /// body as docker formats it (`code text: message`), else the status line.
    static func fromResponse(status: Int, reason: String, body: [UInt8]) -> RegistryError {
        struct Errors: Decodable {
            struct Item: Decodable { var code: String?; var message: String? }
            var errors: [Item]?
        }
        var codes: [String] = []
        var text = ""
        if let decoded = try? JSONDecoder().decode(Errors.self, from: Data(body)), let items = decoded.errors, !items.isEmpty {
            codes = items.compactMap(\.code)
            text = items.map { item in
                let code = String((item.code ?? "unknown").lowercased().map { $0 == "_" ? " " : $0 })
                let msg = item.message ?? ""
                return msg.isEmpty ? code : "\(code): \(msg)"
            }.joined(separator: ", ")
        } else {
            text = "unexpected status \(status) \(reason)"
            let snippet = String(String(decoding: body.prefix(200), as: UTF8.self).filter { $0 != "\n" && $0 != "\r" })
            if !snippet.isEmpty, !snippet.hasPrefix("<") { text += ": \(snippet)" }
        }
        let kind: Kind
        switch status {
        case 401, 403: kind = .unauthorized
        case 404: kind = .notFound
        default:
            kind = codes.contains(where: { ["MANIFEST_UNKNOWN", "NAME_UNKNOWN", "BLOB_UNKNOWN"].contains($0) }) ? .notFound : .failed
        }
        return RegistryError(kind, text, status: status, codes: codes)
    }
}
