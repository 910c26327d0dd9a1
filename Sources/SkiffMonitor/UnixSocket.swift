import Glibc

/// Stream unix sockets: the monitor's listener and the engine's connections.
public enum UnixSocket {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    private static func address(_ path: String) throws(Failure) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw Failure(description: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return addr
    }

    /// A listening socket at `path` (replacing a stale file), close-on-exec.
    public static func listen(_ path: String, mode: mode_t = 0o600) throws(Failure) -> Int32 {
        var addr = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        unlink(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0, chmod(path, mode) == 0, Glibc.listen(fd, 64) == 0 else {
            let e = errno
            close(fd)
            throw Failure(description: "listen on \(path): \(String(cString: strerror(e)))")
        }
        return fd
    }

    /// A connection to `path`, close-on-exec.
    public static func connect(_ path: String) throws(Failure) -> Int32 {
        var addr = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw Failure(description: "connect to \(path): \(String(cString: strerror(e)))")
        }
        return fd
    }

    /// Writes all of `bytes`; false when the peer is gone.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&pfd, 1, 1000)
                    continue
                }
                return false
            }
            offset += n
        }
        return true
    }

    /// Reads one line (without the newline), byte by byte so that nothing
    /// after it is consumed. nil at EOF before a newline.
    public static func readLine(_ fd: Int32, max: Int = 1 << 20) -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < max {
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
        return nil
    }
}

extension UnixSocket {
    /// Accepts a connection, close-on-exec.
    public static func accept(_ listener: Int32) -> Int32 {
        let fd = Glibc.accept(listener, nil, nil)
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fd
    }
}
