import Glibc

/// The Docker Engine API over HTTP/1.1: one connection per request, the API version
/// negotiated on first use as the docker CLI does (GET /_ping, `Api-Version` header,
/// the lower of the daemon's and ours).
final class APIClient {
    /// The newest API version skiff speaks.
    static let maxVersion = APIVersion(1, 47)
    /// What a daemon that names no version is assumed to speak (docker's fallback).
    static let fallbackVersion = APIVersion(1, 24)

    let address: DaemonAddress
    private let launcher: DaemonLauncher?
    private let pinnedVersion: APIVersion?
    private(set) var negotiated: APIVersion?

    /// `launcher` starts the daemon when nothing answers (default host only);
    /// `version` pins the API version (DOCKER_API_VERSION) and skips negotiation.
    init(address: DaemonAddress, launcher: DaemonLauncher?, version: APIVersion? = nil) {
        self.address = address
        self.launcher = launcher
        self.pinnedVersion = version
    }

    /// The API version requests use, negotiating it first if needed.
    func version() throws -> APIVersion {
        if let negotiated { return negotiated }
        let server = try ping()
        let v = pinnedVersion ?? min(server ?? APIClient.fallbackVersion, APIClient.maxVersion)
        negotiated = v
        return v
    }

    /// GET /_ping; the daemon's API version if it names one. Starts the daemon when
    /// nothing answers and a launcher was given.
    @discardableResult
    func ping() throws -> APIVersion? {
        let response: HTTPResponse
        do {
            response = try HTTPClient.send(HTTPRequest(method: "GET", target: "/_ping"), on: Socket.connect(to: address))
        } catch let error as ConnectionError {
            guard let launcher else { throw error }
            try launcher.start { [address] in
                (try? HTTPClient.send(HTTPRequest(method: "GET", target: "/_ping"), on: Socket.connect(to: address)))?.status == 200
            }
            response = try HTTPClient.send(HTTPRequest(method: "GET", target: "/_ping"), on: Socket.connect(to: address))
        }
        _ = try? response.body.readAll()
        return response.header("Api-Version").flatMap(APIVersion.init)
    }

    /// Sends a request to `/v1.NN` + `path`; a status of 400 or more becomes a `DaemonError`.
    func send(
        _ method: String, _ path: String, query: Query = Query(), body: HTTPRequest.Body = .none,
        headers: [(String, String)] = []
    ) throws -> HTTPResponse {
        let target = try url(path, query: query)
        let socket = try Socket.connect(to: address)
        let response = try HTTPClient.send(HTTPRequest(method: method, target: target, headers: headers, body: body), on: socket)
        if response.status >= 400 {
            throw APIClient.daemonError(response, target: target)
        }
        return response
    }

    /// Writes a request without waiting for its answer (the wait before a start); read the
    /// answer with `answer(to:)`.
    func post(_ path: String, query: Query = Query()) throws -> PendingRequest {
        let target = try url(path, query: query)
        let socket = try Socket.connect(to: address)
        try HTTPClient.write(HTTPRequest(method: "POST", target: target), on: socket)
        return PendingRequest(socket: socket, target: target)
    }

    /// The answer to a pending request; a status of 400 or more becomes a `DaemonError`.
    func answer(to pending: PendingRequest) throws -> HTTPResponse {
        let response = try pending.head()
        if response.status >= 400 { throw APIClient.daemonError(response, target: pending.target) }
        return response
    }

    /// The request target for `path` (already escaped) and `query`.
    func url(_ path: String, query: Query = Query()) throws -> String {
        let q = query.encoded
        return "/v\(try version())" + path + (q.isEmpty ? "" : "?" + q)
    }

    /// Sends a request and parses its JSON answer.
    func json(_ method: String, _ path: String, query: Query = Query(), body: JSON? = nil) throws -> JSON {
        let response = try send(method, path, query: query, body: body.map { .bytes(Array($0.compact.utf8), contentType: "application/json") } ?? .none)
        let bytes = try response.body.readAll()
        do {
            return try JSON.parse(bytes)
        } catch {
            throw CLIError("cannot read the daemon's answer to \(method) \(path): \(error)")
        }
    }

    /// Sends a request whose answer does not matter beyond its status.
    func call(_ method: String, _ path: String, query: Query = Query(), body: JSON? = nil) throws {
        let response = try send(method, path, query: query, body: body.map { .bytes(Array($0.compact.utf8), contentType: "application/json") } ?? .none)
        _ = try response.body.readAll()
    }

    /// The raw bytes of a JSON answer (inspect keeps them as sent).
    func raw(_ path: String, query: Query = Query()) throws -> [UInt8] {
        try send("GET", path, query: query).body.readAll()
    }

    /// POSTs with `Connection: Upgrade`, `Upgrade: tcp` and returns the raw stream after
    /// `101 Switching Protocols` (attach, exec start).
    func hijack(_ path: String, query: Query = Query(), body: JSON? = nil) throws -> Socket {
        let target = try url(path, query: query)
        let socket = try Socket.connect(to: address)
        let request = HTTPRequest(
            method: "POST", target: target, headers: [("Connection", "Upgrade"), ("Upgrade", "tcp")],
            body: body.map { .bytes(Array($0.compact.utf8), contentType: "application/json") } ?? .none)
        let response = try HTTPClient.send(request, on: socket)
        if response.status >= 400 { throw APIClient.daemonError(response, target: target) }
        guard response.status == 101 || response.status == 200 else {
            throw CLIError("unable to upgrade to tcp, received \(response.status)")
        }
        return socket
    }

    /// The daemon's error for a failed request, worded as docker's client words it.
    static func daemonError(_ response: HTTPResponse, target: String) -> any Error {
        let body = (try? response.body.readAll()) ?? []
        let statusText = "\(response.status) \(HTTPStatus.text(response.status))"
        if body.isEmpty {
            return CLIError("request returned \(statusText) for API route and version http://\(HTTPClient.dummyHost)\(target), check if the server supports the requested API version")
        }
        if response.header("Content-Type") == "application/json" {
            guard let json = try? JSON.parse(body) else {
                return CLIError("Error reading JSON: invalid JSON from the daemon")
            }
            let message = json["message"]?.string?.trimmingSpaces ?? ""
            if message.isEmpty {
                return DaemonError(statusCode: response.status, message: "API returned a \(response.status) (\(HTTPStatus.text(response.status))) but provided no error-message")
            }
            return DaemonError(statusCode: response.status, message: message)
        }
        return DaemonError(statusCode: response.status, message: String(decoding: body, as: UTF8.self).trimmingSpaces)
    }
}

/// A request written to the daemon whose answer has not been read yet.
final class PendingRequest {
    let socket: Socket
    let target: String
    private var response: HTTPResponse?

    init(socket: Socket, target: String) {
        self.socket = socket
        self.target = target
    }

    /// Waits up to `milliseconds` for the answer to start, reading its head if it does.
    func awaitAnswer(milliseconds: Int32) {
        var fds = [pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)]
        if poll(&fds, 1, milliseconds) > 0 { _ = try? head() }
    }

    /// Whether the answer's head has been read (what arrives next is its body).
    var hasHead: Bool { response != nil }

    /// The answer's status line and headers (read once).
    func head() throws -> HTTPResponse {
        if let response { return response }
        let r = try HTTPClient.readHead(socket: socket, method: "POST")
        response = r
        return r
    }
}

/// An API version such as 1.47.
struct APIVersion: Comparable, CustomStringConvertible, Sendable {
    let major: Int
    let minor: Int

    init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    init?(_ text: String) {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]) else { return nil }
        self.init(a, b)
    }

    var description: String { "\(major).\(minor)" }

    static func < (a: APIVersion, b: APIVersion) -> Bool {
        (a.major, a.minor) < (b.major, b.minor)
    }
}

enum HTTPStatus {
    static func text(_ code: Int) -> String {
        switch code {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 409: return "Conflict"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        default: return "Status \(code)"
        }
    }
}
