import NIOCore
import SkiffHTTP

/// `skiff-registry serve`: the registry on a TCP address.
public final class RegistryServer: Sendable {
    private let server: HTTPServer
    public let registry: Registry

    public init(root: String, log: RegistryLog = RegistryLog(), threads: Int = 0) throws {
        registry = Registry(storage: try RegistryStorage(root: root), log: log)
        let count = threads > 0 ? threads : System.coreCount
        server = HTTPServer(responder: registry, logger: log, threads: count)
    }

    /// Listens on `host:port` (port 0: one the system picks); returns the port bound.
    public func listen(host: String, port: Int) async throws -> Int {
        let bound = try await server.listen(.tcp(host: host, port: port))
        guard case .tcp(_, let actual) = bound else { return port }
        return actual
    }

    public func shutdown() async { await server.shutdown() }
}
