import Testing

@testable import SkiffAPI

@Suite struct RouterTests {
    /// A router whose handlers answer with their parameters.
    func router() -> Router {
        var router = Router()
        router.get("/containers/{id}/json") { request in .text("container \(request.param("id"))") }
        router.get("/images/json") { _ in .text("list") }
        router.get("/images/{name*}/json") { request in .text("image \(request.param("name"))") }
        router.post("/images/{name*}/tag") { request in .text("tag \(request.param("name"))") }
        router.delete("/images/{name*}") { request in .text("delete \(request.param("name"))") }
        router.get("/version") { request in .text("version \(request.apiVersion) \(request.path)") }
        router.get("/fail") { _ in throw APIError.conflict("in use") }
        router.get("/crash") { _ in throw CocoaLikeError() }
        return router
    }

    struct CocoaLikeError: Error {}

    func answer(_ method: String, _ target: String) async -> (Int, String) {
        let response = await router().respond(method: method, target: target, headers: Headers(), body: RequestBody(bytes: []))
        guard case .bytes(let bytes) = response.body else { return (response.status, "") }
        return (response.status, String(decoding: bytes, as: UTF8.self))
    }

    @Test func pathParameters() async {
        #expect(await answer("GET", "/containers/abc/json") == (200, "container abc"))
        #expect(await answer("GET", "/v1.47/containers/abc/json") == (200, "container abc"))
        #expect(await answer("GET", "/containers/abc/json?size=1") == (200, "container abc"))
    }

    @Test func imageNamesHoldSlashesAndColons() async {
        #expect(await answer("GET", "/images/json") == (200, "list"))
        #expect(await answer("GET", "/images/busybox/json") == (200, "image busybox"))
        #expect(await answer("GET", "/v1.44/images/localhost:5000/foo/bar:tag/json") == (200, "image localhost:5000/foo/bar:tag"))
        #expect(await answer("POST", "/images/reg.io/a/b:1/tag?repo=x") == (200, "tag reg.io/a/b:1"))
        #expect(await answer("DELETE", "/images/reg.io/a/b@sha256:abc") == (200, "delete reg.io/a/b@sha256:abc"))
        #expect(await answer("GET", "/images/a%2Fb/json") == (200, "image a/b"))
    }

    @Test func versionPrefix() async {
        #expect(await answer("GET", "/version") == (200, "version 1.47 /version"))
        #expect(await answer("GET", "/v1.24/version") == (200, "version 1.24 /version"))
        #expect(await answer("GET", "/v1.40/version") == (200, "version 1.40 /version"))
        let (status, body) = await answer("GET", "/v1.99/version")
        #expect(status == 400)
        #expect(body == "{\"message\":\"client version 1.99 is too new. Maximum supported API version is 1.47\"}\n")
        let (oldStatus, oldBody) = await answer("GET", "/v1.23/version")
        #expect(oldStatus == 400)
        #expect(oldBody.contains("client version 1.23 is too old. Minimum supported API version is 1.24"))
        #expect(await answer("GET", "/v1.4x/version").0 == 404)
        #expect(await answer("GET", "/v1/version").0 == 400)
    }

    @Test func unknownRoutesAndMethods() async {
        #expect(await answer("GET", "/nope") == (404, "{\"message\":\"page not found\"}\n"))
        #expect(await answer("POST", "/version").0 == 404)
        #expect(await answer("GET", "/containers/json/extra/json").0 == 404)
    }

    @Test func errorsBecomeJSONWithTheirStatus() async {
        #expect(await answer("GET", "/fail") == (409, "{\"message\":\"in use\"}\n"))
        #expect(await answer("GET", "/crash").0 == 500)
        #expect(await answer("GET", "/version?x=%zz").0 == 400)
    }

    @Test func versionsCompareByNumber() {
        #expect(APIVersion.compare("1.9", "1.24") == .orderedAscending)
        #expect(APIVersion.compare("1.47", "1.47") == .orderedSame)
        #expect(APIVersion.compare("1.100", "1.47") == .orderedDescending)
        let request = APIRequest(method: "GET", path: "/", apiVersion: "1.43")
        #expect(!request.apiVersionAtLeast("1.44"))
        #expect(request.apiVersionAtLeast("1.24"))
    }
}
