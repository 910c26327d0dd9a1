import SkiffHTTP

/// One registry request: method, decoded path segments, query, headers, body.
struct RegistryRequest: Sendable {
    var method: String
    var segments: [String]
    var query: [(key: String, value: String)]
    var headers: Headers
    var body: InboundStream

    init(method: String, target: String, headers: Headers, body: InboundStream) throws(RegistryError) {
        self.method = method.uppercased()
        self.headers = headers
        self.body = body
        let rawPath = target.prefix { $0 != "?" }
        var segments: [String] = []
        for raw in rawPath.split(separator: "/") {
            guard let segment = percentDecode(raw, plusIsSpace: false) else {
                throw RegistryError(.notFound, detail: "invalid escape in path")
            }
            segments.append(segment)
        }
        self.segments = segments
        var query: [(key: String, value: String)] = []
        if rawPath.count < target.count {
            for pair in target.dropFirst(rawPath.count + 1).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let key = percentDecode(parts[0], plusIsSpace: true),
                      let value = percentDecode(parts.count > 1 ? parts[1] : "", plusIsSpace: true) else { continue }
                query.append((key, value))
            }
        }
        self.query = query
    }

    /// The first value of a query parameter.
    func query(_ key: String) -> String? { query.first { $0.key == key }?.value }
}

/// Which part of the API a path names; repository names hold slashes, so
/// the path is read from its end.
enum Route: Equatable {
    case base
    case catalog
    case tags(name: String)
    case manifest(name: String, reference: String)
    case blob(name: String, digest: String)
    case uploads(name: String)
    case upload(name: String, id: String)
    case referrers(name: String, digest: String)

    init?(_ segments: [String]) {
        guard segments.first == "v2" else { return nil }
        let s = Array(segments.dropFirst())
        let n = s.count
        func name(_ count: Int) -> String? { count > 0 ? s[0..<count].joined(separator: "/") : nil }
        if n == 0 { self = .base; return }
        if s == ["_catalog"] { self = .catalog; return }
        if n >= 3, s[n - 2] == "tags", s[n - 1] == "list", let name = name(n - 2) { self = .tags(name: name); return }
        if n >= 3, s[n - 2] == "manifests", let name = name(n - 2) { self = .manifest(name: name, reference: s[n - 1]); return }
        if n >= 4, s[n - 3] == "blobs", s[n - 2] == "uploads", let name = name(n - 3) { self = .upload(name: name, id: s[n - 1]); return }
        if n >= 3, s[n - 2] == "blobs", s[n - 1] == "uploads", let name = name(n - 2) { self = .uploads(name: name); return }
        if n >= 3, s[n - 2] == "blobs", let name = name(n - 2) { self = .blob(name: name, digest: s[n - 1]); return }
        if n >= 3, s[n - 2] == "referrers", let name = name(n - 2) { self = .referrers(name: name, digest: s[n - 1]); return }
        return nil
    }

    var name: String? {
        switch self {
        case .base, .catalog: nil
        case .tags(let name), .manifest(let name, _), .blob(let name, _), .uploads(let name), .upload(let name, _),
            .referrers(let name, _): name
        }
    }
}
