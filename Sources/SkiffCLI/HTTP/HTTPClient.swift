import Glibc

/// One HTTP/1.1 request to the daemon.
struct HTTPRequest {
    enum Body {
        case none
        case bytes([UInt8], contentType: String)
        /// Streamed from a file descriptor: with a known length as Content-Length, else chunked.
        case stream(fd: Int32, length: Int?, contentType: String)
        /// Made while it is sent (chunked): `produce` writes it. If it throws, the request is
        /// abandoned with its error.
        case produced(contentType: String, produce: (BodyWriter) throws -> Void)
    }

    var method: String
    var target: String
    var headers: [(String, String)] = []
    var body: Body = .none
}

/// A response's status line and headers; its body is read through `body`.
final class HTTPResponse {
    let status: Int
    let headers: [(name: String, value: String)]
    let socket: Socket
    let body: ResponseBody

    init(status: Int, headers: [(name: String, value: String)], socket: Socket, body: ResponseBody) {
        self.status = status
        self.headers = headers
        self.socket = socket
        self.body = body
    }

    /// The first header with this name (case-insensitive).
    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// A response body as it arrives: Content-Length, chunked, or up to end of stream.
final class ResponseBody {
    enum Framing {
        case empty
        case length(Int)
        case chunked
        case untilClose
    }

    private let socket: Socket
    private var framing: Framing
    private var decoder = ChunkedDecoder()
    private var finished = false

    init(socket: Socket, framing: Framing) {
        self.socket = socket
        self.framing = framing
        if case .empty = framing { finished = true }
        if case .length(0) = framing { finished = true }
    }

    /// The next piece of the body; nil at its end.
    func next() throws -> [UInt8]? {
        while !finished {
            switch framing {
            case .empty:
                finished = true
            case .length(let left):
                let part = try socket.read(max: left)
                if part.isEmpty { throw CLIError("unexpected EOF from the daemon") }
                framing = .length(left - part.count)
                if left == part.count { finished = true }
                return Array(part)
            case .untilClose:
                let part = try socket.read()
                if part.isEmpty { finished = true; return nil }
                return Array(part)
            case .chunked:
                if socket.buffered == 0, try !socket.fill() { throw CLIError("unexpected EOF from the daemon") }
                let input = socket.buffer[socket.bufferStart...]
                var out: [UInt8] = []
                let used: Int
                do { used = try decoder.decode(input, into: &out) } catch { throw CLIError(error.description) }
                socket.bufferStart += used
                if decoder.isDone { finished = true }
                if !out.isEmpty { return out }
            }
        }
        return nil
    }

    /// The whole (remaining) body.
    func readAll() throws -> [UInt8] {
        var all: [UInt8] = []
        while let part = try next() { all.append(contentsOf: part) }
        return all
    }
}

/// Writes a request body as HTTP chunks of up to 256 KiB.
final class BodyWriter {
    private let socket: Socket
    private var buffer: [UInt8] = []
    private let chunkSize = 256 << 10
    /// Why sending failed, if it did.
    private(set) var socketFailure: (any Error)?

    init(socket: Socket) { self.socket = socket }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= chunkSize { try flush() }
    }

    /// Sends what is buffered and the last chunk.
    func finish() throws {
        try flush()
        do {
            try socket.send(Array("0\r\n\r\n".utf8))
        } catch {
            socketFailure = error
            throw error
        }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        do {
            try socket.send(Array(String(buffer.count, radix: 16).utf8) + [0x0D, 0x0A] + buffer + [0x0D, 0x0A])
        } catch {
            socketFailure = error
            throw error
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

enum HTTPClient {
    /// The Host header docker's client sends over unix sockets.
    static let dummyHost = "api.moby.localhost"
    static let userAgent = "skiff/\(SkiffVersion.version)"

    /// Sends `request` on `socket` and reads the status line and headers.
    static func send(_ request: HTTPRequest, on socket: Socket, host: String = dummyHost) throws -> HTTPResponse {
        var sendError: (any Error)?
        do { try write(request, on: socket, host: host) } catch let error as StreamError { sendError = error.underlying }
        do {
            return try readHead(socket: socket, method: request.method)
        } catch {
            // The daemon may have answered and closed while we were still sending.
            throw sendError ?? error
        }
    }

    /// A failure while streaming a request body (the daemon may still have answered).
    struct StreamError: Error {
        let underlying: any Error
    }

    /// Writes `request` (streaming its body) without reading the answer.
    static func write(_ request: HTTPRequest, on socket: Socket, host: String = dummyHost) throws {
        var head = "\(request.method) \(request.target) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: \(userAgent)\r\n"
        for (name, value) in request.headers { head += "\(name): \(value)\r\n" }
        switch request.body {
        case .none:
            if ["POST", "PUT"].contains(request.method) { head += "Content-Length: 0\r\n" }
            head += "\r\n"
            try socket.send(Array(head.utf8))
        case .bytes(let bytes, let type):
            head += "Content-Type: \(type)\r\nContent-Length: \(bytes.count)\r\n\r\n"
            try socket.send(Array(head.utf8) + bytes)
        case .stream(let fd, let length, let type):
            head += "Content-Type: \(type)\r\n"
            head += length.map { "Content-Length: \($0)\r\n\r\n" } ?? "Transfer-Encoding: chunked\r\n\r\n"
            try socket.send(Array(head.utf8))
            do { try streamBody(from: fd, chunked: length == nil, to: socket) } catch { throw StreamError(underlying: error) }
        case .produced(let type, let produce):
            head += "Content-Type: \(type)\r\nTransfer-Encoding: chunked\r\n\r\n"
            try socket.send(Array(head.utf8))
            let writer = BodyWriter(socket: socket)
            do {
                try produce(writer)
                try writer.finish()
            } catch {
                // The daemon stopped reading (it may have answered why); else the producer failed.
                if let failure = writer.socketFailure { throw StreamError(underlying: failure) }
                throw error
            }
        }
    }

    private static func streamBody(from fd: Int32, chunked: Bool, to socket: Socket) throws {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("read input")
            }
            if n == 0 { break }
            if chunked { try socket.send(Array(String(n, radix: 16).utf8) + [0x0D, 0x0A]) }
            try chunk.withUnsafeBytes { try socket.send(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            if chunked { try socket.send([0x0D, 0x0A]) }
        }
        if chunked { try socket.send(Array("0\r\n\r\n".utf8)) }
    }

    static func readHead(socket: Socket, method: String) throws -> HTTPResponse {
        guard let statusLine = try socket.readLine() else {
            throw CLIError("the daemon closed the connection without answering")
        }
        let parts = String(decoding: statusLine, as: UTF8.self).split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw CLIError("malformed HTTP response from the daemon")
        }
        var headers: [(name: String, value: String)] = []
        while let line = try socket.readLine(), !line.isEmpty {
            let text = String(decoding: line, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else { continue }
            headers.append((String(text[..<colon]), String(text[text.index(after: colon)...]).trimmingSpaces))
        }
        func value(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name }?.value
        }
        let framing: ResponseBody.Framing
        if method == "HEAD" || status == 204 || status == 304 || (100..<200).contains(status) {
            framing = .empty
        } else if value("transfer-encoding")?.lowercased().contains("chunked") == true {
            framing = .chunked
        } else if let length = value("content-length").flatMap({ Int($0) }) {
            framing = .length(length)
        } else {
            framing = .untilClose
        }
        return HTTPResponse(status: status, headers: headers, socket: socket, body: ResponseBody(socket: socket, framing: framing))
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and newlines.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
