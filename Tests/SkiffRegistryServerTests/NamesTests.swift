import SkiffOCI
import Testing

@testable import SkiffRegistryServer

struct NamesTests {
    @Test(arguments: [
        "a", "busybox", "library/busybox", "a/b/c/d", "my-app", "my--app", "my_app", "my__app", "my.app", "a0/b1.c2_d3-e4",
        "0", "foo/bar-baz/qux", String(repeating: "a", count: 255),
    ])
    func validRepositoryNames(_ name: String) {
        #expect(RegistryNames.isValidRepository(name))
    }

    @Test(arguments: [
        "", "A", "Busybox", "-a", "a-", ".a", "a.", "_a", "a_", "a___b", "a..b", "a._b", "a/", "/a", "a//b", "a b", "a:b",
        "a@b", "_catalog", "a/_manifests", "a/B", "é", String(repeating: "a", count: 256),
    ])
    func invalidRepositoryNames(_ name: String) {
        #expect(!RegistryNames.isValidRepository(name))
    }

    @Test func tags() {
        for tag in ["latest", "v1.0", "1", "_x", "A-b_c.d", String(repeating: "t", count: 128)] {
            #expect(RegistryNames.isValidTag(tag), "\(tag)")
        }
        for tag in ["", ".x", "-x", "a:b", "a/b", "a b", String(repeating: "t", count: 129)] {
            #expect(!RegistryNames.isValidTag(tag), "\(tag)")
        }
    }

    @Test func digests() {
        let hex = String(repeating: "ab", count: 32)
        #expect(RegistryNames.digest("sha256:" + hex) != nil)
        #expect(RegistryNames.digest("sha256:" + hex.uppercased()) == nil)
        #expect(RegistryNames.digest("sha256:abc") == nil)
        #expect(RegistryNames.digest(hex) == nil)
        #expect(RegistryNames.digest("") == nil)
    }

    @Test func routes() {
        #expect(Route(["v2"]) == .base)
        #expect(Route(["v2", "_catalog"]) == .catalog)
        #expect(Route(["v2", "a", "b", "tags", "list"]) == .tags(name: "a/b"))
        #expect(Route(["v2", "a", "manifests", "latest"]) == .manifest(name: "a", reference: "latest"))
        #expect(Route(["v2", "a", "b", "blobs", "sha256:x"]) == .blob(name: "a/b", digest: "sha256:x"))
        #expect(Route(["v2", "a", "blobs", "uploads"]) == .uploads(name: "a"))
        #expect(Route(["v2", "a", "blobs", "uploads", "u-1"]) == .upload(name: "a", id: "u-1"))
        // A repository may hold segments named like the API's.
        #expect(Route(["v2", "blobs", "manifests", "manifests", "v1"]) == .manifest(name: "blobs/manifests", reference: "v1"))
        #expect(Route(["v2", "manifests", "x"]) == nil)
        #expect(Route(["v1", "a", "manifests", "x"]) == nil)
    }

    @Test func ranges() {
        #expect(Registry.parseRange("bytes=0-9", size: 100)! == (0, 9))
        #expect(Registry.parseRange("bytes=90-", size: 100)! == (90, 99))
        #expect(Registry.parseRange("bytes=-10", size: 100)! == (90, 99))
        #expect(Registry.parseRange("bytes=50-500", size: 100)! == (50, 99))
        #expect(Registry.parseRange("bytes=100-", size: 100) == nil)
        #expect(Registry.parseRange("bytes=5-1", size: 100) == nil)
        #expect(Registry.parseRange("bytes=0-1,3-4", size: 100) == nil)
        #expect(Registry.parseRange("items=0-1", size: 100) == nil)
    }

    @Test func errorBody() {
        let body = String(decoding: RegistryError(.blobUnknown, detail: "x").body, as: UTF8.self)
        #expect(body == #"{"errors":[{"code":"BLOB_UNKNOWN","detail":"x","message":"blob unknown to registry"}]}"# + "\n")
        #expect(RegistryError(.manifestUnknown).status == 404)
        #expect(RegistryError(.digestInvalid).status == 400)
    }
}
