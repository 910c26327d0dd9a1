import FoundationEssentials

/// An error as the distribution spec answers it: an HTTP status and
/// `{"errors":[{"code":"BLOB_UNKNOWN","message":"...","detail":...}]}`.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The spec's error codes (distribution-spec v1.1, "Error Codes").
    public enum Code: String, Sendable, Equatable {
        case blobUnknown = "BLOB_UNKNOWN"
        case blobUploadInvalid = "BLOB_UPLOAD_INVALID"
        case blobUploadUnknown = "BLOB_UPLOAD_UNKNOWN"
        case digestInvalid = "DIGEST_INVALID"
        case manifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
        case manifestInvalid = "MANIFEST_INVALID"
        case manifestUnknown = "MANIFEST_UNKNOWN"
        case nameInvalid = "NAME_INVALID"
        case nameUnknown = "NAME_UNKNOWN"
        case sizeInvalid = "SIZE_INVALID"
        case unauthorized = "UNAUTHORIZED"
        case denied = "DENIED"
        case unsupported = "UNSUPPORTED"
        case tooManyRequests = "TOOMANYREQUESTS"
        case tagInvalid = "TAG_INVALID"
        /// Not in the spec's table: distribution's code for an unknown route.
        case notFound = "NOT_FOUND"
        /// Not in the spec's table: a failure of the server itself.
        case unknown = "UNKNOWN"

        /// The spec's message for the code.
        public var message: String {
            switch self {
            case .blobUnknown: "blob unknown to registry"
            case .blobUploadInvalid: "blob upload invalid"
            case .blobUploadUnknown: "blob upload unknown to registry"
            case .digestInvalid: "provided digest did not match uploaded content"
            case .manifestBlobUnknown: "manifest references a manifest or blob unknown to registry"
            case .manifestInvalid: "manifest invalid"
            case .manifestUnknown: "manifest unknown"
            case .nameInvalid: "invalid repository name"
            case .nameUnknown: "repository name not known to registry"
            case .sizeInvalid: "provided length did not match content length"
            case .unauthorized: "authentication required"
            case .denied: "requested access to the resource is denied"
            case .unsupported: "the operation is unsupported"
            case .tooManyRequests: "too many requests"
            case .tagInvalid: "manifest tag did not match URI"
            case .notFound: "page not found"
            case .unknown: "unknown error"
            }
        }

        /// The status the code is answered with unless a handler says otherwise.
        public var status: Int {
            switch self {
            case .blobUnknown, .blobUploadUnknown, .manifestUnknown, .nameUnknown, .notFound: 404
            case .unauthorized: 401
            case .denied: 403
            case .unsupported: 405
            case .tooManyRequests: 429
            case .unknown: 500
            default: 400
            }
        }
    }

    public var code: Code
    public var status: Int
    public var message: String
    /// Free text in `detail` (the spec allows any JSON there).
    public var detail: String?

    public init(_ code: Code, status: Int? = nil, message: String? = nil, detail: String? = nil) {
        self.code = code
        self.status = status ?? code.status
        self.message = message ?? code.message
        self.detail = detail
    }

    public var description: String {
        "\(code.rawValue): \(message)" + (detail.map { " (\($0))" } ?? "")
    }

    /// The JSON body.
    public var body: [UInt8] {
        struct Entry: Encodable {
            var code: String
            var message: String
            var detail: String?
        }
        struct Errors: Encodable { var errors: [Entry] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes = (try? Array(encoder.encode(Errors(errors: [Entry(code: code.rawValue, message: message, detail: detail)]))))
            ?? Array(#"{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}"#.utf8)
        bytes.append(0x0A)
        return bytes
    }
}
