import Glibc

/// One server's poll loop and everything it owns: the UDP socket, the TCP listener and its
/// connections, the queries under way upstream. Lives on the server's thread only.
final class ServerLoop {
    /// Where a reply goes.
    enum Client {
        case udp(sockaddr_in)
        case tcp(connection: UInt64)
    }

    /// A TCP client: length-prefixed queries in, length-prefixed replies out (RFC 7766).
    final class Connection {
        let fd: Int32
        let peer: IPv4Address
        var input: [UInt8] = []
        var output: [UInt8] = []
        var eof = false
        /// Its queries under way upstream.
        var pending = 0
        var idleDeadline: Int64

        init(fd: Int32, peer: IPv4Address, idleDeadline: Int64) {
            self.fd = fd
            self.peer = peer
            self.idleDeadline = idleDeadline
        }
    }

    // Limits: TCP clients at once, queries under way per connection, unsent reply bytes per
    // connection, idle time of a connection, queries under way upstream in all (beyond it: SERVFAIL).
    static let maxConnections = 128
    static let maxPendingPerConnection = 32
    static let maxOutput = 256 * 1024
    static let idleTimeout: Int64 = 10_000_000_000
    static let maxExchanges = 256

    let udp: Int32
    let listener: Int32
    let wake: Int32
    let upstreams: [DNSUpstream]
    /// Per upstream attempt, nanoseconds.
    let timeout: Int64
    let lookup: @Sendable (String, UInt16, IPv4Address) -> DNSAnswer

    var connections: [UInt64: Connection] = [:]
    var exchanges: [UInt64: Exchange] = [:]
    var nextKey: UInt64 = 0
    var rotation: UInt = 0
    var buffer = [UInt8](repeating: 0, count: 65536)

    init(udp: Int32, listener: Int32, wake: Int32, upstreams: [DNSUpstream], timeout: Int64,
         lookup: @escaping @Sendable (String, UInt16, IPv4Address) -> DNSAnswer) {
        self.udp = udp
        self.listener = listener
        self.wake = wake
        self.upstreams = upstreams
        self.timeout = timeout
        self.lookup = lookup
    }

    func run() {
        while step() {}
        for connection in connections.values { close(connection.fd) }
        for exchange in exchanges.values where exchange.fd >= 0 { close(exchange.fd) }
        connections = [:]
        exchanges = [:]
        close(udp)
        close(listener)
        close(wake)
    }

    private enum Source {
        case wake, udp, listener
        case connection(UInt64)
        case exchange(UInt64)
    }

    /// One poll and what it found; false once `stop` asked to end.
    private func step() -> Bool {
        var fds: [pollfd] = []
        var sources: [Source] = []
        func watch(_ fd: Int32, _ events: Int32, _ source: Source) {
            fds.append(pollfd(fd: fd, events: Int16(events), revents: 0))
            sources.append(source)
        }
        watch(wake, POLLIN, .wake)
        watch(udp, POLLIN, .udp)
        if connections.count < Self.maxConnections { watch(listener, POLLIN, .listener) }
        for (key, connection) in connections {
            var events: Int32 = 0
            if !connection.eof && connection.pending < Self.maxPendingPerConnection
                && connection.output.count < Self.maxOutput { events |= POLLIN }
            if !connection.output.isEmpty { events |= POLLOUT }
            watch(connection.fd, events, .connection(key))
        }
        for (key, exchange) in exchanges { watch(exchange.fd, exchange.wantsWrite ? POLLOUT : POLLIN, .exchange(key)) }

        guard poll(&fds, nfds_t(fds.count), timeoutMillis()) >= 0 else {
            if errno != EINTR { usleep(10_000) }   // ENOMEM: try again rather than stop serving
            return true
        }
        for (i, fd) in fds.enumerated() where fd.revents != 0 {
            let events = Int32(fd.revents)
            switch sources[i] {
            case .wake: return false
            case .udp: receiveUDP()
            case .listener: accept()
            case .connection(let key): service(connection: key, events)
            case .exchange(let key): service(exchange: key, events)
            }
        }
        expire()
        return true
    }

    private func timeoutMillis() -> Int32 {
        let deadlines = exchanges.values.map(\.deadline) + connections.values.map(\.idleDeadline)
        guard let next = deadlines.min() else { return -1 }
        return Int32(clamping: max(0, (next - Sockets.now()) / 1_000_000 + 1))
    }

    private func expire() {
        let now = Sockets.now()
        for (key, exchange) in exchanges where exchange.deadline <= now { nextUpstream(key) }
        for (key, connection) in connections where connection.idleDeadline <= now && connection.pending == 0 {
            closeConnection(key)
        }
    }

    // MARK: Queries

    private enum Outcome {
        case drop
        case reply([UInt8])
        case forward(id: UInt16, flags: UInt16, DNSMessage.Question)
    }

    /// Answers a query locally, or hands it to the upstreams.
    func handle(_ query: [UInt8], from client: Client) {
        let peer: IPv4Address
        switch client {
        case .udp(let addr): peer = IPv4Address(value: UInt32(bigEndian: addr.sin_addr.s_addr))
        case .tcp(let key): peer = connections[key]?.peer ?? IPv4Address(value: 0)
        }
        switch answer(query, limit: client.isUDP ? DNSMessage.udpLimit : 65535, peer: peer) {
        case .drop: return
        case .reply(let reply): send(reply, to: client)
        case .forward(let id, let flags, let question): forward(query, id: id, flags: flags, question: question, for: client)
        }
    }

    private func answer(_ query: [UInt8], limit: Int, peer: IPv4Address) -> Outcome {
        let id: UInt16, flags: UInt16, question: DNSMessage.Question
        switch DNSMessage.parseQuery(query) {
        case .drop: return .drop
        case .reject(let i, let f, let code): return .reply(DNSMessage.reject(id: i, flags: f, code: code))
        case .question(let i, let f, let q): (id, flags, question) = (i, f, q)
        }
        guard question.qclass == DNSMessage.classIN, let name = question.name else {
            return .forward(id: id, flags: flags, question)
        }
        let type = question.type
        let matchesAny = type == DNSMessage.RecordType.any
        var records: [DNSMessage.Record] = []
        switch lookup(name, type, peer) {
        case .forward:
            return .forward(id: id, flags: flags, question)
        case .addresses(let addresses):
            if (type == DNSMessage.RecordType.a || matchesAny) && !addresses.isEmpty {
                rotation &+= 1
                let start = Int(rotation % UInt(addresses.count))
                records = (addresses[start...] + addresses[..<start]).map { .a($0) }
            }
        case .pointer(let target):
            if type == DNSMessage.RecordType.ptr || matchesAny {
                guard let labels = DNSMessage.labels(of: target) else {
                    return .reply(DNSMessage.reply(id: id, flags: flags, question: question, code: .serverFailure))
                }
                records = [.ptr(labels)]
            }
        }
        return .reply(DNSMessage.reply(id: id, flags: flags, question: question, records: records, limit: limit))
    }

    func send(_ reply: [UInt8], to client: Client) {
        switch client {
        case .udp(let addr):
            _ = reply.withUnsafeBytes { bytes in
                Sockets.withSockaddr(addr) { sendto(udp, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, $1) }
            }
        case .tcp(let key):
            guard let connection = connections[key], reply.count <= 65535 else { return }
            connection.output += [UInt8(reply.count >> 8), UInt8(reply.count & 0xFF)] + reply
            connection.idleDeadline = Sockets.now() + Self.idleTimeout
        }
    }

    // MARK: UDP

    private func receiveUDP() {
        for _ in 0..<64 {
            var from = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(udp, raw.baseAddress, raw.count, 0, $0, &length)
                    }
                }
            }
            guard n >= 0 else { return }
            handle(Array(buffer[0..<n]), from: .udp(from))
        }
    }

    // MARK: TCP clients

    private func accept() {
        while connections.count < Self.maxConnections {
            let (fd, peer) = Sockets.accept(listener)
            guard fd >= 0 else { return }
            nextKey += 1
            connections[nextKey] = Connection(fd: fd, peer: peer, idleDeadline: Sockets.now() + Self.idleTimeout)
        }
    }

    private func service(connection key: UInt64, _ events: Int32) {
        guard let connection = connections[key] else { return }
        if events & (POLLERR | POLLNVAL) != 0 || (events & POLLHUP != 0 && connection.eof) {
            return closeConnection(key)
        }
        if events & (POLLIN | POLLHUP) != 0 && !connection.eof {
            let n = buffer.withUnsafeMutableBytes { read(connection.fd, $0.baseAddress, $0.count) }
            if n > 0 {
                connection.input += buffer[0..<n]
                while connection.input.count >= 2 {
                    let length = Int(DNSMessage.read16(connection.input, 0))
                    guard connection.input.count >= 2 + length else { break }
                    let query = Array(connection.input[2..<(2 + length)])
                    connection.input.removeFirst(2 + length)
                    handle(query, from: .tcp(connection: key))
                }
            } else if n == 0 {
                connection.eof = true
            } else if errno != EAGAIN && errno != EINTR {
                return closeConnection(key)
            }
        }
        if events & POLLOUT != 0 && !connection.output.isEmpty {
            let n = connection.output.withUnsafeBytes { Glibc.send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                connection.output.removeFirst(n)
            } else if n < 0 && errno != EAGAIN && errno != EINTR {
                return closeConnection(key)
            }
        }
        connection.idleDeadline = Sockets.now() + Self.idleTimeout
        if connection.eof && connection.pending == 0 && connection.output.isEmpty { closeConnection(key) }
    }

    private func closeConnection(_ key: UInt64) {
        guard let connection = connections.removeValue(forKey: key) else { return }
        close(connection.fd)
    }
}

extension ServerLoop.Client {
    var isUDP: Bool {
        if case .udp = self { return true }
        return false
    }
}
