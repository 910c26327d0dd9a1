/// Where the daemon listens: a unix socket path or a TCP host and port, written as
/// docker writes hosts (`unix:///run/skiff/skiff.sock`, `tcp://127.0.0.1:2375`).
public enum DaemonAddress: Equatable, Sendable, CustomStringConvertible {
    case unix(String)
    case tcp(host: String, port: UInt16)

    /// The daemon's default socket.
    public static let defaultSocket = "/run/skiff/skiff.sock"

    public static let `default` = DaemonAddress.unix(defaultSocket)

    /// Parses `unix:///path`, `tcp://host[:port]` (port 2375 by default) or `host:port`.
    public init(parsing text: String) throws(CLIError) {
        if text.hasPrefix("unix://") {
            let path = String(text.dropFirst("unix://".count))
            self = .unix(path.isEmpty ? DaemonAddress.defaultSocket : path)
            return
        }
        var rest = Substring(text)
        if text.hasPrefix("tcp://") {
            rest = rest.dropFirst("tcp://".count)
        } else if text.contains("://") {
            throw CLIError("Invalid bind address format: \(text)")
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        var host = rest
        var port: UInt16 = 2375
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw CLIError("Invalid bind address format: \(text)") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = UInt16(after.dropFirst()) else { throw CLIError("Invalid bind address format: \(text)") }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let p = UInt16(rest[rest.index(after: colon)...]) else {
                throw CLIError("Invalid bind address format: \(text)")
            }
            port = p
        }
        self = .tcp(host: host.isEmpty ? "127.0.0.1" : String(host), port: port)
    }

    public var description: String {
        switch self {
        case .unix(let path): return "unix://" + path
        case .tcp(let host, let port):
            return "tcp://" + (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        }
    }
}
