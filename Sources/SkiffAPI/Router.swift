import SkiffHTTP

/// Answers one request. Throw an APIError (or an ImageError) for an error
/// response; anything else thrown becomes a 500.
public typealias Handler = @Sendable (APIRequest) async throws -> APIResponse

/// Routes by method and path pattern, with or without the `/v1.NN` prefix.
///
/// Patterns are literal segments and parameters: `{id}` takes one segment,
/// `{name*}` one or more (image names hold slashes:
/// `/images/{name*}/json` matches `/images/localhost:5000/foo/bar:tag/json`).
/// Routes are tried in the order they were added.
public struct Router: Sendable {
    private struct Route: Sendable {
        var method: String
        var prefix: [String]
        /// Set for a pattern with `{name*}`: its name, and the segments after it.
        var rest: (name: String, suffix: [String])?
        var handler: Handler
    }

    private enum Segment { case literal(String), param(String) }

    private var routes: [Route] = []

    public init() {}

    /// Adds a route; `pattern` must start with "/".
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        var prefix: [String] = []
        var rest: (name: String, suffix: [String])?
        for segment in pattern.split(separator: "/") {
            if segment.hasPrefix("{"), segment.hasSuffix("*}") {
                rest = (String(segment.dropFirst().dropLast(2)), [])
            } else if rest != nil {
                rest?.suffix.append(String(segment))
            } else {
                prefix.append(String(segment))
            }
        }
        routes.append(Route(method: method.uppercased(), prefix: prefix, rest: rest, handler: handler))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    public mutating func head(_ pattern: String, _ handler: @escaping Handler) { add("HEAD", pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add("POST", pattern, handler) }
    public mutating func put(_ pattern: String, _ handler: @escaping Handler) { add("PUT", pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add("DELETE", pattern, handler) }

    /// The handler for `method` and `path` (no version prefix, decoded
    /// segments), with its path parameters.
    func match(method: String, segments: [String]) -> (Handler, [String: String])? {
        for route in routes where route.method == method {
            if let params = Self.match(route, segments) { return (route.handler, params) }
        }
        return nil
    }

    private static func match(_ route: Route, _ segments: [String]) -> [String: String]? {
        let fixed = route.prefix.count + (route.rest?.suffix.count ?? 0)
        if route.rest == nil ? segments.count != fixed : segments.count <= fixed { return nil }
        var params: [String: String] = [:]
        func take(_ pattern: String, _ value: String) -> Bool {
            if pattern.hasPrefix("{"), pattern.hasSuffix("}") {
                params[String(pattern.dropFirst().dropLast())] = value
                return true
            }
            return pattern == value
        }
        for (pattern, value) in zip(route.prefix, segments) where !take(pattern, value) { return nil }
        if let rest = route.rest {
            let tail = segments.suffix(rest.suffix.count)
            for (pattern, value) in zip(rest.suffix, tail) where !take(pattern, value) { return nil }
            params[rest.name] = segments[route.prefix.count..<(segments.count - rest.suffix.count)].joined(separator: "/")
        }
        return params
    }

    /// Answers a request as it came off the wire: `target` is the request
    /// URI ("/v1.47/images/json?all=1"). Never throws: every failure is an
    /// error response.
    func respond(method: String, target: String, headers: Headers, body: RequestBody) async -> APIResponse {
        do {
            var (request, segments) = try Self.parse(method: method, target: target, headers: headers, body: body)
            guard let (handler, params) = match(method: request.method, segments: segments) else {
                throw APIError.notFound("page not found")
            }
            request.params = params
            return try await handler(request)
        } catch {
            return .error(APIError(error))
        }
    }

    /// Splits the URI into a decoded path (version prefix removed and
    /// checked) and the query; also the decoded path segments (a segment
    /// may hold an escaped slash).
    static func parse(
        method: String, target: String, headers: Headers, body: RequestBody
    ) throws(APIError) -> (APIRequest, [String]) {
        let rawPath = target.prefix { $0 != "?" }
        let query = try Query(parsing: target.dropFirst(rawPath.count + 1))
        var segments: [String] = []
        for raw in rawPath.split(separator: "/") {
            guard let segment = percentDecode(raw, plusIsSpace: false) else {
                throw .badRequest("invalid escape in path: \(rawPath)")
            }
            segments.append(segment)
        }
        var version = APIVersion.current
        if let first = segments.first, first.hasPrefix("v"), first.dropFirst().allSatisfy({ $0.isNumber || $0 == "." }), first.count > 1 {
            version = String(first.dropFirst())
            segments.removeFirst()
            guard APIVersion.parse(version) != nil else {
                throw .badRequest("invalid API version: \(version)")
            }
            if APIVersion.compare(version, APIVersion.minimum) == .orderedAscending {
                throw .badRequest(
                    "client version \(version) is too old. Minimum supported API version is \(APIVersion.minimum), please upgrade your client to a newer version")
            }
            if APIVersion.compare(version, APIVersion.current) == .orderedDescending {
                throw .badRequest("client version \(version) is too new. Maximum supported API version is \(APIVersion.current)")
            }
        }
        let request = APIRequest(
            method: method.uppercased(), path: "/" + segments.joined(separator: "/"), apiVersion: version,
            query: query, headers: headers, body: body)
        return (request, segments)
    }
}
