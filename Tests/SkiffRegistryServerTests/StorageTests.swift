import Glibc
import SkiffHTTP
import SkiffImage
import SkiffOCI
import SkiffSystem
import Testing

@testable import SkiffRegistryServer

/// The registry on a temporary root, driven through its responder (no sockets).
struct StorageTests {
    let root: String
    let registry: Registry

    init() throws {
        var template = Array("/tmp/skiff-registry-test-XXXXXX".utf8CString)
        root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        registry = Registry(storage: try RegistryStorage(root: root))
    }

    func cleanup() { Directories.removeTree(root) }

    func call(_ method: String, _ target: String, _ body: [UInt8] = [], headers: [(String, String)] = []) async -> (Int, [(name: String, value: String)], [UInt8]) {
        let response = await registry.respond(
            method: method, target: target, headers: Headers(headers.map { (name: $0.0, value: $0.1) }), body: InboundStream(bytes: body))
        if case .bytes(let bytes) = response.body { return (response.status, response.headers, bytes) }
        return (response.status, response.headers, [])
    }

    func header(_ headers: [(name: String, value: String)], _ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every regular file below `path`, relative.
    func files(_ path: String, _ prefix: String = "") -> [String] {
        var found: [String] = []
        for name in Directories.list(path) {
            let child = path + "/" + name
            if Directories.isDirectory(child) { found += files(child, prefix + name + "/") } else { found.append(prefix + name) }
        }
        return found.sorted()
    }

    @Test func digestMismatchStoresNothing() async throws {
        defer { cleanup() }
        let blob = Array("hello".utf8)
        let wrong = Digest.sha256(of: Array("other".utf8))
        let (status, _, body) = await call("POST", "/v2/a/blobs/uploads/?digest=\(wrong)", blob)
        #expect(status == 400)
        #expect(String(decoding: body, as: UTF8.self).contains("DIGEST_INVALID"))
        #expect(files(root + "/blobs").isEmpty)
        #expect(files(root + "/ingest").isEmpty)
        #expect(files(root + "/repositories").isEmpty)
    }

    @Test func chunkedUploadThenMismatchStoresNothing() async throws {
        defer { cleanup() }
        let (status, headers, _) = await call("POST", "/v2/a/blobs/uploads/")
        #expect(status == 202)
        let location = try #require(header(headers, "Location"))
        let (patched, patchHeaders, _) = await call("PATCH", location, Array("abc".utf8))
        #expect(patched == 202)
        #expect(header(patchHeaders, "Range") == "0-2")
        // Half an upload is never a blob.
        #expect(files(root + "/blobs").isEmpty)
        #expect(files(root + "/ingest").count == 1)
        let wrong = Digest.sha256(of: Array("abcdef".utf8))
        let (put, _, _) = await call("PUT", location + "?digest=\(wrong)", Array("xyz".utf8))
        #expect(put == 400)
        #expect(files(root + "/blobs").isEmpty)
        #expect(files(root + "/ingest").isEmpty)
        // The session is gone.
        let (status2, _, _) = await call("GET", location)
        #expect(status2 == 404)
    }

    @Test func chunkedUploadCommits() async throws {
        defer { cleanup() }
        let (_, headers, _) = await call("POST", "/v2/a/b/blobs/uploads/")
        let location = try #require(header(headers, "Location"))
        _ = await call("PATCH", location, Array("abc".utf8), headers: [("Content-Range", "0-2")])
        let (bad, _, _) = await call("PATCH", location, Array("def".utf8), headers: [("Content-Range", "5-7")])
        #expect(bad == 416)
        let digest = Digest.sha256(of: Array("abcdef".utf8))
        let (put, putHeaders, _) = await call("PUT", location + "?digest=\(digest)", Array("def".utf8))
        #expect(put == 201)
        #expect(header(putHeaders, "Docker-Content-Digest") == digest.description)
        #expect(files(root + "/blobs") == ["sha256/\(digest.encoded)"])
        #expect(files(root + "/ingest").isEmpty)
        let (head, headHeaders, _) = await call("HEAD", "/v2/a/b/blobs/\(digest)")
        #expect(head == 200)
        #expect(header(headHeaders, "Content-Length") == "6")
        // Another repository does not have it until it mounts it.
        #expect(await call("HEAD", "/v2/c/blobs/\(digest)").0 == 404)
        #expect(await call("POST", "/v2/c/blobs/uploads/?mount=\(digest)&from=a/b").0 == 201)
        #expect(await call("HEAD", "/v2/c/blobs/\(digest)").0 == 200)
    }

    @Test func manifestsAreAtomicAndChecked() async throws {
        defer { cleanup() }
        let config = Array("{}".utf8)
        let configDigest = Digest.sha256(of: config)
        let manifest = Array("""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":2},"layers":[]}
            """.utf8)
        let type = [("Content-Type", "application/vnd.oci.image.manifest.v1+json")]
        let (missing, _, body) = await call("PUT", "/v2/a/manifests/v1", manifest, headers: type)
        #expect(missing == 400)
        #expect(String(decoding: body, as: UTF8.self).contains("MANIFEST_BLOB_UNKNOWN"))
        #expect(files(root + "/repositories").isEmpty)
        #expect(await call("POST", "/v2/a/blobs/uploads/?digest=\(configDigest)", config).0 == 201)
        let (put, headers, _) = await call("PUT", "/v2/a/manifests/v1", manifest, headers: type)
        #expect(put == 201)
        let digest = Digest.sha256(of: manifest)
        #expect(header(headers, "Docker-Content-Digest") == digest.description)
        let (get, getHeaders, got) = await call("GET", "/v2/a/manifests/v1")
        #expect(get == 200)
        #expect(got == manifest)
        #expect(header(getHeaders, "Content-Type") == "application/vnd.oci.image.manifest.v1+json")
        // No temporary file is left beside the links.
        #expect(files(root + "/repositories").allSatisfy { !$0.split(separator: "/").last!.hasPrefix(".") })
        #expect(await call("PUT", "/v2/a/manifests/bad:tag", manifest, headers: type).0 == 400)
        #expect(await call("PUT", "/v2/a/manifests/x", Array("{not json".utf8), headers: type).0 == 400)
        #expect(await call("DELETE", "/v2/a/manifests/\(digest)").0 == 202)
        #expect(await call("GET", "/v2/a/manifests/v1").0 == 404)
    }

    @Test func idleUploadsExpire() async throws {
        defer { cleanup() }
        let uploads = Uploads(storage: registry.storage, expiry: -1)
        let session = try uploads.start("a")
        #expect(files(root + "/ingest").count == 1)
        uploads.dropExpired()
        #expect(throws: RegistryError.self) { try uploads.session(session.id, repository: "a") }
        #expect(files(root + "/ingest").isEmpty)
    }

    @Test func writeAtomicallyReplacesWhole() throws {
        defer { cleanup() }
        let storage = registry.storage
        let path = root + "/x/y/link"
        try storage.writeAtomically(path, Array("one".utf8))
        try storage.writeAtomically(path, Array("two".utf8))
        #expect(files(root + "/x") == ["y/link"])
        let fd = open(path, O_RDONLY)
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = read(fd, &buffer, 16)
        close(fd)
        #expect(Array(buffer[0..<n]) == Array("two".utf8))
    }
}
