import FoundationEssentials
import SkiffHTTP

/// One API request as a handler sees it.
public struct APIRequest: Sendable {
    /// Uppercased: "GET", "POST", "HEAD", "DELETE", "PUT".
    public var method: String
    /// Without the version prefix: "/containers/abc/json".
    public var path: String
    /// "1.47" when the client gave no version.
    public var apiVersion: String
    /// Path parameters by the name in the route pattern (`{id}` → "id").
    public var params: [String: String]
    public var query: Query
    public var headers: Headers
    public var body: RequestBody

    public init(
        method: String, path: String, apiVersion: String = APIVersion.current, params: [String: String] = [:],
        query: Query = Query(), headers: Headers = Headers(), body: RequestBody = RequestBody(bytes: [])
    ) {
        self.method = method
        self.path = path
        self.apiVersion = apiVersion
        self.params = params
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// A path parameter the route guarantees; "" if the route has none by that name.
    public func param(_ name: String) -> String { params[name] ?? "" }

    /// A request header, case-insensitively.
    public func header(_ name: String) -> String? { headers[name] }

    /// Whether the client's API version is `version` or newer.
    public func apiVersionAtLeast(_ version: String) -> Bool {
        APIVersion.compare(apiVersion, version) != .orderedAscending
    }
}

/// The query string, with Docker's rules for its values.
public struct Query: Sendable {
    /// Decoded pairs, in order (keys may repeat).
    public var items: [(key: String, value: String)]

    public init(_ items: [(key: String, value: String)] = []) { self.items = items }

    /// Parses `a=1&b=x%20y&b=z` (`+` is a space, as in Go's ParseQuery).
    public init(parsing raw: Substring) throws(APIError) {
        var items: [(key: String, value: String)] = []
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = percentDecode(parts[0], plusIsSpace: true),
                  let value = percentDecode(parts.count > 1 ? parts[1] : "", plusIsSpace: true) else {
                throw .badRequest("invalid query string: \(pair)")
            }
            items.append((key, value))
        }
        self.items = items
    }

    /// The first value of `key`.
    public func string(_ key: String) -> String? { items.first { $0.key == key }?.value }

    /// Every value of `key` (`?names=a&names=b`).
    public func strings(_ key: String) -> [String] { items.filter { $0.key == key }.map(\.value) }

    /// Docker's boolean: absent → nil; "", "0", "no", "false", "none" (any
    /// case) → false; anything else ("1", "true", "True") → true.
    public func bool(_ key: String) -> Bool? {
        guard let value = string(key) else { return nil }
        return !["", "0", "no", "false", "none"].contains(value.trimmingSpaces().lowercased())
    }

    /// An integer; absent or empty → nil, not a number → 400.
    public func int(_ key: String) throws(APIError) -> Int? {
        guard let value = string(key), !value.isEmpty else { return nil }
        guard let number = Int(value.trimmingSpaces()) else {
            throw .badRequest("invalid value for \(key): \(value) is not an integer")
        }
        return number
    }

    /// Docker's `filters` parameter: `{"label":["a=b"]}` or the map form
    /// `{"status":{"running":true}}`, per key, as name → values.
    public func filters() throws(APIError) -> [String: [String]] {
        guard let raw = string("filters"), !raw.trimmingSpaces().isEmpty else { return [:] }
        do {
            let decoded = try JSONDecoder().decode([String: FilterValues].self, from: Data(raw.utf8))
            return decoded.mapValues(\.values)
        } catch {
            throw .badRequest("invalid filter: \(raw)")
        }
    }
}

/// One key's values in a `filters` document: an array, or an object whose keys are the values.
private struct FilterValues: Decodable {
    var values: [String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let array = try? container.decode([String].self) {
            values = array
        } else {
            values = try container.decode([String: Bool].self).keys.sorted()
        }
    }
}

/// API versions: "1.47" compared numerically.
public enum APIVersion {
    /// The version skiffd implements.
    public static let current = "1.47"
    /// The oldest version it accepts.
    public static let minimum = "1.24"

    /// Compares "1.9" < "1.24" by number; a malformed version sorts first.
    public static func compare(_ a: String, _ b: String) -> ComparisonResult {
        let x = parse(a) ?? [], y = parse(b) ?? []
        for i in 0..<max(x.count, y.count) {
            let l = i < x.count ? x[i] : 0, r = i < y.count ? y[i] : 0
            if l != r { return l < r ? .orderedAscending : .orderedDescending }
        }
        return .orderedSame
    }

    static func parse(_ version: String) -> [Int]? {
        let parts = version.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.compactMap { $0 }
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
