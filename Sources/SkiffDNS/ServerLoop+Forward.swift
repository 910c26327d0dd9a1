import Glibc

extension ServerLoop {
    /// A query under way upstream, one upstream at a time from a socket of its own: over UDP for
    /// a UDP client (a truncated answer is relayed as is, so the client asks again over TCP), over
    /// TCP for a TCP client — and then over UDP if that upstream fails on TCP (some resolvers only
    /// speak UDP).
    final class Exchange {
        let client: Client
        let clientID: UInt16
        let flags: UInt16
        let question: DNSMessage.Question
        /// The client's query under an ID of our own.
        let message: [UInt8]
        let id: UInt16
        /// The transport of the current attempt.
        var overTCP: Bool
        /// Index of the upstream being asked.
        var upstream = -1
        var fd: Int32 = -1
        var deadline: Int64 = .max
        /// TCP: the connect is under way.
        var connecting = false
        /// TCP: what is left to write and what came back.
        var outgoing: [UInt8] = []
        var incoming: [UInt8] = []
        /// A SERVFAIL or REFUSED answer, relayed if no later upstream answers.
        var fallback: [UInt8]?

        init(client: Client, clientID: UInt16, flags: UInt16, question: DNSMessage.Question, message: [UInt8], id: UInt16) {
            self.client = client
            self.clientID = clientID
            self.flags = flags
            self.question = question
            self.message = message
            self.id = id
            overTCP = !client.isUDP
        }

        var wantsWrite: Bool { overTCP && (connecting || !outgoing.isEmpty) }
    }

    func forward(_ query: [UInt8], id: UInt16, flags: UInt16, question: DNSMessage.Question, for client: Client) {
        guard !upstreams.isEmpty, exchanges.count < Self.maxExchanges else {
            send(DNSMessage.reply(id: id, flags: flags, question: question, code: .serverFailure), to: client)
            return
        }
        var message = query
        let ownID = UInt16.random(in: 0...UInt16.max)
        DNSMessage.write16(&message, 0, ownID)
        nextKey += 1
        exchanges[nextKey] = Exchange(client: client, clientID: id, flags: flags, question: question, message: message, id: ownID)
        if case .tcp(let connection) = client { connections[connection]?.pending += 1 }
        nextUpstream(nextKey)
    }

    /// Gives a query to the next upstream that takes it; answers it when none is left.
    func nextUpstream(_ key: UInt64) {
        guard let exchange = exchanges[key] else { return }
        if exchange.fd >= 0 {
            close(exchange.fd)
            exchange.fd = -1
        }
        while exchange.upstream + 1 < upstreams.count {
            exchange.upstream += 1
            exchange.overTCP = !exchange.client.isUDP
            if start(exchange) { return }
            if exchange.overTCP {
                exchange.overTCP = false
                if start(exchange) { return }
            }
        }
        finish(key, exchange.fallback
            ?? DNSMessage.reply(id: exchange.clientID, flags: exchange.flags, question: exchange.question, code: .serverFailure))
    }

    /// After a TCP attempt failed (refused, reset, closed): the same upstream over UDP.
    private func fallBackToUDP(_ key: UInt64) {
        guard let exchange = exchanges[key], exchange.overTCP else { return nextUpstream(key) }
        close(exchange.fd)
        exchange.fd = -1
        exchange.overTCP = false
        if !start(exchange) { nextUpstream(key) }
    }

    /// Sends the query to its current upstream (TCP: starts connecting); false if that fails at once.
    private func start(_ exchange: Exchange) -> Bool {
        let upstream = upstreams[exchange.upstream]
        let fd = Sockets.open(exchange.overTCP ? SOCK_STREAM : SOCK_DGRAM)
        guard fd >= 0 else { return false }
        guard Sockets.connect(fd, Sockets.address(upstream.address, upstream.port)) else {
            close(fd)
            return false
        }
        exchange.connecting = exchange.overTCP
        exchange.incoming = []
        if exchange.overTCP {
            exchange.outgoing = [UInt8(exchange.message.count >> 8), UInt8(exchange.message.count & 0xFF)] + exchange.message
        } else {
            let sent = exchange.message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == exchange.message.count else {
                close(fd)
                return false
            }
        }
        exchange.fd = fd
        exchange.deadline = Sockets.now() + timeout
        return true
    }

    func service(exchange key: UInt64, _ events: Int32) {
        guard let exchange = exchanges[key] else { return }
        if !exchange.overTCP {
            let n = buffer.withUnsafeMutableBytes { recv(exchange.fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 {
                consider(key, Array(buffer[0..<n]))   // anything else (a stray datagram) is ignored
            } else if errno != EAGAIN && errno != EINTR {
                nextUpstream(key)   // ECONNREFUSED: nothing listens there
            }
            return
        }
        if exchange.connecting {
            guard Sockets.pendingError(exchange.fd) == 0 else { return fallBackToUDP(key) }
            exchange.connecting = false
        }
        if !exchange.outgoing.isEmpty {
            guard events & POLLOUT != 0 else { return fallBackToUDP(key) }
            let n = exchange.outgoing.withUnsafeBytes { Glibc.send(exchange.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                exchange.outgoing.removeFirst(n)
            } else if errno != EAGAIN && errno != EINTR {
                fallBackToUDP(key)
            }
            return
        }
        let n = buffer.withUnsafeMutableBytes { read(exchange.fd, $0.baseAddress, $0.count) }
        guard n > 0 else {
            if n == 0 || (errno != EAGAIN && errno != EINTR) { fallBackToUDP(key) }
            return
        }
        exchange.incoming += buffer[0..<n]
        guard exchange.incoming.count >= 2 else { return }
        let length = Int(DNSMessage.read16(exchange.incoming, 0))
        guard exchange.incoming.count >= 2 + length else { return }
        if !consider(key, Array(exchange.incoming[2..<(2 + length)])) { nextUpstream(key) }
    }

    /// Takes an upstream's answer if it is the answer to this query: relays it, or moves on after
    /// a SERVFAIL or REFUSED while other upstreams are left. False if it is not the answer.
    @discardableResult
    private func consider(_ key: UInt64, _ answer: [UInt8]) -> Bool {
        guard let exchange = exchanges[key], answer.count >= DNSMessage.headerSize,
              DNSMessage.read16(answer, 0) == exchange.id, answer[2] & 0x80 != 0 else { return false }
        if DNSMessage.read16(answer, 4) != 0 {
            guard let question = DNSMessage.question(in: answer), question.matches(exchange.question) else { return false }
        }
        let code = answer[3] & 0x0F
        if code == DNSMessage.ResponseCode.serverFailure.rawValue || code == DNSMessage.ResponseCode.refused.rawValue,
           exchange.upstream + 1 < upstreams.count {
            exchange.fallback = answer
            nextUpstream(key)
        } else {
            finish(key, answer)
        }
        return true
    }

    /// Relays an answer to the client under its own ID.
    private func finish(_ key: UInt64, _ answer: [UInt8]) {
        guard let exchange = exchanges.removeValue(forKey: key) else { return }
        if exchange.fd >= 0 { close(exchange.fd) }
        var reply = answer
        DNSMessage.write16(&reply, 0, exchange.clientID)
        if case .tcp(let connection) = exchange.client { connections[connection]?.pending -= 1 }
        send(reply, to: exchange.client)
    }
}
