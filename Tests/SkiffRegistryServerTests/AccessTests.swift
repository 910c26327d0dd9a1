import FoundationEssentials
import Glibc
import Testing

@testable import SkiffRegistryServer

struct AccessTests {
    /// `htpasswd -Bbn alice 's3cret:pa ss'` and an MD5 entry (skipped).
    static let file = """
        # users
        alice:$2y$05$wN3.LCzu4BWGNnJ./5VsW.0VhKjjD4A/kQCji8jtElgUJevPP3B5S
        bob:$apr1$.kRhYPBF$YOuw4MlkqtKIXb9J/VkbK/

        """

    static func basic(_ text: String) -> String { "Basic " + Data(text.utf8).base64EncodedString() }

    func withFile(_ text: String, _ body: (String) throws -> Void) throws {
        var template = Array("/tmp/skiff-htpasswd-XXXXXX".utf8CString)
        let (fd, path) = template.withUnsafeMutableBufferPointer { buffer in
            let fd = mkstemp(buffer.baseAddress!)
            return (fd, String(cString: buffer.baseAddress!))
        }
        #expect(fd >= 0)
        defer { unlink(path) }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        try body(path)
    }

    @Test func credentials() {
        #expect(BasicCredentials(nil) == BasicCredentials.none)
        #expect(BasicCredentials(Self.basic(":")) == BasicCredentials.none)
        #expect(BasicCredentials(Self.basic("alice:a:b")) == .user("alice", password: "a:b"))
        #expect(BasicCredentials("basic " + Data("u:".utf8).base64EncodedString()) == .user("u", password: ""))
        #expect(BasicCredentials("Bearer abc") == .malformed)
        #expect(BasicCredentials("Basic !!!") == .malformed)
        #expect(BasicCredentials(Self.basic("nocolon")) == .malformed)
    }

    @Test func bcryptThroughLibcrypt() throws {
        try withFile(Self.file) { path in
            let users = try Htpasswd(path: path)
            #expect(users.users == ["alice"])
            #expect(users.verify(user: "alice", password: "s3cret:pa ss"))
            #expect(users.verify(user: "alice", password: "s3cret:pa ss"))  // (cached)
            #expect(!users.verify(user: "alice", password: "s3cret:pa s"))
            #expect(!users.verify(user: "bob", password: "md5pw"))
            #expect(!users.verify(user: "carol", password: "s3cret:pa ss"))
        }
    }

    @Test func noBcryptUsersIsAnError() throws {
        try withFile("bob:$apr1$.kRhYPBF$YOuw4MlkqtKIXb9J/VkbK/\n") { path in
            #expect(throws: RegistryConfigError.self) { try Htpasswd(path: path) }
        }
    }

    @Test func policy() throws {
        try withFile(Self.file) { path in
            let good = Self.basic("alice:s3cret:pa ss"), bad = Self.basic("alice:nope")
            func code(_ policy: AccessPolicy, _ method: String, base: Bool = false, _ auth: String?) -> RegistryError.Code? {
                do {
                    try policy.check(method: method, isBaseCheck: base, authorization: auth)
                    return nil
                } catch {
                    return error.code
                }
            }
            let auth = AccessPolicy(htpasswd: try Htpasswd(path: path))
            #expect(code(auth, "GET", nil) == .unauthorized)
            #expect(code(auth, "GET", bad) == .unauthorized)
            #expect(code(auth, "GET", good) == nil)
            #expect(code(auth, "PUT", good) == nil)
            let anonymous = AccessPolicy(htpasswd: auth.htpasswd, anonymousPull: true)
            #expect(code(anonymous, "GET", nil) == nil)
            #expect(code(anonymous, "HEAD", Self.basic(":")) == nil)
            #expect(code(anonymous, "GET", base: true, nil) == .unauthorized)
            #expect(code(anonymous, "GET", bad) == .unauthorized)
            #expect(code(anonymous, "POST", nil) == .unauthorized)
            #expect(code(anonymous, "POST", good) == nil)
            let readOnly = AccessPolicy(htpasswd: auth.htpasswd, readOnly: true)
            #expect(code(readOnly, "PUT", nil) == .unauthorized)
            #expect(code(readOnly, "PUT", good) == .unsupported)
            #expect(code(readOnly, "GET", good) == nil)
            #expect(code(AccessPolicy(readOnly: true), "DELETE", nil) == .unsupported)
            #expect(code(AccessPolicy(readOnly: true), "GET", nil) == nil)
        }
    }
}

struct HubTests {
    @Test func escaping() {
        #expect(Registry.escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        let page = Registry.hubPage(
            host: "<script>:5000",
            repositories: [("lib/<b>", [Registry.HubTag(tag: "t\"1", digest: "sha256:ab", mediaType: "", size: 2_500_000, platforms: [])])])
        #expect(!page.contains("<script>"))
        #expect(!page.contains("<b>"))
        #expect(page.contains("docker pull &lt;script&gt;:5000/lib/&lt;b&gt;:t&quot;1"))
        #expect(page.contains("2.5 MB"))
    }

    @Test func sizes() {
        #expect(Registry.humanSize(999) == "999 B")
        #expect(Registry.humanSize(1500) == "1.5 kB")
        #expect(Registry.humanSize(4_400_000) == "4.4 MB")
    }
}
