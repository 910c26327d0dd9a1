/// One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1): `Bearer
/// realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"`
/// or `Basic realm="Registry Realm"`.
public struct AuthChallenge: Sendable, Equatable {
    /// Lowercased: `bearer`, `basic`.
    public var scheme: String
    /// Parameter names lowercased, values unquoted.
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    public var scope: String? { parameters["scope"] }

    /// Every challenge of one header value (several may share a header, separated by commas).
    public static func parse(_ header: String) -> [AuthChallenge] {
        var challenges: [AuthChallenge] = []
        var scanner = Scanner(Array(header.utf8))
        while true {
            scanner.skip { $0 == 0x20 || $0 == 0x09 || $0 == 0x2C }
            guard let scheme = scanner.token(), !scheme.isEmpty else { break }
            var challenge = AuthChallenge(scheme: scheme.lowercased(), parameters: [:])
            // Parameters: name=value or name="quoted", separated by commas.
            while true {
                let mark = scanner.position
                scanner.skip { $0 == 0x20 || $0 == 0x09 || $0 == 0x2C }
                guard let name = scanner.token(), !name.isEmpty else { scanner.position = mark; break }
                scanner.skip { $0 == 0x20 || $0 == 0x09 }
                guard scanner.peek == 0x3D else {
                    // Not a parameter: the next challenge's scheme (or a token68, ignored).
                    scanner.position = mark
                    break
                }
                scanner.position += 1
                scanner.skip { $0 == 0x20 || $0 == 0x09 }
                let value = scanner.peek == 0x22 ? scanner.quoted() : (scanner.token() ?? "")
                challenge.parameters[name.lowercased()] = value
            }
            challenges.append(challenge)
        }
        return challenges
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skip(_ predicate: (UInt8) -> Bool) {
            while let b = peek, predicate(b) { position += 1 }
        }

        /// A token (RFC 9110 tchar), plus `/`, `:` and `=`-free token68 characters.
        mutating func token() -> String? {
            let start = position
            while let b = peek, b > 0x20, b != 0x2C, b != 0x3D, b != 0x22, b != 0x7F { position += 1 }
            return position > start ? String(decoding: bytes[start..<position], as: UTF8.self) : nil
        }

        mutating func quoted() -> String {
            position += 1
            var out: [UInt8] = []
            while let b = peek {
                position += 1
                if b == 0x22 { break }
                if b == 0x5C, let next = peek {
                    out.append(next)
                    position += 1
                    continue
                }
                out.append(b)
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
