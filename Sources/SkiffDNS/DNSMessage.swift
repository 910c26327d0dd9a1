/// The DNS wire format (RFC 1035), as much of it as the server reads and writes: a query's header
/// and question, replies with A and PTR records, error replies. Parsing never traps and always
/// ends: every read is bounds-checked and compression pointers must point strictly backwards.
enum DNSMessage {
    static let headerSize = 12
    /// The TTL of local answers (Docker's embedded DNS uses 600 too).
    static let ttl: UInt32 = 600
    /// The largest reply to a UDP query without EDNS.
    static let udpLimit = 512

    enum RecordType {
        static let a: UInt16 = 1
        static let ptr: UInt16 = 12
        static let aaaa: UInt16 = 28
        static let any: UInt16 = 255
    }

    static let classIN: UInt16 = 1

    enum ResponseCode: UInt8 {
        case noError = 0
        case formatError = 1
        case serverFailure = 2
        case notImplemented = 4
        case refused = 5
    }

    /// A question: the name as its labels (case kept, for echoing it back), type and class.
    struct Question: Equatable {
        var labels: [[UInt8]]
        var type: UInt16
        var qclass: UInt16

        /// The name lowercased and dotted, without the final dot (`""` for the root); nil when a
        /// label holds a dot or a byte that is not printable ASCII (such names are never local).
        var name: String? {
            var out: [UInt8] = []
            for (i, label) in labels.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ".")) }
                for byte in label {
                    guard byte > 0x20, byte < 0x7F, byte != UInt8(ascii: ".") else { return nil }
                    out.append(lowercased(byte))
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Same name (ASCII case-insensitive), type and class.
        func matches(_ other: Question) -> Bool {
            type == other.type && qclass == other.qclass && labels.count == other.labels.count
                && zip(labels, other.labels).allSatisfy { a, b in
                    a.count == b.count && zip(a, b).allSatisfy { lowercased($0) == lowercased($1) }
                }
        }

        /// The question section as written in replies (the name uncompressed).
        var encoded: [UInt8] {
            var out = DNSMessage.encode(labels: labels)
            append16(&out, type)
            append16(&out, qclass)
            return out
        }
    }

    /// What a received query is.
    enum Query: Equatable {
        /// No header, or not a query (a response): no reply at all.
        case drop
        /// A header but no usable question: answered with `code` and no question.
        case reject(id: UInt16, flags: UInt16, code: ResponseCode)
        case question(id: UInt16, flags: UInt16, Question)
    }

    static func parseQuery(_ bytes: [UInt8]) -> Query {
        guard bytes.count >= headerSize else { return .drop }
        let id = read16(bytes, 0)
        let flags = read16(bytes, 2)
        guard flags & 0x8000 == 0 else { return .drop }
        guard (flags >> 11) & 0xF == 0 else { return .reject(id: id, flags: flags, code: .notImplemented) }
        guard read16(bytes, 4) == 1, let question = question(in: bytes) else {
            return .reject(id: id, flags: flags, code: .formatError)
        }
        return .question(id: id, flags: flags, question)
    }

    /// The first question of a message, if it is well formed.
    static func question(in bytes: [UInt8]) -> Question? {
        guard bytes.count >= headerSize, let (labels, end) = readName(bytes, at: headerSize),
              end + 4 <= bytes.count else { return nil }
        return Question(labels: labels, type: read16(bytes, end), qclass: read16(bytes, end + 2))
    }

    /// Reads the name at `offset`; returns its labels and the offset after it. Pointers must point
    /// into the message body, strictly before the part of the name that led to them, so every
    /// jump goes backwards and reading ends; the name may not exceed 255 bytes (RFC 1035 2.3.4).
    static func readName(_ bytes: [UInt8], at offset: Int) -> (labels: [[UInt8]], end: Int)? {
        var labels: [[UInt8]] = []
        var position = offset
        var lowest = offset
        var end: Int?
        var length = 1
        while position < bytes.count {
            let byte = Int(bytes[position])
            switch byte & 0xC0 {
            case 0x00:
                if byte == 0 { return (labels, end ?? position + 1) }
                length += byte + 1
                guard length <= 255, position + 1 + byte <= bytes.count else { return nil }
                labels.append(Array(bytes[(position + 1)..<(position + 1 + byte)]))
                position += 1 + byte
            case 0xC0:
                guard position + 1 < bytes.count else { return nil }
                let target = (byte & 0x3F) << 8 | Int(bytes[position + 1])
                guard target >= headerSize, target < lowest else { return nil }
                if end == nil { end = position + 2 }
                lowest = target
                position = target
            default:
                return nil   // 0x40 extended and 0x80 reserved label types
            }
        }
        return nil
    }

    /// A name as labels; nil unless every label is 1-63 bytes and the whole at most 255.
    static func labels(of name: String) -> [[UInt8]]? {
        var trimmed = Substring(name)
        if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
        if trimmed.isEmpty { return [] }
        let labels = trimmed.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map(Array.init)
        guard labels.allSatisfy({ (1...63).contains($0.count) }),
              labels.reduce(1, { $0 + $1.count + 1 }) <= 255 else { return nil }
        return labels
    }

    static func encode(labels: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for label in labels {
            out.append(UInt8(label.count))
            out += label
        }
        out.append(0)
        return out
    }

    /// A record of a local answer; its owner is always the question's name.
    enum Record {
        case a(IPv4Address)
        case ptr([[UInt8]])

        /// The record, its owner a pointer to the question's name (offset 12).
        var encoded: [UInt8] {
            var out: [UInt8] = [0xC0, UInt8(headerSize)]
            let rdata: [UInt8]
            switch self {
            case .a(let address):
                append16(&out, RecordType.a)
                rdata = address.bytes
            case .ptr(let labels):
                append16(&out, RecordType.ptr)
                rdata = encode(labels: labels)
            }
            append16(&out, classIN)
            append16(&out, UInt16(ttl >> 16))
            append16(&out, UInt16(ttl & 0xFFFF))
            append16(&out, UInt16(rdata.count))
            return out + rdata
        }
    }

    /// Header flags of a reply as Docker sets them: QR, the query's opcode, RD and CD copied,
    /// RA set, not authoritative.
    static func replyFlags(query flags: UInt16, code: ResponseCode, truncated: Bool = false) -> UInt16 {
        0x8000 | (flags & 0x7800) | (flags & 0x0100) | 0x0080 | (flags & 0x0010)
            | (truncated ? 0x0200 : 0) | UInt16(code.rawValue)
    }

    /// A reply to `question`: as many of `records` as fit in `limit` bytes (TC set if some did not).
    static func reply(id: UInt16, flags: UInt16, question: Question, code: ResponseCode = .noError,
                      records: [Record] = [], limit: Int = 65535) -> [UInt8] {
        var body = question.encoded
        var count: UInt16 = 0
        var truncated = false
        for record in records {
            let encoded = record.encoded
            guard headerSize + body.count + encoded.count <= limit else {
                truncated = true
                break
            }
            body += encoded
            count += 1
        }
        var out = header(id: id, flags: replyFlags(query: flags, code: code, truncated: truncated),
                         questions: 1, answers: count)
        out += body
        return out
    }

    /// A reply without a question (to a query whose question could not be read).
    static func reject(id: UInt16, flags: UInt16, code: ResponseCode) -> [UInt8] {
        header(id: id, flags: replyFlags(query: flags, code: code), questions: 0, answers: 0)
    }

    static func header(id: UInt16, flags: UInt16, questions: UInt16, answers: UInt16) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        for field in [id, flags, questions, answers, 0, 0] { append16(&out, field) }
        return out
    }

    static func read16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    static func write16(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt16) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
    }

    static func append16(_ bytes: inout [UInt8], _ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}
