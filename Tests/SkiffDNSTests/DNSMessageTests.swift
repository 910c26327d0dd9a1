import Glibc
@testable import SkiffDNS
import Testing

@Suite struct DNSMessageTests {
    @Test func parsesAQuery() throws {
        let parsed = DNSMessage.parseQuery(makeQuery(id: 0xABCD, name: "Web.Net", type: 28))
        guard case .question(let id, let flags, let question) = parsed else { throw TestFailure("\(parsed)") }
        #expect(id == 0xABCD && flags == 0x0100)
        #expect(question.type == 28 && question.qclass == 1)
        #expect(question.labels == [Array("Web".utf8), Array("Net".utf8)])
        #expect(question.name == "web.net")
    }

    @Test func namesThatCannotBeLocalHaveNoLookupName() {
        let dotted = DNSMessage.Question(labels: [Array("a.b".utf8)], type: 1, qclass: 1)
        let binary = DNSMessage.Question(labels: [[0x61, 0x00]], type: 1, qclass: 1)
        let root = DNSMessage.Question(labels: [], type: 2, qclass: 1)
        #expect(dotted.name == nil && binary.name == nil && root.name == "")
    }

    @Test func rejectsMalformedQueries() {
        let good = makeQuery(id: 1, name: "web", type: 1)
        #expect(DNSMessage.parseQuery([]) == .drop)
        #expect(DNSMessage.parseQuery(Array(good[0..<11])) == .drop)
        var response = good
        response[2] |= 0x80
        #expect(DNSMessage.parseQuery(response) == .drop)
        var notify = good
        notify[2] |= 0x20   // opcode 4
        #expect(DNSMessage.parseQuery(notify) == .reject(id: 1, flags: 0x2100, code: .notImplemented))
        for broken: [UInt8] in [
            Array(good[0..<12]),                                   // no question
            Array(good[0..<12]) + [0x03, 0x77, 0x65],               // label past the end
            Array(good[0..<12]) + [0x80, 0, 0, 1, 0, 1],            // reserved label type
            Array(good[0..<12]) + [0xC0, 0x0C, 0, 1, 0, 1],         // pointer to itself
            Array(good[0..<12]) + [0xC0],                           // half a pointer
            Array(good[0..<12]) + [0x01, 0x61, 0xC0, 0x0E, 0, 1, 0, 1], // pointer forwards
        ] {
            #expect(DNSMessage.parseQuery(broken) == .reject(id: 1, flags: 0x0100, code: .formatError))
        }
    }

    @Test func followsBackwardPointersOnly() {
        // Offset 12: "\3web\3net\0"; offset 21: "\3api" then a pointer to "net" (16); at 27 a
        // pointer to that name (21).
        let message: [UInt8] = Array(repeating: 0, count: 12)
            + [3, 0x77, 0x65, 0x62, 3, 0x6E, 0x65, 0x74, 0]
            + [3, 0x61, 0x70, 0x69, 0xC0, 16]
            + [0xC0, 21]
        let nested = DNSMessage.readName(message, at: 27)
        #expect(nested?.labels == [Array("api".utf8), Array("net".utf8)] && nested?.end == 29)
        #expect(DNSMessage.readName(message, at: 21)?.end == 27)
        // A pointer at 27 to 21 then 16: each jump goes back. Pointing at itself or ahead fails.
        var loop = message
        loop[28] = 27
        #expect(DNSMessage.readName(loop, at: 27) == nil)
        var cycle = message
        cycle[26] = 21   // "api" then back to "api": the second jump is not below the first
        #expect(DNSMessage.readName(cycle, at: 27) == nil)
    }

    @Test func namesOver255BytesAreRejected() {
        func name(lastLabel: Int) -> [UInt8] {
            let label: [UInt8] = [63] + Array(repeating: 0x61, count: 63)
            return Array(repeating: 0, count: 12) + label + label + label
                + [UInt8(lastLabel)] + Array(repeating: 0x62, count: lastLabel) + [0]
        }
        let fits = name(lastLabel: 61)
        #expect(DNSMessage.readName(fits, at: 12)?.labels.count == 4)   // 255 bytes exactly
        let over = name(lastLabel: 62)
        #expect(DNSMessage.readName(over, at: 12) == nil)
    }

    @Test func randomBytesNeverTrapOrHang() {
        var rng = SystemRandomNumberGenerator()
        let valid = makeQuery(id: 1, name: "a.bc.example", type: 1)
        var longest = 0
        for i in 0..<60_000 {
            var bytes: [UInt8]
            switch i % 3 {
            case 0:
                bytes = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1:
                // Random labels and pointers after a plausible header.
                bytes = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
                for _ in 0..<Int.random(in: 0...40, using: &rng) {
                    bytes.append(Bool.random(using: &rng) ? UInt8.random(in: 0...8, using: &rng) : 0xC0)
                    bytes.append(UInt8.random(in: 0...40, using: &rng))
                }
            default:
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            if case .question(_, _, let question) = DNSMessage.parseQuery(bytes) {
                longest = max(longest, question.labels.reduce(1) { $0 + $1.count + 1 })
                _ = question.name
            }
            _ = DNSMessage.question(in: bytes)
        }
        #expect(longest <= 255)
    }

    @Test func repliesFitTheirLimit() throws {
        let question = DNSMessage.Question(labels: [Array("many".utf8)], type: 1, qclass: 1)
        let records = (0..<100).map { DNSMessage.Record.a(IPv4Address(10, 0, 0, UInt8($0))) }
        let udp = try Reply(DNSMessage.reply(id: 3, flags: 0x0100, question: question, records: records, limit: 512))
        #expect(udp.truncated && udp.bytes.count <= 512 && udp.answers.count == (512 - 12 - 10) / 16)
        let tcp = try Reply(DNSMessage.reply(id: 3, flags: 0x0100, question: question, records: records))
        #expect(!tcp.truncated && tcp.answers.count == 100)
        #expect(tcp.flags == 0x8180)
    }

    @Test func pointerTargetsMustBeNames() {
        #expect(DNSMessage.labels(of: "web.net.") == [Array("web".utf8), Array("net".utf8)])
        #expect(DNSMessage.labels(of: "") == [])
        #expect(DNSMessage.labels(of: "a..b") == nil)
        #expect(DNSMessage.labels(of: String(repeating: "x", count: 64)) == nil)
    }
}

@Suite struct AddressTests {
    @Test func parsesDottedQuads() {
        #expect(IPv4Address("172.18.0.1")?.bytes == [172, 18, 0, 1])
        #expect(IPv4Address("0.0.0.0")?.value == 0)
        #expect(IPv4Address("255.255.255.255")?.value == .max)
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1..3.4", "a.b.c.d", " 1.2.3.4", "1.2.3.4 "] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
        #expect(IPv4Address(10, 0, 0, 1).description == "10.0.0.1")
    }

    @Test func reverseNames() {
        let address = IPv4Address(172, 18, 0, 2)
        #expect(address.reverseName == "2.0.18.172.in-addr.arpa")
        #expect(IPv4Address(reverseName: "2.0.18.172.IN-ADDR.ARPA.") == address)
        #expect(IPv4Address(reverseName: "0.18.172.in-addr.arpa") == nil)
        #expect(IPv4Address(reverseName: "2.0.18.172.ip6.arpa") == nil)
    }

    @Test func upstreams() {
        #expect(DNSUpstream("8.8.8.8") == DNSUpstream(address: IPv4Address(8, 8, 8, 8), port: 53))
        #expect(DNSUpstream("127.0.0.53:5353")?.port == 5353)
        #expect(DNSUpstream("127.0.0.53:0") == nil && DNSUpstream("1.2.3.4:x") == nil && DNSUpstream("::1") == nil)
    }

    @Test func upstreamsFromResolvConf() throws {
        let text = """
            # Generated
            search example.com
            nameserver 10.0.0.2
            nameserver fe80::1%eth0
            ;nameserver 9.9.9.9
            nameserver\t1.1.1.1 # trailing comment
            nameserver 10.0.0.2
            options ndots:2
            """
        #expect(DNSServerConfig.upstreams(parsing: text) == [DNSUpstream("10.0.0.2")!, DNSUpstream("1.1.1.1")!])

        var template = Array("/tmp/skiff-dns-resolv-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        try #require(fd >= 0)
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        let bytes = Array("nameserver 127.0.0.53\n".utf8)
        #expect(write(fd, bytes, bytes.count) == bytes.count)
        close(fd)
        #expect(DNSServerConfig.upstreams(resolvConf: path) == [DNSUpstream("127.0.0.53")!])
        #expect(DNSServerConfig.upstreams(resolvConf: path + ".missing") == [])
    }
}
