import Glibc
import SkiffArchive
import Testing

@testable import SkiffAPI

/// The server over a real unix socket, driven with raw bytes.
@Suite(.serialized) struct ServerTests {
    static func router() -> Router {
        var router = Router()
        router.get("/_ping") { _ in .text("OK") }
        router.post("/echo") { request in
            APIResponse(body: .bytes(try await request.body.collect(max: 1 << 20)))
        }
        router.post("/json") { request in
            let create = try await request.body.decode(ContainerCreateRequest.self)
            return try .json(IDResponse(id: create.config.image ?? ""))
        }
        router.get("/stream") { _ in
            .stream { writer in
                for i in 0..<3 { try await writer.write(Array("line \(i)\n".utf8)) }
            }
        }
        router.post("/count") { request in
            // A blocking consumer, as ImageStore.load is.
            var source = request.body.byteSource()
            let total = try await Task.detached {
                var buffer = [UInt8](repeating: 0, count: 100_000)
                var total = 0
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                    if n == 0 { return total }
                    total += n
                }
            }.value
            return .text("\(total)")
        }
        router.post("/attach") { _ in
            .hijack(contentType: "application/vnd.docker.raw-stream") { connection in
                var received: [UInt8] = []
                while let bytes = try await connection.read() { received += bytes }
                // The client's half-close must not stop our output.
                try await connection.write(Array("got:".utf8) + received)
                try await connection.closeWrite()
            }
        }
        return router
    }

    /// Runs `body` with a server listening on a fresh socket.
    func withServer(_ body: (String) async throws -> Void) async throws {
        let dir = temporaryDirectory()
        let path = dir + "/api.sock"
        let server = APIServer(router: Self.router(), logger: ServerLogger(), socketGroup: "skiff-test-no-such-group", threads: 1)
        try await server.listen(.unix(path: path))
        do {
            try await body(path)
        } catch {
            await server.shutdown()
            removeTree(dir)
            throw error
        }
        await server.shutdown()
        #expect(access(path, F_OK) != 0, "socket removed at shutdown")
        removeTree(dir)
    }

    func ping(_ path: String) async throws {
        let client = try RawClient(path)
        try client.send("GET /_ping HTTP/1.1\r\nHost: skiff\r\n\r\n")
        let response = try await client.response()
        #expect(response.status == 200)
        #expect(response.text == "OK")
    }

    @Test func commonHeadersAndKeepAlive() async throws {
        try await withServer { path in
            let client = try RawClient(path)
            for i in 0..<3 {
                try client.send("POST /v1.47/echo HTTP/1.1\r\nHost: skiff\r\nContent-Length: 5\r\n\r\nhell\(i)")
                let response = try await client.response()
                #expect(response.status == 200)
                #expect(response.text == "hell\(i)")
                #expect(response.headers["api-version"] == "1.47")
                #expect(response.headers["ostype"] == "linux")
                #expect(response.headers["docker-experimental"] == "false")
                #expect(response.headers["server"]?.hasPrefix("skiff/") == true)
            }
        }
    }

    @Test func pipelinedRequestsAnswerInOrder() async throws {
        try await withServer { path in
            let client = try RawClient(path)
            try client.send(
                "POST /echo HTTP/1.1\r\nContent-Length: 1\r\n\r\naPOST /echo HTTP/1.1\r\nContent-Length: 1\r\n\r\nbGET /_ping HTTP/1.1\r\n\r\n")
            #expect(try await client.response().text == "a")
            #expect(try await client.response().text == "b")
            #expect(try await client.response().text == "OK")
        }
    }

    @Test func chunkedRequestBody() async throws {
        try await withServer { path in
            let client = try RawClient(path)
            try client.send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
            #expect(try await client.response().text == "abcdefg")
        }
    }

    @Test func largeChunkedBodyStreamsToABlockingConsumer() async throws {
        try await withServer { path in
            let client = try RawClient(path)
            let chunk = [UInt8](repeating: 0x61, count: 32768)
            // 8 MiB of blocking sends, off the cooperative pool the server's handlers need.
            try await client.offPool {
                try client.send("POST /count HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
                for _ in 0..<256 {
                    try client.send(Array("8000\r\n".utf8) + chunk + Array("\r\n".utf8))
                }
                try client.send("0\r\n\r\n")
            }
            #expect(try await client.response().text == "\(256 * 32768)")
        }
    }

    @Test func streamedResponseIsChunked() async throws {
        try await withServer { path in
            let client = try RawClient(path)
            try client.send("GET /stream HTTP/1.1\r\n\r\n")
            let response = try await client.response()
            #expect(response.headers["transfer-encoding"] == "chunked")
            #expect(response.text == "line 0\nline 1\nline 2\n")
        }
    }

    @Test func malformedJSONIs400AndTheConnectionLives() async throws {
        try await withServer { path in
            let client = try RawClient(path)
            let body = #"{"Image":"x","HostConfig":{"Memory":"1g"}}"#
            try client.send("POST /json HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let response = try await client.response()
            #expect(response.status == 400)
            #expect(response.text == "{\"message\":\"invalid JSON at HostConfig.Memory: expected an integer\"}\n")
            let good = #"{"Image":"busybox"}"#
            try client.send("POST /json HTTP/1.1\r\nContent-Length: \(good.utf8.count)\r\n\r\n\(good)")
            #expect(try await client.response().text == "{\"Id\":\"busybox\"}\n")
        }
    }

    @Test func garbageRequestLineIs400() async throws {
        try await withServer { path in
            let client = try RawClient(path)
            try client.send("NOT HTTP AT ALL\r\n\r\n")
            let response = try await client.response()
            #expect(response.status == 400)
            #expect(response.text.hasPrefix("{\"message\":\"malformed HTTP request"))
            #expect(try await client.toEnd().isEmpty, "closed after the 400")
            try await ping(path)
        }
    }

    @Test func badChunkEncodingIs400() async throws {
        try await withServer { path in
            let client = try RawClient(path)
            try client.send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
            let response = try await client.response()
            #expect(response.status == 400)
            #expect(response.text.contains("malformed HTTP request"))
            try await ping(path)
        }
    }

    @Test func hijackWithUpgradeSurvivesTheClientsHalfClose() async throws {
        try await withServer { path in
            let client = try RawClient(path)
            try client.send("POST /attach HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n")
            let head = try await client.head()
            #expect(head.status == 101)
            #expect(head.headers["content-type"] == "application/vnd.docker.raw-stream")
            #expect(head.headers["upgrade"] == "tcp")
            #expect(head.headers["api-version"] == "1.47")
            try client.send("stdin bytes")
            client.closeWrite()
            #expect(String(decoding: try await client.toEnd(), as: UTF8.self) == "got:stdin bytes")
        }
    }

    @Test func hijackWithoutUpgradeIs200() async throws {
        try await withServer { path in
            let client = try RawClient(path)
            try client.send("POST /attach HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
            let head = try await client.head()
            #expect(head.status == 200)
            #expect(head.headers["content-type"] == "application/vnd.docker.raw-stream")
            #expect(head.headers["content-length"] == nil)
            try client.send("x")
            client.closeWrite()
            #expect(String(decoding: try await client.toEnd(), as: UTF8.self) == "got:x")
        }
    }

    @Test func staleSocketIsReplacedALiveOneIsNot() async throws {
        try await withServer { path in
            // Another server on the same path refuses: someone answers there.
            let second = APIServer(router: Self.router(), logger: ServerLogger(), threads: 1)
            await #expect(throws: ServerError.self) { try await second.listen(.unix(path: path)) }
            await second.shutdown()
            try await ping(path)
        }
        // A socket file nobody listens on is replaced.
        let dir = temporaryDirectory()
        let path = dir + "/stale.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        #expect(access(path, F_OK) == 0)
        let server = APIServer(router: Self.router(), logger: ServerLogger(), threads: 1)
        try await server.listen(.unix(path: path))
        try await ping(path)
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o660)
        await server.shutdown()
        removeTree(dir)
    }

    @Test func endpoints() throws {
        #expect(try Endpoint(parsing: "unix:///run/skiff/skiff.sock") == .unix(path: "/run/skiff/skiff.sock"))
        #expect(try Endpoint(parsing: "/tmp/x.sock") == .unix(path: "/tmp/x.sock"))
        #expect(try Endpoint(parsing: "tcp://127.0.0.1:2375") == .tcp(host: "127.0.0.1", port: 2375))
        #expect(try Endpoint(parsing: "tcp://:2375") == .tcp(host: "127.0.0.1", port: 2375))
        #expect(try Endpoint(parsing: "tcp://[::1]:2375") == .tcp(host: "::1", port: 2375))
        #expect(throws: ServerError.self) { try Endpoint(parsing: "tcp://127.0.0.1") }
        #expect(throws: ServerError.self) { try Endpoint(parsing: "unix://relative.sock") }
        #expect(throws: ServerError.self) { try Endpoint(parsing: "fd://") }
    }
}

func temporaryDirectory() -> String {
    var template = Array("/tmp/skiff-api-test-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
}

func removeTree(_ path: String) {
    guard let dir = opendir(path) else {
        unlink(path)
        return
    }
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name == "." || name == ".." { continue }
        let child = path + "/" + name
        var info = stat()
        if lstat(child, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { removeTree(child) } else { unlink(child) }
    }
    closedir(dir)
    rmdir(path)
}
