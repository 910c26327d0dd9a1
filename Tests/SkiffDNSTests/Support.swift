import Glibc
import SkiffDNS
import Synchronization
import Testing

// A small DNS client and fake upstreams, written apart from the library's own wire code so the
// tests check the bytes, not the library against itself.

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A query: header (RD set unless told), one question of class IN (or `qclass`).
func makeQuery(id: UInt16, name: String, type: UInt16, qclass: UInt16 = 1, recursion: Bool = true) -> [UInt8] {
    var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), recursion ? 0x01 : 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
    for label in name.split(separator: ".") {
        out.append(UInt8(label.utf8.count))
        out += label.utf8
    }
    out += [0, UInt8(type >> 8), UInt8(type & 0xFF), UInt8(qclass >> 8), UInt8(qclass & 0xFF)]
    return out
}

struct Record: Equatable {
    var name: String
    var type: UInt16
    var qclass: UInt16
    var ttl: UInt32
    var data: [UInt8]
    /// The data read as a name (PTR), resolving pointers in the message.
    var target: String?
}

/// A reply taken apart; throws on anything malformed.
struct Reply {
    var bytes: [UInt8]
    var id: UInt16
    var flags: UInt16
    var questionName: String
    var questionType: UInt16
    var answers: [Record]

    var rcode: UInt16 { flags & 0xF }
    var isResponse: Bool { flags & 0x8000 != 0 }
    var truncated: Bool { flags & 0x0200 != 0 }
    var recursionDesired: Bool { flags & 0x0100 != 0 }
    var recursionAvailable: Bool { flags & 0x0080 != 0 }
    var authoritative: Bool { flags & 0x0400 != 0 }
    var addresses: [String] { answers.filter { $0.type == 1 }.map { $0.data.map(String.init).joined(separator: ".") } }

    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        guard bytes.count >= 12 else { throw TestFailure("reply of \(bytes.count) bytes") }
        func u16(_ at: Int) throws -> UInt16 {
            guard at + 2 <= bytes.count else { throw TestFailure("reply cut at \(at)") }
            return UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
        }
        func name(_ at: Int) throws -> (String, Int) {
            var labels: [String] = []
            var pos = at
            var end: Int?
            var jumps = 0
            while true {
                guard pos < bytes.count else { throw TestFailure("name runs past the end") }
                let len = Int(bytes[pos])
                if len == 0 { return (labels.joined(separator: "."), end ?? pos + 1) }
                if len & 0xC0 == 0xC0 {
                    jumps += 1
                    guard jumps < 20, pos + 1 < bytes.count else { throw TestFailure("bad pointer") }
                    if end == nil { end = pos + 2 }
                    pos = (len & 0x3F) << 8 | Int(bytes[pos + 1])
                    continue
                }
                guard pos + 1 + len <= bytes.count else { throw TestFailure("label runs past the end") }
                labels.append(String(decoding: bytes[(pos + 1)..<(pos + 1 + len)], as: UTF8.self))
                pos += 1 + len
            }
        }
        id = try u16(0)
        flags = try u16(2)
        let qd = try u16(4)
        let an = try u16(6)
        var pos = 12
        questionName = ""
        questionType = 0
        if qd == 1 {
            (questionName, pos) = try name(pos)
            questionType = try u16(pos)
            pos += 4
        }
        answers = []
        for _ in 0..<an {
            let (owner, next) = try name(pos)
            pos = next
            let type = try u16(pos)
            let qclass = try u16(pos + 2)
            let ttl = UInt32(try u16(pos + 4)) << 16 | UInt32(try u16(pos + 6))
            let length = Int(try u16(pos + 8))
            pos += 10
            guard pos + length <= bytes.count else { throw TestFailure("rdata runs past the end") }
            let data = Array(bytes[pos..<(pos + length)])
            let target = type == 12 ? try name(pos).0 : nil
            answers.append(Record(name: owner, type: type, qclass: qclass, ttl: ttl, data: data, target: target))
            pos += length
        }
    }
}

func sockaddrIn(_ address: String, _ port: UInt16) -> sockaddr_in {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    inet_pton(AF_INET, address, &addr.sin_addr)
    return addr
}

func withSockaddr<R>(_ addr: sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    var addr = addr
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

func boundPort(_ fd: Int32) -> UInt16 {
    var addr = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return UInt16(bigEndian: addr.sin_port)
}

/// Waits for `fd` to be readable; false on timeout.
func readable(_ fd: Int32, millis: Int32) -> Bool {
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&pfd, 1, millis) > 0
}

/// A UDP client socket (optionally connected to the server).
final class UDPClient {
    let fd: Int32

    init(to address: String, port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        guard withSockaddr(sockaddrIn(address, port), { connect(fd, $0, $1) }) == 0 else { throw TestFailure("connect: \(errno)") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    /// The next datagram, nil after `millis` without one.
    func receive(millis: Int32 = 3000) -> [UInt8]? {
        guard readable(fd, millis: millis) else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? Array(buffer[0..<n]) : nil
    }

    func exchange(_ query: [UInt8], millis: Int32 = 3000) throws -> Reply {
        send(query)
        guard let bytes = receive(millis: millis) else { throw TestFailure("no reply within \(millis) ms") }
        return try Reply(bytes)
    }
}

/// One query over UDP to `address:port`.
func udpQuery(_ address: String, _ port: UInt16, _ query: [UInt8], millis: Int32 = 3000) throws -> Reply {
    try UDPClient(to: address, port: port).exchange(query, millis: millis)
}

/// A TCP connection to the server: framed queries and replies.
final class TCPClient {
    let fd: Int32

    init(to address: String, port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        guard withSockaddr(sockaddrIn(address, port), { connect(fd, $0, $1) }) == 0 else { throw TestFailure("connect: \(errno)") }
    }

    deinit { close(fd) }

    func send(_ query: [UInt8]) {
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        _ = framed.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func receive(millis: Int32 = 3000) throws -> Reply {
        let head = try read(2, millis: millis)
        return try Reply(try read(Int(head[0]) << 8 | Int(head[1]), millis: millis))
    }

    private func read(_ count: Int, millis: Int32) throws -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count {
            guard readable(fd, millis: millis) else { throw TestFailure("no reply within \(millis) ms") }
            var buffer = [UInt8](repeating: 0, count: count - out.count)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw TestFailure("connection closed after \(out.count) of \(count) bytes") }
            out += buffer[0..<n]
        }
        return out
    }

    func exchange(_ query: [UInt8], millis: Int32 = 3000) throws -> Reply {
        send(query)
        return try receive(millis: millis)
    }
}

/// Runs `body(i)` for i in 0..<count, each on a thread of its own, and waits for all.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Job: @unchecked Sendable {
        let body: @Sendable (Int) -> Void
        let index: Int
        init(_ body: @escaping @Sendable (Int) -> Void, _ index: Int) { self.body = body; self.index = index }
    }
    var threads: [pthread_t] = []
    for i in 0..<count {
        var thread = pthread_t()
        let job = Unmanaged.passRetained(Job(body, i))
        let rc = pthread_create(&thread, nil, { arg in
            let job = Unmanaged<Job>.fromOpaque(arg!).takeRetainedValue()
            job.body(job.index)
            return nil
        }, job.toOpaque())
        precondition(rc == 0)
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
}

/// A fake upstream resolver on 127.0.0.1 (UDP, or TCP with framing) on a thread of its own:
/// `respond` turns each query into an answer, or nil for silence. Records what it got.
final class FakeUpstream: Sendable {
    let port: UInt16
    let tcp: Bool
    private let fd: Int32
    private let state = Mutex<(stop: Bool, queries: [[UInt8]])>((false, []))
    private let thread: Mutex<pthread_t?> = Mutex(nil)

    var queries: [[UInt8]] { state.withLock { $0.queries } }
    var upstream: DNSUpstream { DNSUpstream(address: IPv4Address(127, 0, 0, 1), port: port) }

    init(tcp: Bool = false, respond: @escaping @Sendable ([UInt8]) -> [UInt8]?) throws {
        self.tcp = tcp
        let fd = socket(AF_INET, Int32((tcp ? SOCK_STREAM : SOCK_DGRAM).rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0, withSockaddr(sockaddrIn("127.0.0.1", 0), { bind(fd, $0, $1) }) == 0,
              !tcp || listen(fd, 16) == 0 else { throw TestFailure("fake upstream: bind: \(errno)") }
        self.fd = fd
        port = boundPort(fd)
        final class Box: @unchecked Sendable {
            let run: () -> Void
            init(_ run: @escaping () -> Void) { self.run = run }
        }
        let box = Unmanaged.passRetained(Box { [self] in serve(respond) })
        var t = pthread_t()
        precondition(pthread_create(&t, nil, { arg in
            Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().run()
            return nil
        }, box.toOpaque()) == 0)
        thread.withLock { $0 = t }
    }

    /// Stops the thread and closes the socket.
    func stop() {
        state.withLock { $0.stop = true }
        if let t = thread.withLock({ t -> pthread_t? in defer { t = nil }; return t }) {
            pthread_join(t, nil)
            close(fd)
        }
    }

    private func serve(_ respond: @Sendable ([UInt8]) -> [UInt8]?) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !state.withLock({ $0.stop }) {
            guard readable(fd, millis: 20) else { continue }
            if tcp {
                let conn = accept(fd, nil, nil)
                guard conn >= 0 else { continue }
                defer { close(conn) }
                var input: [UInt8] = []
                while readable(conn, millis: 2000) {
                    let n = buffer.withUnsafeMutableBytes { recv(conn, $0.baseAddress, $0.count, 0) }
                    guard n > 0 else { break }
                    input += buffer[0..<n]
                    guard input.count >= 2, input.count >= 2 + (Int(input[0]) << 8 | Int(input[1])) else { continue }
                    let query = Array(input[2...])
                    state.withLock { $0.queries.append(query) }
                    if let answer = respond(query) {
                        let framed = [UInt8(answer.count >> 8), UInt8(answer.count & 0xFF)] + answer
                        _ = framed.withUnsafeBytes { send(conn, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    }
                    break
                }
            } else {
                var from = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let n = buffer.withUnsafeMutableBytes { raw in
                    withUnsafeMutablePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &length) }
                    }
                }
                guard n >= 0 else { continue }
                let query = Array(buffer[0..<n])
                state.withLock { $0.queries.append(query) }
                if let answer = respond(query) {
                    _ = answer.withUnsafeBytes { raw in withSockaddr(from) { sendto(fd, raw.baseAddress, raw.count, 0, $0, $1) } }
                }
            }
        }
    }
}

/// What a fake upstream answers: the query turned into a response (same ID and question) with
/// one A record per address, `rcode`, and TC if told.
func upstreamAnswer(to query: [UInt8], addresses: [[UInt8]], rcode: UInt8 = 0, truncated: Bool = false) -> [UInt8] {
    var out = query
    out[2] = 0x80 | (query[2] & 0x01) | (truncated ? 0x02 : 0)
    out[3] = 0x80 | rcode
    out[6] = 0
    out[7] = UInt8(addresses.count)
    out[10] = 0
    out[11] = 0   // drop any EDNS record: the question is all that is kept
    var end = 12
    while query[end] != 0 { end += Int(query[end]) + 1 }
    out = Array(out[0..<(end + 5)])
    for address in addresses {
        out += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4] + address
    }
    return out
}

/// A server on `address` (port 0) with a fixed table: `web` → two addresses, `db` → one,
/// `2.0.18.172.in-addr.arpa` → `web.net`; everything else forwarded.
func tableServer(address: String = "127.0.0.1", upstreams: [DNSUpstream] = [],
                 timeout: Duration = .seconds(2)) throws -> DNSServer {
    try DNSServer(address: IPv4Address(address)!, port: 0, upstreams: upstreams, timeout: timeout) { name, type, _ in
        switch name {
        case "web": return .addresses([IPv4Address(172, 18, 0, 2), IPv4Address(172, 18, 0, 3)])
        case "db": return .addresses([IPv4Address(172, 18, 0, 4)])
        case "2.0.18.172.in-addr.arpa": return .pointer("web.net")
        default: return .forward
        }
    }
}
