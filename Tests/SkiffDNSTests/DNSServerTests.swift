import Glibc
import SkiffDNS
import Synchronization
import Testing

/// The server over real sockets on loopback addresses, ports picked by the kernel.
@Suite struct DNSServerTests {
    @Test func answersARecordsLikeDocker() throws {
        let server = try tableServer()
        defer { server.stop() }
        let reply = try udpQuery("127.0.0.1", server.port, makeQuery(id: 0xBEEF, name: "WEB", type: 1))
        #expect(reply.id == 0xBEEF)
        #expect(reply.isResponse && reply.recursionDesired && reply.recursionAvailable && !reply.authoritative)
        #expect(reply.rcode == 0 && !reply.truncated)
        #expect(reply.questionName == "WEB" && reply.questionType == 1)   // the question as asked
        #expect(Set(reply.addresses) == ["172.18.0.2", "172.18.0.3"])
        #expect(reply.answers.allSatisfy { $0.ttl == 600 && $0.qclass == 1 && $0.name == "WEB" })
        // The answers' owner is a pointer to the question: 12 + "\3WEB\0" + type + class.
        #expect(Array(reply.bytes[21...22]) == [0xC0, 0x0C])

        // Shared names rotate.
        let again = try udpQuery("127.0.0.1", server.port, makeQuery(id: 2, name: "web", type: 1))
        #expect(again.addresses.first != reply.addresses.first)
    }

    @Test func copiesRecursionDesiredOnlyWhenAsked() throws {
        let server = try tableServer()
        defer { server.stop() }
        let reply = try udpQuery("127.0.0.1", server.port, makeQuery(id: 7, name: "db", type: 1, recursion: false))
        #expect(!reply.recursionDesired && reply.recursionAvailable)
        #expect(reply.addresses == ["172.18.0.4"])
    }

    @Test func aaaaOfALocalNameIsAnEmptyNoError() throws {
        let server = try tableServer()
        defer { server.stop() }
        let reply = try udpQuery("127.0.0.1", server.port, makeQuery(id: 9, name: "web", type: 28))
        #expect(reply.rcode == 0 && reply.answers.isEmpty && reply.questionType == 28)
    }

    @Test func answersPointerQueries() throws {
        let server = try tableServer()
        defer { server.stop() }
        let reply = try udpQuery("127.0.0.1", server.port, makeQuery(id: 10, name: "2.0.18.172.in-addr.arpa", type: 12))
        #expect(reply.rcode == 0)
        #expect(reply.answers.map(\.target) == ["web.net"])
        #expect(reply.answers.first?.ttl == 600)
    }

    @Test func looksUpWithTheQueryType() throws {
        let seen = Mutex<[String]>([])
        let server = try DNSServer(address: IPv4Address(127, 0, 0, 1), port: 0, upstreams: []) { name, type, _ in
            seen.withLock { $0.append("\(name) \(type)") }
            return .addresses([])
        }
        defer { server.stop() }
        _ = try udpQuery("127.0.0.1", server.port, makeQuery(id: 1, name: "My-App.Net.", type: 28))
        _ = try udpQuery("127.0.0.1", server.port, makeQuery(id: 2, name: "x", type: 15))
        #expect(seen.withLock { $0 } == ["my-app.net 28", "x 15"])
    }

    @Test func largeAnswersAreTruncatedOverUDPAndWholeOverTCP() throws {
        let many = (1...40).map { IPv4Address(10, 0, 0, UInt8($0)) }
        let server = try DNSServer(address: IPv4Address(127, 0, 0, 1), port: 0, upstreams: []) { _, _, _ in .addresses(many) }
        defer { server.stop() }
        let udp = try udpQuery("127.0.0.1", server.port, makeQuery(id: 1, name: "big", type: 1))
        #expect(udp.truncated && udp.bytes.count <= 512 && !udp.answers.isEmpty && udp.answers.count < 40)
        let tcp = try TCPClient(to: "127.0.0.1", port: server.port).exchange(makeQuery(id: 2, name: "big", type: 1))
        #expect(!tcp.truncated && tcp.answers.count == 40)
    }

    @Test func forwardsUnknownNamesUpstreamWithTheClientsID() throws {
        let upstream = try FakeUpstream { upstreamAnswer(to: $0, addresses: [[10, 9, 8, 7]]) }
        defer { upstream.stop() }
        let server = try tableServer(upstreams: [upstream.upstream])
        defer { server.stop() }
        let reply = try udpQuery("127.0.0.1", server.port, makeQuery(id: 0x1234, name: "example.com", type: 1))
        #expect(reply.id == 0x1234 && reply.rcode == 0)
        #expect(reply.addresses == ["10.9.8.7"])
        let asked = try #require(upstream.queries.first)
        #expect(try Reply(asked).questionName == "example.com")
    }

    @Test func upstreamTimeoutIsServfail() throws {
        let silent = try FakeUpstream { _ in nil }
        defer { silent.stop() }
        let server = try tableServer(upstreams: [silent.upstream], timeout: .milliseconds(300))
        defer { server.stop() }
        let started = ContinuousClock.now
        let reply = try udpQuery("127.0.0.1", server.port, makeQuery(id: 5, name: "slow.example", type: 1))
        #expect(reply.id == 5 && reply.rcode == 2 && reply.questionName == "slow.example")
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        #expect(silent.queries.count == 1)
    }

    @Test func movesOnToTheNextUpstream() throws {
        let silent = try FakeUpstream { _ in nil }
        defer { silent.stop() }
        let failing = try FakeUpstream { upstreamAnswer(to: $0, addresses: [], rcode: 2) }
        defer { failing.stop() }
        let good = try FakeUpstream { upstreamAnswer(to: $0, addresses: [[1, 2, 3, 4]]) }
        defer { good.stop() }
        // Nothing listens on this one: the connected socket sees ECONNREFUSED at once.
        let closedPort = try FakeUpstream { _ in nil }
        closedPort.stop()

        let server = try tableServer(upstreams: [closedPort.upstream, silent.upstream, failing.upstream, good.upstream],
                                     timeout: .milliseconds(300))
        defer { server.stop() }
        let reply = try udpQuery("127.0.0.1", server.port, makeQuery(id: 6, name: "next.example", type: 1))
        #expect(reply.rcode == 0 && reply.addresses == ["1.2.3.4"])
        #expect(silent.queries.count == 1 && failing.queries.count == 1 && good.queries.count == 1)
    }

    @Test func theLastUpstreamsServfailIsRelayed() throws {
        let failing = try FakeUpstream { upstreamAnswer(to: $0, addresses: [], rcode: 2) }
        defer { failing.stop() }
        let server = try tableServer(upstreams: [failing.upstream])
        defer { server.stop() }
        let reply = try udpQuery("127.0.0.1", server.port, makeQuery(id: 8, name: "broken.example", type: 1))
        #expect(reply.id == 8 && reply.rcode == 2)
    }

    @Test func withoutUpstreamsUnknownNamesAreServfail() throws {
        let server = try tableServer()
        defer { server.stop() }
        let reply = try udpQuery("127.0.0.1", server.port, makeQuery(id: 11, name: "example.com", type: 1))
        #expect(reply.id == 11 && reply.rcode == 2 && reply.recursionAvailable)
    }

    @Test func truncatedUpstreamAnswersAreRelayedAsTheyAre() throws {
        let upstream = try FakeUpstream { upstreamAnswer(to: $0, addresses: [], truncated: true) }
        defer { upstream.stop() }
        let server = try tableServer(upstreams: [upstream.upstream])
        defer { server.stop() }
        let reply = try udpQuery("127.0.0.1", server.port, makeQuery(id: 12, name: "big.example", type: 1))
        #expect(reply.id == 12 && reply.truncated)
    }

    @Test func answersOverTCPPipelined() throws {
        let server = try tableServer()
        defer { server.stop() }
        let client = try TCPClient(to: "127.0.0.1", port: server.port)
        client.send(makeQuery(id: 21, name: "web", type: 1))
        client.send(makeQuery(id: 22, name: "2.0.18.172.in-addr.arpa", type: 12))
        let first = try client.receive()
        let second = try client.receive()
        #expect(first.id == 21 && Set(first.addresses) == ["172.18.0.2", "172.18.0.3"])
        #expect(second.id == 22 && second.answers.map(\.target) == ["web.net"])
    }

    @Test func forwardsTCPQueriesOverTCP() throws {
        let upstream = try FakeUpstream(tcp: true) { upstreamAnswer(to: $0, addresses: [[5, 6, 7, 8]]) }
        defer { upstream.stop() }
        let server = try tableServer(upstreams: [upstream.upstream])
        defer { server.stop() }
        let reply = try TCPClient(to: "127.0.0.1", port: server.port).exchange(makeQuery(id: 0x4321, name: "tcp.example", type: 1))
        #expect(reply.id == 0x4321 && reply.addresses == ["5.6.7.8"])
        #expect(upstream.queries.count == 1)
    }

    @Test func tcpQueriesFallBackToUDPUpstreams() throws {
        // Nothing listens for TCP on the upstream's port: the same upstream is asked over UDP.
        let upstream = try FakeUpstream { upstreamAnswer(to: $0, addresses: [[5, 6, 7, 9]]) }
        defer { upstream.stop() }
        let server = try tableServer(upstreams: [upstream.upstream])
        defer { server.stop() }
        let reply = try TCPClient(to: "127.0.0.1", port: server.port).exchange(makeQuery(id: 0x4322, name: "udp-only.example", type: 1))
        #expect(reply.id == 0x4322 && reply.addresses == ["5.6.7.9"])
    }

    @Test func malformedQueriesGetFormerrOrNothing() throws {
        let server = try tableServer()
        defer { server.stop() }
        let client = try UDPClient(to: "127.0.0.1", port: server.port)
        let good = makeQuery(id: 0x0101, name: "web", type: 1)

        // No header: nothing comes back.
        client.send([0x12, 0x34, 0x01])
        #expect(client.receive(millis: 300) == nil)
        // A response, not a query: never answered (no reflection loops).
        var response = good
        response[2] |= 0x80
        client.send(response)
        #expect(client.receive(millis: 300) == nil)

        var formerr: [[UInt8]] = []
        var noQuestion = good
        noQuestion[5] = 0
        formerr.append(noQuestion)
        var twoQuestions = good
        twoQuestions[5] = 2
        formerr.append(twoQuestions)
        formerr.append(Array(good[0..<12]) + [0x40] + Array(repeating: 0x61, count: 64) + [0, 0, 1, 0, 1])   // label type 0x40
        formerr.append(Array(good[0..<12]) + [0x05, 0x61, 0x62])                  // label past the end
        formerr.append(Array(good[0..<12]) + [0xC0, 0x0C, 0, 1, 0, 1])            // pointer to itself
        formerr.append(Array(good[0..<12]) + [0x01, 0x61, 0xC0, 0x0C, 0, 1, 0, 1]) // loop through a label
        formerr.append(Array(good[0..<12]) + [0x03, 0x77, 0x65, 0x62, 0, 0, 1])   // type and class cut short
        formerr.append(Array(good[0..<12]) + Array(repeating: [0x3F] + Array(repeating: 0x61, count: 63), count: 5).flatMap { $0 } + [0, 0, 1, 0, 1])
        for (i, query) in formerr.enumerated() {
            let reply = try client.exchange(query)
            #expect(reply.id == 0x0101 && reply.rcode == 1 && reply.isResponse, "case \(i)")
        }

        var inverse = good
        inverse[2] |= 0x08   // opcode 1 (IQUERY)
        #expect(try client.exchange(inverse).rcode == 4)

        #expect(try client.exchange(good).addresses.count == 2)
    }

    @Test func garbageNeverStopsTheServer() throws {
        let upstream = try FakeUpstream { upstreamAnswer(to: $0, addresses: [[9, 9, 9, 9]]) }
        defer { upstream.stop() }
        let server = try tableServer(upstreams: [upstream.upstream])
        defer { server.stop() }
        var rng = SystemRandomNumberGenerator()
        let client = try UDPClient(to: "127.0.0.1", port: server.port)
        let valid = makeQuery(id: 1, name: "web.example", type: 1)
        for i in 0..<3000 {
            var packet: [UInt8]
            if i % 2 == 0 {
                packet = (0..<Int.random(in: 0...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                packet = valid
                for _ in 0..<Int.random(in: 1...6, using: &rng) {
                    packet[Int.random(in: 0..<packet.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                packet = Array(packet.prefix(Int.random(in: 0...packet.count, using: &rng)))
            }
            client.send(packet)
            while client.receive(millis: 0) != nil {}
        }
        let tcp = try TCPClient(to: "127.0.0.1", port: server.port)
        for _ in 0..<200 { tcp.send((0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }) }

        let check = try UDPClient(to: "127.0.0.1", port: server.port)
        #expect(try check.exchange(makeQuery(id: 77, name: "web", type: 1)).addresses.count == 2)
        #expect(try TCPClient(to: "127.0.0.1", port: server.port).exchange(makeQuery(id: 78, name: "db", type: 1)).addresses == ["172.18.0.4"])
    }

    @Test func manyConcurrentQueries() throws {
        // The upstream answers remoteN.example with 10.0.0.N.
        let upstream = try FakeUpstream { query in
            let label = String(decoding: query[13..<(13 + Int(query[12]))], as: UTF8.self)
            return upstreamAnswer(to: query, addresses: [[10, 0, 0, UInt8(label.dropFirst("remote".count)) ?? 0]])
        }
        defer { upstream.stop() }
        let server = try tableServer(upstreams: [upstream.upstream])
        defer { server.stop() }
        let port = server.port
        let failures = Mutex<[String]>([])
        onThreads(12) { thread in
            do {
                if thread < 8 {
                    // A burst of 40 queries in flight, then the replies (matched by ID).
                    let client = try UDPClient(to: "127.0.0.1", port: port)
                    var expected: [UInt16: [String]] = [:]
                    for i in 0..<40 {
                        let id = UInt16(thread << 8 | i)
                        let forwarded = i % 2 == 1
                        client.send(makeQuery(id: id, name: forwarded ? "remote\(i).example" : "db", type: 1))
                        expected[id] = forwarded ? ["10.0.0.\(i)"] : ["172.18.0.4"]
                    }
                    while !expected.isEmpty {
                        guard let bytes = client.receive() else { throw TestFailure("udp \(thread): \(expected.count) replies missing") }
                        let reply = try Reply(bytes)
                        guard expected.removeValue(forKey: reply.id) == reply.addresses else { throw TestFailure("udp \(thread): wrong reply \(reply.id)") }
                    }
                } else {
                    let client = try TCPClient(to: "127.0.0.1", port: port)
                    for i in 0..<25 {
                        let reply = try client.exchange(makeQuery(id: UInt16(i), name: "web", type: 1))
                        guard reply.id == UInt16(i), reply.addresses.count == 2 else { throw TestFailure("tcp \(thread): wrong reply \(i)") }
                    }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
    }

    @Test func tooManyQueriesUpstreamGetServfailAtOnce() throws {
        let silent = try FakeUpstream { _ in nil }
        defer { silent.stop() }
        let server = try tableServer(upstreams: [silent.upstream], timeout: .seconds(5))
        defer { server.stop() }
        let client = try UDPClient(to: "127.0.0.1", port: server.port)
        for i in 0..<300 { client.send(makeQuery(id: UInt16(i), name: "q\(i).example", type: 1)) }
        // 256 wait for the silent upstream; the rest are refused at once, not queued.
        var refused = 0
        while let bytes = client.receive(millis: 1000) {
            let reply = try Reply(bytes)
            #expect(reply.rcode == 2 && reply.id >= 256)
            refused += 1
        }
        #expect(refused == 44)
        // Local names are still answered.
        #expect(try client.exchange(makeQuery(id: 999, name: "db", type: 1)).addresses == ["172.18.0.4"])
    }

    @Test func stopReleasesTheAddress() throws {
        let server = try tableServer(address: "127.0.0.4")
        let port = server.port
        let client = try UDPClient(to: "127.0.0.4", port: port)
        #expect(try client.exchange(makeQuery(id: 1, name: "web", type: 1)).addresses.count == 2)
        let idle = try TCPClient(to: "127.0.0.4", port: port)   // an open connection does not hold stop up
        server.stop()
        server.stop()
        client.send(makeQuery(id: 2, name: "web", type: 1))
        #expect(client.receive(millis: 300) == nil)
        #expect(throws: (any Error).self) { try idle.receive(millis: 1000) }

        let again = try DNSServer(address: IPv4Address(127, 0, 0, 4), port: port, upstreams: []) { _, _, _ in
            .addresses([IPv4Address(1, 1, 1, 1)])
        }
        defer { again.stop() }
        #expect(again.port == port)
        #expect(try udpQuery("127.0.0.4", port, makeQuery(id: 3, name: "web", type: 1)).addresses == ["1.1.1.1"])
        #expect(try TCPClient(to: "127.0.0.4", port: port).exchange(makeQuery(id: 4, name: "web", type: 1)).addresses == ["1.1.1.1"])
    }

    @Test func oneServerPerAddressOnTheSamePort() throws {
        let first = try DNSServer(address: IPv4Address(127, 0, 0, 2), port: 0, upstreams: []) { _, _, _ in
            .addresses([IPv4Address(10, 2, 0, 2)])
        }
        defer { first.stop() }
        let second = try DNSServer(address: IPv4Address(127, 0, 0, 3), port: first.port, upstreams: []) { _, _, _ in
            .addresses([IPv4Address(10, 3, 0, 3)])
        }
        defer { second.stop() }
        #expect(try udpQuery("127.0.0.2", first.port, makeQuery(id: 1, name: "c", type: 1)).addresses == ["10.2.0.2"])
        #expect(try udpQuery("127.0.0.3", first.port, makeQuery(id: 1, name: "c", type: 1)).addresses == ["10.3.0.3"])
        // Bound to its address only: nothing answers on the other loopback addresses.
        #expect(throws: (any Error).self) { try TCPClient(to: "127.0.0.1", port: first.port) }
        #expect(throws: DNSError.self) {
            try DNSServer(address: IPv4Address(127, 0, 0, 2), port: first.port, upstreams: []) { _, _, _ in .forward }
        }
    }

    @Test func bindErrorsNameTheAddress() throws {
        let error = #expect(throws: DNSError.self) {
            try DNSServer(address: IPv4Address(192, 0, 2, 1), port: 0, upstreams: []) { _, _, _ in .forward }
        }
        #expect(error?.description == "dns server 192.0.2.1:0: bind udp: Cannot assign requested address")
    }
}
