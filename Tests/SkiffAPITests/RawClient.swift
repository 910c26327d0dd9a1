import Glibc
import SkiffSystem

/// A blocking HTTP client on a unix socket that sends exactly the bytes it
/// is given: for malformed requests, keep-alive and hijacked connections.
final class RawClient: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []

    init(_ path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw ClientError("connect \(path): errno \(errno)") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    struct ClientError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError("send: errno \(errno)") }
            offset += n
        }
    }

    /// shutdown(SHUT_WR): the server reads EOF, we can still read.
    func closeWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// More bytes from the socket; empty at EOF.
    private func fill() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { throw ClientError("recv: errno \(errno)") }
        pending += buffer[0..<n]
        return n > 0
    }

    private func readLine() throws -> String {
        while true {
            if let i = pending.indices.dropFirst().first(where: { pending[$0 - 1] == 13 && pending[$0] == 10 }) {
                let line = String(decoding: pending[..<(i - 1)], as: UTF8.self)
                pending.removeFirst(i + 1)
                return line
            }
            guard try fill() else { throw ClientError("EOF inside a line") }
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while pending.count < count {
            guard try fill() else { throw ClientError("EOF inside a body") }
        }
        defer { pending.removeFirst(count) }
        return Array(pending[..<count])
    }

    /// The response head only (status and headers).
    func readHead() throws -> Response {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw ClientError("bad status line \(statusLine)") }
        var headers: [String: String] = [:]
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmingCharacters(in: " ")
            }
        }
        return Response(status: status, headers: headers, body: [])
    }

    /// One whole response (Content-Length or chunked).
    func readResponse() throws -> Response {
        var response = try readHead()
        if response.headers["transfer-encoding"] == "chunked" {
            while true {
                let size = Int(try readLine(), radix: 16) ?? -1
                guard size >= 0 else { throw ClientError("bad chunk size") }
                if size == 0 {
                    _ = try readLine()
                    break
                }
                response.body += try readExactly(size)
                _ = try readLine()
            }
        } else if let length = response.headers["content-length"].flatMap({ Int($0) }) {
            response.body = try readExactly(length)
        }
        return response
    }

    /// Everything until the server closes.
    func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { pending = [] }
        return pending
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}

extension RawClient {
    /// The blocking reads on a thread of their own: waiting on the
    /// cooperative pool (two threads here) could starve the server's own
    /// handlers while other suites run in parallel.
    func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            detachThread { continuation.resume(with: Result { try body() }) }
        }
    }

    func head() async throws -> Response { try await offPool { try self.readHead() } }
    func response() async throws -> Response { try await offPool { try self.readResponse() } }
    func toEnd() async throws -> [UInt8] { try await offPool { try self.readToEnd() } }
}
