import Glibc
import Synchronization

/// What the engine answers for a name on a network.
public enum DNSAnswer: Sendable, Equatable {
    /// The name is local: A records for an A query (a name shared by several containers has
    /// several; their order rotates from reply to reply); other types get an empty NOERROR.
    case addresses([IPv4Address])
    /// The PTR answer for a reverse name (`2.0.18.172.in-addr.arpa`); other types get an empty NOERROR.
    case pointer(String)
    /// Not a local name: ask the upstream resolvers.
    case forward
}

/// A server that could not start: what failed and why.
public struct DNSError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The embedded DNS server of one network: answers the engine's names on one address (UDP and
/// TCP), forwards the rest to upstream resolvers. It serves on a thread of its own with one poll
/// loop and never blocks on an upstream. Several run at once, one per network gateway.
public final class DNSServer: Sendable {
    public let address: IPv4Address
    /// The bound port (what `port: 0` picked).
    public let port: UInt16

    private struct Running: Sendable {
        var thread: pthread_t
        var wake: Int32
    }
    private let running: Mutex<Running?>

    /// Binds `address:port` for UDP and TCP (port 0 picks a free one for both) and starts serving.
    /// - upstreams: tried in order, each for `timeout`; a SERVFAIL or REFUSED answer also moves on.
    ///   The server's own address is left out. None: forwarded queries get SERVFAIL.
    /// - lookup: `(name, type, client)`, `name` lowercased without the final dot, `type` the query type
    ///   (1 A, 28 AAAA, 12 PTR, ...), `client` the asking address (whose networks' names to use). Called on the server's thread for every query of class IN:
    ///   it must be quick and never block (read a snapshot).
    public init(address: IPv4Address, port: UInt16 = 53, upstreams: [DNSUpstream],
                timeout: Duration = .seconds(2),
                lookup: @escaping @Sendable (_ name: String, _ type: UInt16, _ client: IPv4Address) -> DNSAnswer) throws(DNSError) {
        let (udp, tcp, bound) = try Self.bind(address, port)
        // `stop` wakes the loop through a socket pair (Glibc's module has no pipe2).
        var wakeFDs: [Int32] = [-1, -1]
        let pairType = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, pairType, 0, &wakeFDs) == 0 else {
            let e = errno
            close(udp)
            close(tcp)
            throw DNSError(description: "dns server \(address):\(bound): socketpair: \(Sockets.errorText(e))")
        }
        let (seconds, attoseconds) = timeout.components
        let loop = ServerLoop(
            udp: udp, listener: tcp, wake: wakeFDs[0],
            upstreams: upstreams.filter { $0 != DNSUpstream(address: address, port: bound) },
            timeout: seconds * 1_000_000_000 + attoseconds / 1_000_000_000,
            lookup: lookup)
        let box = Unmanaged.passRetained(loop)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            Unmanaged<ServerLoop>.fromOpaque(arg!).takeRetainedValue().run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            for fd in [udp, tcp, wakeFDs[0], wakeFDs[1]] { close(fd) }
            throw DNSError(description: "dns server \(address):\(bound): pthread_create: \(Sockets.errorText(rc))")
        }
        self.address = address
        self.port = bound
        running = Mutex(Running(thread: thread, wake: wakeFDs[1]))
    }

    /// Stops serving: the sockets are closed (the port is free again) when this returns.
    /// Idempotent; also done when the server is released.
    public func stop() {
        guard let run = running.withLock({ state -> Running? in
            defer { state = nil }
            return state
        }) else { return }
        var byte: UInt8 = 1
        _ = write(run.wake, &byte, 1)
        if pthread_equal(pthread_self(), run.thread) != 0 {
            pthread_detach(run.thread)   // called from `lookup`: the loop ends after this query
        } else {
            pthread_join(run.thread, nil)
        }
        close(run.wake)
    }

    deinit {
        stop()
    }

    /// UDP and TCP sockets on the same address and port.
    private static func bind(_ address: IPv4Address, _ port: UInt16) throws(DNSError) -> (udp: Int32, tcp: Int32, port: UInt16) {
        var attempts = 0
        while true {
            attempts += 1
            let udp = Sockets.open(SOCK_DGRAM)
            guard udp >= 0 else { throw DNSError(description: "dns server \(address):\(port): socket: \(Sockets.errorText(errno))") }
            guard Sockets.bind(udp, Sockets.address(address, port)), let bound = Sockets.boundPort(udp) else {
                let e = errno
                close(udp)
                throw DNSError(description: "dns server \(address):\(port): bind udp: \(Sockets.errorText(e))")
            }
            // Room for bursts from many containers (the kernel caps it at net.core.rmem_max).
            Sockets.setOption(udp, SOL_SOCKET, SO_RCVBUF, 1 << 20)
            let tcp = Sockets.open(SOCK_STREAM)
            guard tcp >= 0 else {
                let e = errno
                close(udp)
                throw DNSError(description: "dns server \(address):\(bound): socket: \(Sockets.errorText(e))")
            }
            Sockets.setOption(tcp, SOL_SOCKET, SO_REUSEADDR, 1)
            if Sockets.bind(tcp, Sockets.address(address, bound)) && listen(tcp, 64) == 0 {
                return (udp, tcp, bound)
            }
            let e = errno
            close(udp)
            close(tcp)
            // A free UDP port may be taken for TCP: pick another one when the caller let us.
            guard port == 0, e == EADDRINUSE, attempts < 32 else {
                throw DNSError(description: "dns server \(address):\(bound): bind tcp: \(Sockets.errorText(e))")
            }
        }
    }
}
