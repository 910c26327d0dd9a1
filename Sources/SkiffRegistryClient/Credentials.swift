import FoundationEssentials
import SkiffSystem

/// What a registry is logged in with: a user and password (basic auth, or exchanged for a
/// token), or an identity token (OAuth refresh token).
public struct RegistryCredentials: Sendable, Equatable {
    public var username: String
    public var password: String
    public var identityToken: String?
    public var registryToken: String?

    public init(username: String, password: String, identityToken: String? = nil, registryToken: String? = nil) {
        self.username = username
        self.password = password
        self.identityToken = identityToken
        self.registryToken = registryToken
    }

    public var isEmpty: Bool {
        username.isEmpty && password.isEmpty && (identityToken ?? "").isEmpty && (registryToken ?? "").isEmpty
    }

    /// Docker's AuthConfig JSON (the `X-Registry-Auth` header's content, `POST /auth`'s body).
    public struct AuthConfig: Codable, Sendable, Equatable {
        public var username: String?
        public var password: String?
        public var auth: String?
        public var email: String?
        public var serveraddress: String?
        public var identitytoken: String?
        public var registrytoken: String?

        public init(username: String? = nil, password: String? = nil, serveraddress: String? = nil) {
            self.username = username
            self.password = password
            self.serveraddress = serveraddress
        }

        /// The credentials it holds (`auth`, base64 "user:password", when the fields are empty).
        public var credentials: RegistryCredentials? {
            var user = username ?? ""
            var pass = password ?? ""
            if user.isEmpty, pass.isEmpty, let auth, let decoded = Base64.decode(auth),
               let text = String(validating: decoded, as: UTF8.self), let colon = text.firstIndex(of: ":") {
                user = String(text[..<colon])
                pass = String(text[text.index(after: colon)...])
            }
            let creds = RegistryCredentials(
                username: user, password: pass, identityToken: identitytoken.flatMap { $0.isEmpty ? nil : $0 },
                registryToken: registrytoken.flatMap { $0.isEmpty ? nil : $0 })
            return creds.isEmpty ? nil : creds
        }
    }

    /// An `X-Registry-Auth` header: base64url (padded or not, standard alphabet accepted too)
    /// JSON. Empty, `{}` or unreadable → nil, as dockerd treats it.
    public static func fromHeader(_ header: String?) -> (credentials: RegistryCredentials?, server: String?) {
        guard let header, !header.isEmpty, let bytes = Base64.decode(header),
              let config = try? JSONDecoder().decode(AuthConfig.self, from: Data(bytes)) else { return (nil, nil) }
        return (config.credentials, config.serveraddress)
    }

    /// The header value for these credentials (base64url JSON, as the docker CLI sends it).
    public func header(server: String) -> String {
        var config = AuthConfig(username: username, password: password, serveraddress: server)
        config.identitytoken = identityToken
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(config)).map { Array($0) } ?? Array("{}".utf8)
        return Base64.encode(json, url: true)
    }
}

/// `~/.docker/config.json`'s `auths`: registry → base64 "user:password", keyed as docker
/// keys them (`https://index.docker.io/v1/` for Docker Hub, else the registry's host[:port]).
public enum DockerConfigAuths {
    public static let dockerHubKey = "https://index.docker.io/v1/"

    /// The key `docker login SERVER` stores under.
    public static func key(for registry: String) -> String {
        let host = normalize(registry)
        return host == "docker.io" ? dockerHubKey : host
    }

    /// A key or server address reduced to host[:port] (scheme and path dropped; Docker
    /// Hub's aliases to `docker.io`).
    public static func normalize(_ server: String) -> String {
        var s = server
        for prefix in ["http://", "https://"] where s.hasPrefix(prefix) { s.removeFirst(prefix.count) }
        if let slash = s.firstIndex(of: "/") { s = String(s[..<slash]) }
        switch s {
        case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "": return "docker.io"
        default: return s
        }
    }

    /// `auth`: base64 of "user:password".
    public static func encode(username: String, password: String) -> String {
        Base64.encode(Array("\(username):\(password)".utf8))
    }

    /// The credentials stored for `registry` in a config.json's bytes.
    public static func lookup(_ registry: String, inConfig bytes: [UInt8]) -> RegistryCredentials? {
        struct File: Decodable { var auths: [String: RegistryCredentials.AuthConfig]? }
        guard let file = try? JSONDecoder().decode(File.self, from: Data(bytes)), let auths = file.auths else { return nil }
        let wanted = normalize(registry)
        if let exact = auths[key(for: registry)], let creds = exact.credentials { return creds }
        for (k, v) in auths where normalize(k) == wanted {
            if let creds = v.credentials { return creds }
        }
        return nil
    }
}
