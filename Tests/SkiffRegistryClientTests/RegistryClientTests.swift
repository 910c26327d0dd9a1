import Glibc
import SkiffOCI
@testable import SkiffRegistryClient
import Testing
import SkiffSystem

@Suite struct WWWAuthenticateTests {
    @Test func bearerChallenge() {
        let c = AuthChallenge.parse(
            #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#)
        #expect(c.count == 1)
        #expect(c[0].scheme == "bearer")
        #expect(c[0].realm == "https://auth.docker.io/token")
        #expect(c[0].service == "registry.docker.io")
        #expect(c[0].scope == "repository:library/busybox:pull")
    }

    @Test func basicAndEscapesAndSeveralChallenges() {
        let c = AuthChallenge.parse(#"Basic realm="Registry \"R\", x", Bearer realm=https://t/token, service=s"#)
        #expect(c.count == 2)
        #expect(c[0] == AuthChallenge(scheme: "basic", parameters: ["realm": #"Registry "R", x"#]))
        #expect(c[1] == AuthChallenge(scheme: "bearer", parameters: ["realm": "https://t/token", "service": "s"]))
    }

    @Test func emptyHeader() {
        #expect(AuthChallenge.parse("").isEmpty)
    }
}

@Suite struct EndpointTests {
    @Test func dockerHub() throws {
        let ref = try ImageReference("busybox")
        let e = RegistryEndpoint.resolve(ref.registry)
        #expect(e == RegistryEndpoint(name: "docker.io", host: "registry-1.docker.io", scheme: "https"))
        #expect(ref.repository == "library/busybox")
        #expect(RegistryEndpoint.resolve("index.docker.io").host == "registry-1.docker.io")
    }

    @Test func loopbackIsPlainHTTP() {
        #expect(RegistryEndpoint.resolve("localhost:5000").baseURL == "http://localhost:5000")
        #expect(RegistryEndpoint.resolve("127.0.0.1:5000").baseURL == "http://127.0.0.1:5000")
        #expect(RegistryEndpoint.resolve("127.3.4.5").scheme == "http")
        #expect(RegistryEndpoint.resolve("[::1]:5000").scheme == "http")
        #expect(RegistryEndpoint.resolve("quay.io").baseURL == "https://quay.io")
        #expect(RegistryEndpoint.resolve("128.0.0.1:5000").scheme == "https")
    }

    @Test func insecureList() {
        #expect(RegistryEndpoint.resolve("reg.lan:5000", insecure: ["reg.lan:5000"]).scheme == "http")
        #expect(RegistryEndpoint.resolve("reg.lan:5000", insecure: ["reg.lan"]).scheme == "http")
        #expect(RegistryEndpoint.resolve("reg.lan:5000", insecure: ["other:5000"]).scheme == "https")
        #expect(RegistryEndpoint.resolve("10.1.2.3:5000", insecure: ["10.0.0.0/8"]).scheme == "http")
        #expect(RegistryEndpoint.resolve("11.1.2.3:5000", insecure: ["10.0.0.0/8"]).scheme == "https")
    }
}

@Suite struct CredentialTests {
    @Test func configAuthEncoding() {
        #expect(DockerConfigAuths.encode(username: "alice", password: "s3cret") == "YWxpY2U6czNjcmV0")
        #expect(DockerConfigAuths.key(for: "docker.io") == "https://index.docker.io/v1/")
        #expect(DockerConfigAuths.key(for: "https://index.docker.io/v1/") == "https://index.docker.io/v1/")
        #expect(DockerConfigAuths.key(for: "localhost:5000") == "localhost:5000")
        #expect(DockerConfigAuths.normalize("http://localhost:5000/v2/") == "localhost:5000")
    }

    @Test func configLookup() {
        let config = Array(#"{"auths":{"https://index.docker.io/v1/":{"auth":"aHViOnB3"},"http://localhost:5000":{"auth":"YWxpY2U6czNjcmV0"}}}"#.utf8)
        #expect(DockerConfigAuths.lookup("docker.io", inConfig: config) == RegistryCredentials(username: "hub", password: "pw"))
        #expect(DockerConfigAuths.lookup("localhost:5000", inConfig: config) == RegistryCredentials(username: "alice", password: "s3cret"))
        #expect(DockerConfigAuths.lookup("quay.io", inConfig: config) == nil)
    }

    @Test func registryAuthHeader() {
        let creds = RegistryCredentials(username: "alice", password: "p@ss/word?")
        let header = creds.header(server: "localhost:5000")
        #expect(!header.contains("+") && !header.contains("/"))
        let decoded = RegistryCredentials.fromHeader(header)
        #expect(decoded.credentials == creds)
        #expect(decoded.server == "localhost:5000")
        // `{}` and garbage: anonymous.
        #expect(RegistryCredentials.fromHeader("e30=").credentials == nil)
        #expect(RegistryCredentials.fromHeader("!!").credentials == nil)
        #expect(RegistryCredentials.fromHeader(nil).credentials == nil)
        // `auth` alone.
        let authOnly = Base64.encode(Array(#"{"auth":"YWxpY2U6czNjcmV0"}"#.utf8), url: true)
        #expect(RegistryCredentials.fromHeader(authOnly).credentials == RegistryCredentials(username: "alice", password: "s3cret"))
    }

    @Test func base64RoundTrip() {
        for n in 0..<20 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 * 37 + 250) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Base64.decode(Base64.encode(bytes, url: true)) == bytes)
        }
    }
}

@Suite struct PlatformTests {
    static func desc(_ arch: String, _ os: String = "linux", variant: String? = nil, n: Int, attestation: Bool = false) -> Descriptor {
        var d = Descriptor(
            mediaType: MediaType.ociManifest,
            digest: try! Digest.sha256(String(repeating: String(n), count: 64)), size: 100)
        d.platform = Platform(architecture: arch, os: os, variant: variant)
        if attestation { d.annotations = ["vnd.docker.reference.type": "attestation-manifest"] }
        return d
    }

    let index = [
        desc("unknown", "unknown", n: 9, attestation: true),
        desc("arm", variant: "v6", n: 1), desc("arm", variant: "v7", n: 2), desc("arm64", variant: "v8", n: 3),
        desc("amd64", n: 4), desc("amd64", "windows", n: 5), desc("s390x", n: 6),
    ]

    @Test func selects() {
        #expect(PlatformMatch.select(index, for: Platform(architecture: "amd64", os: "linux")) == index[4])
        #expect(PlatformMatch.select(index, for: Platform(architecture: "arm64", os: "linux")) == index[3])
        #expect(PlatformMatch.select(index, for: Platform(architecture: "arm", os: "linux", variant: "v7")) == index[2])
        #expect(PlatformMatch.select(index, for: Platform(architecture: "amd64", os: "windows")) == index[5])
        #expect(PlatformMatch.select(index, for: Platform(architecture: "riscv64", os: "linux")) == nil)
        #expect(PlatformMatch.select([index[0]], for: Platform(architecture: "unknown", os: "unknown")) == nil)
    }

    @Test func parses() {
        #expect(PlatformMatch.parse("linux/amd64") == Platform(architecture: "amd64", os: "linux"))
        #expect(PlatformMatch.parse("linux/arm64/v8") == Platform(architecture: "arm64", os: "linux", variant: "v8"))
        #expect(PlatformMatch.parse("linux/x86_64") == Platform(architecture: "amd64", os: "linux"))
        #expect(PlatformMatch.parse("linux") == nil)
        #expect(PlatformMatch.parse("") == nil)
    }
}

@Suite struct CertsDirTests {
    /// A certs.d with `reg.test:5000/` holding empty `files`, removed after `body`.
    func withCertsDir(_ files: [String], _ body: (String) throws -> Void) throws {
        var template = Array("/tmp/skiff-certsd-XXXXXX".utf8CString)
        let root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let dir = root + "/reg.test:5000"
        mkdir(dir, 0o755)
        for name in files { close(open(dir + "/" + name, O_WRONLY | O_CREAT, 0o600)) }
        defer {
            for name in files { unlink(dir + "/" + name) }
            rmdir(dir)
            rmdir(root)
        }
        try body(root)
    }

    @Test func noDirectoryMeansSystemRoots() throws {
        #expect(try RegistryTLS.configuration(certsDir: nil, host: "reg.test:5000") == nil)
        #expect(try RegistryTLS.configuration(certsDir: "/nonexistent", host: "reg.test:5000") == nil)
        try withCertsDir([]) { root throws in #expect(try RegistryTLS.configuration(certsDir: root, host: "reg.test:5000") == nil) }
        try withCertsDir(["README"]) { root throws in #expect(try RegistryTLS.configuration(certsDir: root, host: "reg.test:5000") == nil) }
    }

    @Test func keysAndCertificatesComeInPairs() throws {
        try withCertsDir(["client.key"]) { root in
            #expect(throws: RegistryError.self) { try RegistryTLS.configuration(certsDir: root, host: "reg.test:5000") }
        }
        try withCertsDir(["client.cert"]) { root in
            do {
                _ = try RegistryTLS.configuration(certsDir: root, host: "reg.test:5000")
                Issue.record("no error")
            } catch let error as RegistryError {
                #expect(error.message == "missing key client.key for client certificate client.cert. CA certificates must use the extension .crt")
            }
        }
        // An unreadable (here empty) CA is an error, not silently the system roots.
        try withCertsDir(["ca.crt"]) { root in
            #expect(throws: RegistryError.self) { try RegistryTLS.configuration(certsDir: root, host: "reg.test:5000") }
        }
    }

    @Test func endpointCarriesIt() {
        #expect(RegistryEndpoint.resolve("reg.test:5000", certsDir: "/etc/skiff/certs.d").certsDir == "/etc/skiff/certs.d")
        #expect(RegistryTLS.directory(certsDir: "/c", host: "reg.test:5000") == "/c/reg.test:5000")
    }
}

@Suite struct RetryTests {
    @Test func transientStatuses() {
        for status in [408, 429, 500, 502, 503, 504] { #expect(RegistryError.isTransient(status: status)) }
        for status in [400, 401, 403, 404, 501] { #expect(!RegistryError.isTransient(status: status)) }
        #expect(RegistryError(.failed, "x", status: 503).transient)
        #expect(!RegistryError(.notFound, "x", status: 404).transient)
    }

    @Test func backoffDoublesAndHonoursRetryAfter() {
        #expect(RegistryClient.backoff(1) == .milliseconds(250))
        #expect(RegistryClient.backoff(2) == .milliseconds(500))
        #expect(RegistryClient.backoff(4) == .milliseconds(2000))
        #expect(RegistryClient.backoff(10) == .milliseconds(8000))
        #expect(RegistryClient.backoff(1, retryAfter: "3") == .seconds(3))
        #expect(RegistryClient.backoff(1, retryAfter: "3600") == .seconds(30))
        #expect(RegistryClient.backoff(2, retryAfter: "soon") == .milliseconds(500))
    }
}
