import Glibc

/// A connected stream socket with a read buffer; closed on deinit.
final class Socket {
    let fd: Int32
    /// Bytes read from the socket but not consumed yet.
    var buffer: [UInt8] = []
    var bufferStart = 0

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Connects to the daemon; a refused or missing endpoint is a `ConnectionError`.
    static func connect(to address: DaemonAddress) throws -> Socket {
        switch address {
        case .unix(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SystemError("socket") }
            let sock = Socket(fd: fd)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
                throw CLIError("socket path too long: \(path)")
            }
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard rc == 0 else { throw ConnectionError(host: address.description, errno: errno) }
            return sock
        case .tcp(let host, let port):
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
                throw ConnectionError(host: address.description, errno: ENOENT)
            }
            defer { freeaddrinfo(list) }
            var lastErrno = ECONNREFUSED
            var ai: UnsafeMutablePointer<addrinfo>? = first
            while let a = ai {
                let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
                if fd >= 0 {
                    let sock = Socket(fd: fd)
                    if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 {
                        var one: Int32 = 1
                        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                        return sock
                    }
                    lastErrno = errno
                }
                ai = a.pointee.ai_next
            }
            throw ConnectionError(host: address.description, errno: lastErrno)
        }
    }

    /// Writes all of `bytes`; never raises SIGPIPE.
    func send(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write to daemon")
            }
            offset += n
        }
    }

    func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try send($0) }
    }

    /// Reads what is available into the buffer; false at end of stream.
    func fill() throws -> Bool {
        if bufferStart > 0 {
            buffer.removeFirst(bufferStart)
            bufferStart = 0
        }
        let chunk = 65536
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + old, chunk) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                buffer.removeLast(chunk)
                throw SystemError("read from daemon", errno: e)
            }
            buffer.removeLast(chunk - n)
            return n > 0
        }
    }

    var buffered: Int { buffer.count - bufferStart }

    /// Takes up to `max` buffered bytes (filling once if none are buffered); empty at end of stream.
    func read(max: Int = Int.max) throws -> ArraySlice<UInt8> {
        if buffered == 0, try !fill() { return [] }
        let n = Swift.min(max, buffered)
        let slice = buffer[bufferStart..<bufferStart + n]
        bufferStart += n
        return slice
    }

    /// Takes bytes up to and including CRLF; nil at end of stream.
    func readLine() throws -> [UInt8]? {
        var scanned = 0  // bytes after bufferStart known to hold no complete CRLF
        while true {
            var i = bufferStart + scanned
            while i + 1 < buffer.count {
                if buffer[i] == 0x0D && buffer[i + 1] == 0x0A {
                    let line = Array(buffer[bufferStart..<i])
                    bufferStart = i + 2
                    return line
                }
                i += 1
            }
            scanned = Swift.max(0, buffered - 1)
            if try !fill() { return nil }
        }
    }

    /// Stops sending; the peer sees end of stream and can still answer.
    func closeWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }
}
