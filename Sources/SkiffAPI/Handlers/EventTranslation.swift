import SkiffEngine
import SkiffSystem

/// The engine's events as Docker's JSON, and the query of `GET /events`.
enum EventTranslation {
    static func message(_ e: Event) -> EventMessage {
        var message = EventMessage(
            type: e.kind.rawValue, action: e.action, actor: .init(id: e.actorID, attributes: e.attributes),
            time: e.time / 1_000_000_000, timeNano: e.time)
        // dockerd's deprecated fields: containers and images only.
        if e.kind == .container || e.kind == .image {
            message.status = e.action
            message.id = e.actorID
        }
        if e.kind == .container { message.from = e.attributes["image"] }
        return message
    }

    /// `since` or `until` in nanoseconds since the epoch: Unix seconds with an
    /// optional fraction (what the docker CLI sends: "1700000000.123456789"),
    /// or an RFC 3339 time. Nil when absent or empty.
    static func time(_ text: String?, parameter: String) throws(APIError) -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        if let seconds = Int64(parts[0]) {
            guard parts.count == 1 else {
                guard let nanos = fraction(parts[1]) else { throw invalid(text, parameter) }
                return seconds * 1_000_000_000 + (seconds < 0 ? -nanos : nanos)
            }
            return seconds * 1_000_000_000
        }
        // RFC 3339: the fraction taken apart, so that it keeps every digit.
        var whole = text
        var nanos: Int64 = 0
        if let dot = text.firstIndex(of: ".") {
            let digits = text[text.index(after: dot)...].prefix { $0.isASCII && $0.isNumber }
            guard let n = fraction(digits) else { throw invalid(text, parameter) }
            nanos = n
            whole = String(text[..<dot]) + String(text[text.index(after: dot)...].dropFirst(digits.count))
        }
        guard let seconds = Timestamp.parse(whole) else { throw invalid(text, parameter) }
        return Int64(seconds) * 1_000_000_000 + nanos
    }

    /// Up to nine digits of a second's fraction as nanoseconds ("5" is 500000000).
    private static func fraction(_ digits: Substring) -> Int64? {
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let nine = String(digits.prefix(9))
        return Int64(nine + String(repeating: "0", count: 9 - nine.count))
    }

    private static func invalid(_ text: String, _ parameter: String) -> APIError {
        .badRequest("invalid value for \(parameter): \"\(text)\": expected a Unix timestamp (seconds[.nanoseconds]) or an RFC 3339 time")
    }
}
