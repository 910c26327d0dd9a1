import Glibc

/// rtnetlink, as much as a bridge network needs: links, addresses, routes.
/// One socket per network namespace; requests are answered in order, each
/// acknowledged (or refused with an errno) by the kernel.
struct Netlink: ~Copyable {
    let fd: Int32
    private var sequence: UInt32 = 0

    /// A routing socket in the calling thread's network namespace.
    init() throws(NetworkError) {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        guard fd >= 0 else { throw .system("socket(AF_NETLINK)") }
        self.init(fd: fd)
    }

    /// Takes ownership of an open NETLINK_ROUTE socket.
    init(fd: Int32) {
        self.fd = fd
        var size: Int32 = 1 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    // MARK: Requests

    /// Sends one request and waits for its acknowledgement; returns what came before it.
    @discardableResult
    mutating func request(_ message: NetlinkMessage, _ step: @autoclosure () -> String) throws(NetworkError) -> [NetlinkReply] {
        try exchange(message, flags: NetlinkMessage.ack, step)
    }

    /// Sends a dump request and returns every message of the answer.
    mutating func dump(_ message: NetlinkMessage, _ step: @autoclosure () -> String) throws(NetworkError) -> [NetlinkReply] {
        try exchange(message, flags: NetlinkMessage.dump, step)
    }

    private mutating func exchange(_ message: NetlinkMessage, flags: UInt16, _ step: () -> String) throws(NetworkError) -> [NetlinkReply] {
        sequence &+= 1
        let bytes = message.encoded(sequence: sequence, flags: flags)
        let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw .system(step()) }
        var replies: [NetlinkReply] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(step())
            }
            var offset = 0
            while offset + 16 <= n {
                let length = Int(buffer.u32(offset))
                let type = buffer.u16(offset + 4)
                let seq = buffer.u32(offset + 8)
                guard length >= 16, offset + length <= n else { break }
                defer { offset += (length + 3) & ~3 }
                guard seq == sequence else { continue }
                switch type {
                case 2: // NLMSG_ERROR: 0 is the acknowledgement
                    let code = Int32(bitPattern: buffer.u32(offset + 16))
                    if code == 0 { return replies }
                    throw .system(step(), errno: -code)
                case 3: // NLMSG_DONE
                    return replies
                default:
                    replies.append(NetlinkReply(type: type, payload: Array(buffer[(offset + 16)..<(offset + length)])))
                }
            }
        }
    }
}

/// An rtnetlink request: a fixed header (ifinfomsg, ifaddrmsg, rtmsg) and attributes.
struct NetlinkMessage {
    static let ack: UInt16 = 0x1 | 0x4             // NLM_F_REQUEST | NLM_F_ACK
    static let dump: UInt16 = 0x1 | 0x300          // NLM_F_REQUEST | NLM_F_DUMP
    static let create: UInt16 = 0x400 | 0x200      // NLM_F_CREATE | NLM_F_EXCL

    var type: UInt16
    var flags: UInt16 = 0
    var header: [UInt8]
    var attributes = NetlinkAttributes()

    func encoded(sequence: UInt32, flags extra: UInt16) -> [UInt8] {
        let body = header + attributes.bytes
        var out: [UInt8] = []
        out.reserveCapacity(16 + body.count)
        out.append(u32: UInt32(16 + body.count))
        out.append(u16: type)
        out.append(u16: flags | extra)
        out.append(u32: sequence)
        out.append(u32: 0)
        return out + body
    }

    /// struct ifinfomsg.
    static func link(_ type: UInt16, family: UInt8 = 0, index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) -> NetlinkMessage {
        NetlinkMessage(type: type, header: ifinfo(family: family, index: index, flags: flags, change: change))
    }

    static func ifinfo(family: UInt8 = 0, index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
        var h: [UInt8] = [family, 0]
        h.append(u16: 0)
        h.append(u32: UInt32(bitPattern: index))
        h.append(u32: flags)
        h.append(u32: change)
        return h
    }
}

/// rtattr TLVs, nested where asked.
struct NetlinkAttributes {
    var bytes: [UInt8] = []

    mutating func add(_ type: UInt16, _ payload: [UInt8]) {
        bytes.append(u16: UInt16(4 + payload.count))
        bytes.append(u16: type)
        bytes += payload
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    mutating func add(_ type: UInt16, string: String) { add(type, Array(string.utf8) + [0]) }

    mutating func add(_ type: UInt16, u32 value: UInt32) {
        var payload: [UInt8] = []
        payload.append(u32: value)
        add(type, payload)
    }

    mutating func add(_ type: UInt16, u8 value: UInt8) { add(type, [value]) }

    mutating func nest(_ type: UInt16, _ build: (inout NetlinkAttributes) -> Void) {
        var inner = NetlinkAttributes()
        build(&inner)
        add(type | 0x8000 /* NLA_F_NESTED */, inner.bytes)
    }

    /// Parses a run of attributes (type → payload; later duplicates win).
    static func parse(_ bytes: ArraySlice<UInt8>) -> [UInt16: ArraySlice<UInt8>] {
        var result: [UInt16: ArraySlice<UInt8>] = [:]
        var offset = bytes.startIndex
        while offset + 4 <= bytes.endIndex {
            let length = Int(UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8)
            let type = (UInt16(bytes[offset + 2]) | UInt16(bytes[offset + 3]) << 8) & 0x3fff
            guard length >= 4, offset + length <= bytes.endIndex else { break }
            result[type] = bytes[(offset + 4)..<(offset + length)]
            offset += (length + 3) & ~3
        }
        return result
    }
}

/// One message of a dump.
struct NetlinkReply {
    var type: UInt16
    var payload: [UInt8]
}

extension [UInt8] {
    mutating func append(u16 value: UInt16) {
        append(UInt8(value & 0xff))
        append(UInt8(value >> 8))
    }

    mutating func append(u32 value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(value >> UInt32(shift) & 0xff)) }
    }

    func u16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }

    func u32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }
}
