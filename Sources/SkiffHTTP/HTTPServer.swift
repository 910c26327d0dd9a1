import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Where the API listens: `unix:///run/skiff/skiff.sock` or `tcp://127.0.0.1:2375`.
public enum Endpoint: Sendable, Equatable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Parses a `-H` value. A bare path is a unix socket; `tcp://` needs a
    /// port (an empty host is 127.0.0.1).
    public init(parsing text: String) throws(ServerError) {
        if text.hasPrefix("unix://") {
            let path = String(text.dropFirst(7))
            guard path.hasPrefix("/") else { throw ServerError("invalid unix socket address \(text): the path must be absolute") }
            guard path.utf8.count < 108 else { throw ServerError("unix socket path too long: \(path)") }
            self = .unix(path: path)
        } else if text.hasPrefix("/") {
            self = try Endpoint(parsing: "unix://" + text)
        } else if text.hasPrefix("tcp://") {
            let address = text.dropFirst(6).split(separator: "/", maxSplits: 1).first ?? ""
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
                  (1...65535).contains(port) else {
                throw ServerError("invalid tcp address \(text): expected tcp://HOST:PORT")
            }
            var host = String(address[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            self = .tcp(host: host.isEmpty ? "127.0.0.1" : host, port: port)
        } else {
            throw ServerError("invalid address \(text): expected unix:///path or tcp://host:port")
        }
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix://\(path)"
        case .tcp(let host, let port): host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        }
    }
}

/// A listener that could not be set up.
public struct ServerError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An HTTP/1.1 server on unix sockets and TCP, on swift-nio: keep-alive,
/// request bodies streamed with backpressure, chunked and hijacked responses.
/// What it serves is its responder's (skiffd's Docker API, the registry).
package final class HTTPServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let router: any HTTPResponder
    private let logger: any ServerLog
    /// Unix sockets are given to this group (if it exists), mode 0660.
    private let socketGroup: String
    private let listeners = Mutex<[(endpoint: Endpoint, channel: any Channel)]>([])
    /// TLS on TCP listeners (the registry's --tls-cert/--tls-key); unix sockets stay plain.
    private let tls: NIOSSLContext?

    package init(
        responder: any HTTPResponder, logger: any ServerLog, socketGroup: String = "skiff", threads: Int = System.coreCount,
        tls: NIOSSLContext? = nil
    ) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.tls = tls
        self.router = responder
        self.logger = logger
        self.socketGroup = socketGroup
    }

    /// Starts listening on `endpoint`. A unix socket file left by a dead
    /// daemon is replaced; one that answers is not (another daemon runs).
    /// Returns the address bound (the port the system chose for port 0).
    @discardableResult
    package func listen(_ endpoint: Endpoint) async throws -> Endpoint {
        let channel: any Channel
        switch endpoint {
        case .unix(let path):
            try Self.prepareSocketPath(path)
            channel = try await bootstrap(tcp: false).bind(unixDomainSocketPath: path).get()
            chmod(path, 0o660)
            if let entry = getgrnam(socketGroup) {
                chown(path, 0, entry.pointee.gr_gid)
            }
        case .tcp(let host, let port):
            channel = try await bootstrap(tcp: true).bind(host: host, port: port).get()
        }
        listeners.withLock { $0.append((endpoint, channel)) }
        if case .tcp(let host, _) = endpoint, let bound = channel.localAddress?.port {
            return .tcp(host: host, port: bound)
        }
        return endpoint
    }

    /// Stops accepting, closes every connection, removes the unix sockets.
    package func shutdown() async {
        let all = listeners.withLock { listeners in
            defer { listeners = [] }
            return listeners
        }
        for listener in all {
            try? await listener.channel.close()
            if case .unix(let path) = listener.endpoint { unlink(path) }
        }
        try? await group.shutdownGracefully()
    }

    private func bootstrap(tcp: Bool) -> ServerBootstrap {
        let router = self.router
        let logger = self.logger
        let tls = tcp ? self.tls : nil
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
                    let encoder = HTTPResponseEncoder()
                    let handler = ConnectionHandler(router: router, logger: logger, decoder: decoder, encoder: encoder)
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.addHandlers([decoder, encoder, handler])
                }
            }
        if tcp {
            bootstrap = bootstrap
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        return bootstrap
    }

    /// Makes the socket's directory (0755) and clears a stale socket file.
    static func prepareSocketPath(_ path: String) throws(ServerError) {
        let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        var partial = ""
        for component in parent.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o755) != 0, errno != EEXIST {
                throw ServerError("cannot create \(partial): \(String(cString: strerror(errno)))")
            }
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw ServerError("\(path) exists and is not a socket")
        }
        if socketAnswers(path) {
            throw ServerError("another daemon is listening on \(path)")
        }
        unlink(path)
    }

    /// Whether something accepts connections on the unix socket at `path`.
    static func socketAnswers(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
