import Glibc
import NIOSSL

/// Per-registry TLS from Docker's certs.d layout: `CERTSDIR/HOST[:PORT]/` holding `*.crt`
/// (CAs trusted for that registry on top of the system roots) and `*.cert` + `*.key`
/// pairs (client certificates). The server's certificate is always verified.
public enum RegistryTLS {
    /// skiffd's default (`--certs-dir`), as dockerd's is /etc/docker/certs.d.
    public static let defaultCertsDir = "/etc/skiff/certs.d"

    /// The directory for `host` (host[:port]); Docker's files for `[::1]:5000` live in `[::1]:5000`.
    public static func directory(certsDir: String, host: String) -> String {
        certsDir + "/" + host
    }

    /// The TLS configuration for `host` from its certs.d directory; nil when it has none
    /// (then the system roots alone are used).
    public static func configuration(certsDir: String?, host: String) throws(RegistryError) -> TLSConfiguration? {
        guard let certsDir, !certsDir.isEmpty else { return nil }
        let dir = directory(certsDir: certsDir, host: host)
        guard let handle = opendir(dir) else { return nil }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        closedir(handle)
        names.sort()
        let cas = names.filter { $0.hasSuffix(".crt") }
        let certs = names.filter { $0.hasSuffix(".cert") }
        let keys = names.filter { $0.hasSuffix(".key") }
        if cas.isEmpty && certs.isEmpty && keys.isEmpty { return nil }

        var config = TLSConfiguration.makeClientConfiguration()
        config.certificateVerification = .fullVerification
        var roots: [NIOSSLCertificate] = []
        for ca in cas {
            let loaded: [NIOSSLCertificate]
            do {
                loaded = try NIOSSLCertificate.fromPEMFile(dir + "/" + ca)
            } catch {
                throw RegistryError(.failed, "failed to load CA certificate \(dir)/\(ca): \(error)")
            }
            guard !loaded.isEmpty else { throw RegistryError(.failed, "failed to load CA certificate \(dir)/\(ca): no certificate in it") }
            roots += loaded
        }
        if !roots.isEmpty { config.additionalTrustRoots = [.certificates(roots)] }
        // Docker's rule: every client certificate needs its key and every key its certificate.
        for cert in certs {
            let key = String(cert.dropLast(".cert".count)) + ".key"
            guard keys.contains(key) else {
                throw RegistryError(.failed, "missing key \(key) for client certificate \(cert). CA certificates must use the extension .crt")
            }
        }
        for key in keys {
            let cert = String(key.dropLast(".key".count)) + ".cert"
            guard certs.contains(cert) else {
                throw RegistryError(.failed, "missing client certificate \(cert) for key \(key)")
            }
        }
        if let cert = certs.first {
            let key = String(cert.dropLast(".cert".count)) + ".key"
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(dir + "/" + cert)
                config.certificateChain = chain.map { .certificate($0) }
                config.privateKey = .privateKey(try NIOSSLPrivateKey(file: dir + "/" + key, format: .pem))
            } catch {
                throw RegistryError(.failed, "failed to load client certificate \(dir)/\(cert) and key \(key): \(error)")
            }
        }
        return config
    }

    /// A TLS failure in words like Go's (`x509: certificate signed by unknown authority`),
    /// with where a CA for this registry would go; nil when `error` is not about TLS.
    static func describe(_ error: any Error, host: String, certsDir: String?) -> String? {
        let text = String(describing: error)
        let hint = certsDir.map { " (a CA for this registry goes in \(directory(certsDir: $0, host: host))/ca.crt)" } ?? ""
        // BoringSSL's verify failure does not say why; an unknown issuer is by far the usual one.
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
            return "tls: failed to verify certificate: x509: certificate signed by unknown authority (or expired, or not yet valid)" + hint
        }
        if let ssl = error as? NIOSSLExtraError, String(describing: ssl).contains("hostname") {
            return "tls: failed to verify certificate: x509: certificate is not valid for \(RegistryEndpoint.hostname(host)): \(ssl)"
        }
        if text.contains("CERTIFICATE_REQUIRED") || text.contains("certificate required") {
            let dir = certsDir.map { " (a client certificate goes in \(directory(certsDir: $0, host: host))/client.cert and client.key)" } ?? ""
            return "remote error: tls: certificate required" + dir
        }
        if text.contains("SSLV3_ALERT_HANDSHAKE_FAILURE") || text.contains("TLSV1_ALERT") || text.contains("SSLV3_ALERT")
            || error is NIOSSLError {
            return "tls: \(text)"
        }
        return nil
    }
}
