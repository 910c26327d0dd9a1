import Glibc

/// Non-blocking, close-on-exec IPv4 sockets.
enum Sockets {
    static func address(_ ip: IPv4Address, _ port: UInt16) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr = in_addr(s_addr: ip.value.bigEndian)
        return addr
    }

    static func open(_ type: __socket_type) -> Int32 {
        socket(AF_INET, Int32(type.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }

    /// accept4(2): the connection non-blocking and close-on-exec from the start (no window in
    /// which a process the daemon spawns could inherit it). Glibc's module does not declare it.
    /// Returns the connection and its peer's address.
    static func accept(_ listener: Int32) -> (fd: Int32, peer: IPv4Address) {
        var addr = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                accept4(listener, $0, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            }
        }
        return (fd, IPv4Address(value: UInt32(bigEndian: addr.sin_addr.s_addr)))
    }

    private typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32
    private static let accept4: Accept4 = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "accept4") else { fatalError("accept4 missing from libc") }
        return unsafeBitCast(symbol, to: Accept4.self)
    }()

    static func withSockaddr<R>(_ addr: sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var addr = addr
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    static func bind(_ fd: Int32, _ addr: sockaddr_in) -> Bool {
        withSockaddr(addr) { Glibc.bind(fd, $0, $1) } == 0
    }

    /// Starts a connect; true when it is done or under way.
    static func connect(_ fd: Int32, _ addr: sockaddr_in) -> Bool {
        withSockaddr(addr) { Glibc.connect(fd, $0, $1) } == 0 || errno == EINPROGRESS
    }

    /// The port a socket is bound to.
    static func boundPort(_ fd: Int32) -> UInt16? {
        var addr = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return rc == 0 ? UInt16(bigEndian: addr.sin_port) : nil
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The pending error of a socket (a finished non-blocking connect).
    static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) == 0 ? value : errno
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Monotonic nanoseconds.
    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
