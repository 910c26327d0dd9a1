import NIOCore
import NIOSSL
import SkiffHTTP

/// `skiff-registry serve`: the registry on a TCP address, over TLS when
/// given a certificate and key.
public final class RegistryServer: Sendable {
    private let server: HTTPServer
    public let registry: Registry

    public init(
        root: String, log: ServerLogger = ServerLogger(), threads: Int = 0, access: AccessPolicy = AccessPolicy(),
        tls: (certificate: String, key: String)? = nil
    ) throws {
        registry = Registry(storage: try RegistryStorage(root: root), log: log, access: access)
        let count = threads > 0 ? threads : System.coreCount
        let context = try tls.map { try Self.tlsContext(certificate: $0.certificate, key: $0.key) }
        server = HTTPServer(responder: registry, logger: log, threads: count, tls: context)
    }

    /// A server context from PEM files: the certificate chain (leaf first) and its private key.
    public static func tlsContext(certificate: String, key: String) throws(RegistryConfigError) -> NIOSSLContext {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate)
            guard !chain.isEmpty else { throw RegistryConfigError("\(certificate): no certificate") }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
            configuration.minimumTLSVersion = .tlsv12
            configuration.applicationProtocols = ["http/1.1"]
            return try NIOSSLContext(configuration: configuration)
        } catch let error as RegistryConfigError {
            throw error
        } catch {
            throw RegistryConfigError("TLS certificate \(certificate) and key \(key): \(error)")
        }
    }

    /// Listens on `host:port` (port 0: one the system picks); returns the port bound.
    public func listen(host: String, port: Int) async throws -> Int {
        let bound = try await server.listen(.tcp(host: host, port: port))
        guard case .tcp(_, let actual) = bound else { return port }
        return actual
    }

    public func shutdown() async { await server.shutdown() }
}
