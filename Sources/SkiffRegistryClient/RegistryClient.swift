import AsyncHTTPClient
import FoundationEssentials
import Glibc
import NIOCore
import NIOHTTP1
import NIOSSL
import SkiffOCI
import Synchronization
import SkiffSystem

/// One repository of one registry, spoken to through the distribution API (OCI
/// distribution-spec v1.1 / Docker registry v2) with the access `actions` asks
/// (`pull`, `push`). `authenticate()` pings `/v2/` and answers its challenge: Basic
/// with the credentials, or Bearer with a token from the realm (anonymous without
/// credentials) for this repository's scope and any `extraScopes` (cross-repo mounts).
public final class RegistryClient: Sendable {
    public let endpoint: RegistryEndpoint
    public let repository: String
    let credentials: RegistryCredentials?
    let scopes: [String]
    private let authorization = Mutex<String?>(nil)
    /// The registry's TLS from its certs.d directory (nil: the system roots), or why it
    /// could not be loaded (thrown by the first request).
    let tls: Result<TLSConfiguration?, RegistryError>

    /// Redirects are followed by hand: a blob's redirect (to a CDN) must not carry our
    /// Authorization header to another host.
    static let http: HTTPClient = {
        var config = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(30)))
        config.decompression = .disabled
        // A failed connect fails the request at once (not after retries until the connect
        // timeout): `send` retries what is transient, and a TLS refusal is not.
        config.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    }()

    public init(
        endpoint: RegistryEndpoint, repository: String, credentials: RegistryCredentials?, actions: [String] = ["pull"],
        extraScopes: [String] = []
    ) {
        self.endpoint = endpoint
        self.repository = repository
        self.credentials = credentials
        self.tls = endpoint.scheme == "https"
            ? Result { () throws(RegistryError) in try RegistryTLS.configuration(certsDir: endpoint.certsDir, host: endpoint.host) }
            : .success(nil)
        self.scopes = (repository.isEmpty || actions.isEmpty ? [] : ["repository:\(repository):\(actions.joined(separator: ","))"])
            + extraScopes
    }

    public static let manifestAccept = [
        MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest,
    ]

    // MARK: Authentication

    /// Pings `/v2/` and sets up what later requests are authorized with. Throws
    /// `.unauthorized` when the credentials are refused.
    public func authenticate() async throws {
        let response = try await retrying { try await execute(request("GET", endpoint.baseURL + "/v2/"), timeout: .seconds(60)) }
        if response.status == .ok { _ = try? await response.body.collect(upTo: 1 << 16); return }
        guard response.status == .unauthorized else {
            let body = (try? await response.body.collect(upTo: 1 << 16)).map { Array(buffer: $0) } ?? []
            throw RegistryError.fromResponse(status: Int(response.status.code), reason: response.status.reasonPhrase, body: body)
        }
        _ = try? await response.body.collect(upTo: 1 << 16)
        let challenges = response.headers["WWW-Authenticate"].flatMap(AuthChallenge.parse)
        try await answer(challenges, pingURL: endpoint.baseURL + "/v2/")
    }

    /// `docker login`'s check: the credentials work against `/v2/` (basic), or get a token (bearer).
    public func checkLogin() async throws {
        let url = endpoint.baseURL + "/v2/"
        try await authenticate()
        // With basic auth (or none), GET /v2/ with it must succeed.
        let response = try await execute(authorized(request("GET", url)), timeout: .seconds(60))
        _ = try? await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok else {
            throw RegistryError(
                .unauthorized, "login attempt to \(url) failed with status: \(response.status.code) \(response.status.reasonPhrase)",
                status: Int(response.status.code))
        }
    }

    func answer(_ challenges: [AuthChallenge], pingURL: String) async throws {
        if let bearer = challenges.first(where: { $0.scheme == "bearer" }), let realm = bearer.realm {
            let token = try await fetchToken(realm: realm, service: bearer.service, pingURL: pingURL)
            authorization.withLock { $0 = "Bearer \(token)" }
        } else if challenges.contains(where: { $0.scheme == "basic" }) {
            // Without credentials, go on without them as docker does: a registry that lets
            // anonymous users read (`--anonymous-pull`) answers; the others refuse each request.
            guard let credentials, !credentials.username.isEmpty else { return }
            let value = "Basic " + Base64.encode(Array("\(credentials.username):\(credentials.password)".utf8))
            authorization.withLock { $0 = value }
        } else {
            throw RegistryError(.unauthorized, "unauthorized: unsupported authentication challenge from \(pingURL)", status: 401)
        }
    }

    /// The token endpoint (docker's token spec): GET realm?service=&scope=..., with basic
    /// auth when there are credentials (or a POST of the refresh token for an identity token).
    func fetchToken(realm: String, service: String?, pingURL: String) async throws -> String {
        if let token = credentials?.registryToken { return token }
        var query: [(String, String)] = []
        if let service { query.append(("service", service)) }
        for scope in scopes { query.append(("scope", scope)) }
        if let credentials, !credentials.username.isEmpty, credentials.identityToken == nil {
            query.append(("account", credentials.username))
        }
        let url = realm + (realm.contains("?") ? "&" : "?") + query.map { "\($0)=\(Self.percentEncode($1))" }.joined(separator: "&")
        var req = request("GET", url)
        if let credentials, !credentials.username.isEmpty {
            req.headers.replaceOrAdd(
                name: "Authorization", value: "Basic " + Base64.encode(Array("\(credentials.username):\(credentials.password)".utf8)))
        }
        let response = try await execute(req, timeout: .seconds(60))
        let body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status == .ok else {
            var error = RegistryError.fromResponse(status: Int(response.status.code), reason: response.status.reasonPhrase, body: body)
            if error.codes.isEmpty, response.status == .unauthorized || response.status == .forbidden {
                error.message = "unauthorized: incorrect username or password"
            }
            error.kind = response.status == .unauthorized || response.status == .forbidden ? .unauthorized : error.kind
            error.message = "Get \"\(realm)\": \(error.message)"
            throw error
        }
        struct Token: Decodable { var token: String?; var access_token: String? }
        guard let decoded = try? JSONDecoder().decode(Token.self, from: Data(body)),
              let token = decoded.token ?? decoded.access_token, !token.isEmpty else {
            throw RegistryError(.invalid, "Get \"\(realm)\": no token in the response")
        }
        return token
    }

    // MARK: Requests

    func request(_ method: String, _ url: String) -> HTTPClientRequest {
        var req = HTTPClientRequest(url: url)
        req.method = HTTPMethod(rawValue: method)
        // The registry's CAs and client certificate, for the registry's own origin only.
        if case .success(let config?) = tls, Self.origin(url) == endpoint.baseURL { req.tlsConfiguration = config }
        req.headers.add(name: "User-Agent", value: "skiff/1.0 (linux)")
        return req
    }

    func authorized(_ request: HTTPClientRequest) -> HTTPClientRequest {
        var req = request
        if let value = authorization.withLock({ $0 }) { req.headers.replaceOrAdd(name: "Authorization", value: value) }
        return req
    }

    func execute(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        if case .failure(let error) = tls { throw error }
        let verb = request.method.rawValue.prefix(1) + request.method.rawValue.dropFirst().lowercased()
        do {
            return try await Self.http.execute(request, timeout: timeout)
        } catch let error as RegistryError {
            throw error
        } catch {
            if let text = RegistryTLS.describe(error, host: endpoint.host, certsDir: endpoint.certsDir) {
                throw RegistryError(.failed, "\(verb) \"\(request.url)\": \(text)")
            }
            // TLS 1.3: a server that wants a client certificate says so (an alert) only after
            // the client's side of the handshake, which AsyncHTTPClient reports as a close.
            var hint = ""
            if endpoint.scheme == "https", "\(error)".contains("remoteConnectionClosed"), case .success(let config) = tls,
               config?.privateKey == nil, let certsDir = endpoint.certsDir {
                hint = " (if the registry requires a client certificate, put it in "
                    + "\(RegistryTLS.directory(certsDir: certsDir, host: endpoint.host))/client.cert and client.key)"
            }
            throw RegistryError(.failed, "\(verb) \"\(request.url)\": \(error)\(hint)", transient: true)
        }
    }

    // MARK: Retries

    /// Attempts for a request or a blob download: transient failures (connection errors,
    /// 408/429/5xx) are retried with exponential backoff.
    public static let attempts = 5

    /// The wait before retry `n` (1-based): 250 ms doubling, at most 8 s; a 429's
    /// `Retry-After` (seconds, at most 30) wins.
    static func backoff(_ n: Int, retryAfter: String? = nil) -> Duration {
        if let text = retryAfter, let seconds = Int(text.filter { $0 != " " }), seconds >= 0 {
            return .seconds(min(seconds, 30))
        }
        return .milliseconds(min(250 << (n - 1), 8000))
    }

    /// Runs `body` until it succeeds, fails for good, or runs out of attempts.
    func retrying<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as RegistryError where error.transient && attempt < Self.attempts {
                try await Task.sleep(for: Self.backoff(attempt))
                attempt += 1
            }
        }
    }

    /// An authorized request; GET and HEAD follow redirects (the Authorization header kept
    /// only on the same host).
    /// With `retry` (requests whose body can be sent again), connection errors and
    /// 408/429/5xx answers are retried with backoff; the last answer is returned.
    func send(_ request: HTTPClientRequest, timeout: TimeAmount = .hours(4), retry: Bool = true) async throws -> HTTPClientResponse {
        guard retry else { return try await sendOnce(request, timeout: timeout) }
        var attempt = 1
        while true {
            let response: HTTPClientResponse
            do {
                response = try await sendOnce(request, timeout: timeout)
            } catch let error as RegistryError where error.transient && attempt < Self.attempts {
                try await Task.sleep(for: Self.backoff(attempt))
                attempt += 1
                continue
            }
            guard RegistryError.isTransient(status: Int(response.status.code)), attempt < Self.attempts else { return response }
            _ = try? await response.body.collect(upTo: 1 << 20)
            try await Task.sleep(for: Self.backoff(attempt, retryAfter: response.headers.first(name: "Retry-After")))
            attempt += 1
        }
    }

    func sendOnce(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        var req = authorized(request)
        var hops = 0
        while true {
            let response = try await execute(req, timeout: timeout)
            let redirect = [301, 302, 303, 307, 308].contains(Int(response.status.code))
            guard redirect, req.method == .GET || req.method == .HEAD, hops < 10,
                  let location = response.headers.first(name: "Location") else { return response }
            _ = try? await response.body.collect(upTo: 1 << 20)
            let next = resolve(location, against: req.url)
            let sameHost = Self.origin(next) == Self.origin(req.url)
            var nextReq = request.method == .HEAD ? self.request("HEAD", next) : self.request("GET", next)
            for (name, value) in req.headers where name.lowercased() != "authorization" || sameHost {
                nextReq.headers.replaceOrAdd(name: name, value: value)
            }
            req = nextReq
            hops += 1
        }
    }

    /// A failed response's error (its body read).
    func failure(_ response: HTTPClientResponse, what: String? = nil) async -> RegistryError {
        let body = (try? await response.body.collect(upTo: 1 << 20)).map { Array(buffer: $0) } ?? []
        var error = RegistryError.fromResponse(status: Int(response.status.code), reason: response.status.reasonPhrase, body: body)
        if let what { error.message = "\(what): \(error.message)" }
        return error
    }

    var repositoryURL: String { "\(endpoint.baseURL)/v2/\(repository)" }

    // MARK: Manifests

    public struct FetchedManifest: Sendable {
        public var bytes: [UInt8]
        public var mediaType: String
        public var digest: Digest
    }

    /// GET a manifest or index by tag or digest; by digest its bytes must hash to it.
    public func manifest(_ reference: String, hash: ([UInt8]) -> Digest) async throws -> FetchedManifest {
        var req = request("GET", "\(repositoryURL)/manifests/\(reference)")
        req.headers.add(name: "Accept", value: Self.manifestAccept.joined(separator: ", "))
        let response = try await send(req, timeout: .seconds(120))
        guard response.status == .ok else { throw await failure(response) }
        let bytes = Array(buffer: try await response.body.collect(upTo: 4 << 20))
        let digest = hash(bytes)
        if let wanted = try? Digest(reference), wanted != digest {
            throw RegistryError(.invalid, "manifest verification failed for digest \(wanted): its content has digest \(digest)")
        }
        var mediaType = response.headers.first(name: "Content-Type")?.split(separator: ";").first.map {
            String($0.filter { $0 != " " })
        } ?? ""
        // The media type the manifest declares wins over a generic Content-Type.
        struct Probe: Decodable { var mediaType: String?; var manifests: [Descriptor]?; var schemaVersion: Int? }
        if let probe = try? JSONDecoder().decode(Probe.self, from: Data(bytes)) {
            if let declared = probe.mediaType, !declared.isEmpty {
                mediaType = declared
            } else if !MediaType.isIndex(mediaType) && !MediaType.isManifest(mediaType) {
                mediaType = probe.manifests != nil ? MediaType.ociIndex : MediaType.ociManifest
            }
            if probe.schemaVersion == 1 {
                throw RegistryError(.invalid, "Docker Image Format v1 and Docker Image manifest version 2, schema 1 are not supported")
            }
        }
        return FetchedManifest(bytes: bytes, mediaType: mediaType, digest: digest)
    }

    /// PUT a manifest under a tag (or digest); returns the digest the registry gives it.
    public func putManifest(_ bytes: [UInt8], mediaType: String, reference: String) async throws -> String? {
        var req = request("PUT", "\(repositoryURL)/manifests/\(reference)")
        req.headers.add(name: "Content-Type", value: mediaType)
        req.body = .bytes(ByteBuffer(bytes: bytes))
        let response = try await send(req, timeout: .seconds(120))
        guard response.status == .created || response.status == .ok || response.status == .accepted else {
            throw await failure(response)
        }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.headers.first(name: "Docker-Content-Digest")
    }

    // MARK: Blobs

    /// GET a blob: the response, status checked; the caller reads (and verifies) its body.
    public func blob(_ digest: Digest) async throws -> HTTPClientResponse {
        try await blob(digest, from: 0).response
    }

    /// GET a blob from byte `offset` on (`Range: bytes=OFFSET-`). `skip`: how many bytes of
    /// the body still precede `offset` (all of them when the registry ignored the range).
    public func blob(_ digest: Digest, from offset: Int64) async throws -> (response: HTTPClientResponse, skip: Int64) {
        var req = request("GET", "\(repositoryURL)/blobs/\(digest)")
        if offset > 0 { req.headers.add(name: "Range", value: "bytes=\(offset)-") }
        let response = try await send(req)
        if offset > 0, response.status == .partialContent {
            // Content-Range: bytes START-END/TOTAL must start where we stopped.
            let range = response.headers.first(name: "Content-Range") ?? ""
            let start = range.split(separator: " ").last?.split(separator: "-").first.flatMap { Int64($0) }
            guard start == offset else {
                _ = try? await response.body.collect(upTo: 1 << 20)
                throw RegistryError(.failed, "blob \(digest): resumed at \(start.map(String.init) ?? "?") instead of \(offset)", transient: true)
            }
            return (response, 0)
        }
        guard response.status == .ok else { throw await failure(response, what: "blob \(digest)") }
        return (response, offset)
    }

    /// A small blob (a config) whole, checked against its digest.
    public func smallBlob(_ digest: Digest, limit: Int = 16 << 20, hash: ([UInt8]) -> Digest) async throws -> [UInt8] {
        let response = try await blob(digest)
        let bytes = Array(buffer: try await response.body.collect(upTo: limit))
        let actual = hash(bytes)
        guard actual == digest else {
            throw RegistryError(.invalid, "blob \(digest): digest mismatch: its content has digest \(actual)")
        }
        return bytes
    }

    /// HEAD a blob: whether the repository has it.
    public func hasBlob(_ digest: Digest) async throws -> Bool {
        let response = try await send(request("HEAD", "\(repositoryURL)/blobs/\(digest)"), timeout: .seconds(60))
        switch response.status {
        case .ok: return true
        case .notFound: return false
        default: throw await failure(response, what: "HEAD blob \(digest)")
        }
    }

    /// Tries a cross-repository mount of `digest` from `source` (same registry): true when
    /// mounted; otherwise the upload location the registry opened instead.
    public func mount(_ digest: Digest, from source: String) async throws -> (mounted: Bool, location: String?) {
        let url = "\(repositoryURL)/blobs/uploads/?mount=\(digest)&from=\(Self.percentEncode(source))"
        let response = try await send(request("POST", url), timeout: .seconds(60))
        _ = try? await response.body.collect(upTo: 1 << 20)
        if response.status == .created { return (true, nil) }
        if response.status == .accepted, let location = response.headers.first(name: "Location") {
            return (false, resolve(location, against: url))
        }
        return (false, nil)
    }

    /// Blobs larger than this go up in chunks of this size (POST, PATCH..., PUT);
    /// smaller ones in one PUT. `SKIFF_REGISTRY_CHUNK_SIZE` (bytes) overrides it.
    public static let chunkSize: Int64 = {
        if let text = getenv("SKIFF_REGISTRY_CHUNK_SIZE").map({ String(cString: $0) }), let n = Int64(text), n > 0 { return n }
        return 32 << 20
    }()

    /// Uploads the blob in the file at `path` (`size` bytes) into `location` when an upload
    /// is already open (a failed mount), else into a new one: monolithic (POST, PUT) up to
    /// `chunkSize`, chunked (POST, PATCH per chunk, PUT) above it. A transient failure
    /// starts the upload again, with backoff. `progress` sees the bytes sent.
    public func upload(
        _ digest: Digest, size: Int64, path: String, location given: String? = nil, chunkSize: Int64 = RegistryClient.chunkSize,
        progress: @escaping @Sendable (Int64) -> Void = { _ in }
    ) async throws {
        var location = given
        try await retrying {
            defer { location = nil }
            try await uploadOnce(digest, size: size, path: path, location: location, chunkSize: chunkSize, progress: progress)
        }
    }

    func uploadOnce(
        _ digest: Digest, size: Int64, path: String, location given: String?, chunkSize: Int64,
        progress: @escaping @Sendable (Int64) -> Void
    ) async throws {
        var location: String
        if let given {
            location = given
        } else {
            let url = "\(repositoryURL)/blobs/uploads/"
            let response = try await send(request("POST", url), timeout: .seconds(60))
            guard response.status == .accepted, let loc = response.headers.first(name: "Location") else {
                throw await failure(response, what: "upload \(digest)")
            }
            _ = try? await response.body.collect(upTo: 1 << 20)
            location = resolve(loc, against: url)
        }
        var offset: Int64 = 0
        if size > chunkSize {
            while offset < size {
                let length = min(chunkSize, size - offset)
                var req = request("PATCH", location)
                req.headers.add(name: "Content-Type", value: "application/octet-stream")
                req.headers.add(name: "Content-Range", value: "\(offset)-\(offset + length - 1)")
                let base = offset
                req.body = .stream(FileChunks(path: path, offset: offset, length: length) { progress(base + $0) }, length: .known(length))
                let response = try await send(req, retry: false)
                guard response.status == .accepted || response.status == .noContent || response.status == .created,
                      let loc = response.headers.first(name: "Location") else {
                    throw await failure(response, what: "upload \(digest)")
                }
                _ = try? await response.body.collect(upTo: 1 << 20)
                location = resolve(loc, against: location)
                offset += length
            }
        }
        let target = location + (location.contains("?") ? "&" : "?") + "digest=\(Self.percentEncode(digest.description))"
        var req = request("PUT", target)
        if offset < size {
            req.headers.add(name: "Content-Type", value: "application/octet-stream")
            req.body = .stream(FileChunks(path: path, progress: progress), length: .known(size))
        } else {
            req.body = .bytes(ByteBuffer())
        }
        let response = try await send(req, retry: false)
        guard response.status == .created else { throw await failure(response, what: "upload \(digest)") }
        _ = try? await response.body.collect(upTo: 1 << 20)
    }

    // MARK: URLs

    func resolve(_ location: String, against base: String) -> String {
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        let origin = Self.origin(base)
        return location.hasPrefix("/") ? origin + location : origin + "/" + location
    }

    static func origin(_ url: String) -> String {
        let scheme = url.hasPrefix("https://") ? 8 : url.hasPrefix("http://") ? 7 : 0
        guard scheme > 0 else { return url }
        let rest = url.dropFirst(scheme)
        let hostEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        return String(url[..<hostEnd])
    }

    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E, 0x2F, 0x3A:
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
