import CCrypt
import FoundationEssentials
import Glibc
import SkiffHTTP
import SkiffImage
import SkiffOCI
import Synchronization

/// Who may do what: htpasswd users (basic auth), anonymous pulls, read-only.
///
/// With `htpasswd` set, a request needs a known user and the right password,
/// except GET and HEAD when `anonymousPull` is on (the `/v2/` check always
/// asks for credentials, so clients learn to send them: skopeo and podman
/// then send empty ones when they have none, which count as anonymous).
/// `readOnly` refuses every write, after the credentials are checked (as
/// distribution's maintenance mode does: 405 UNSUPPORTED).
public struct AccessPolicy: Sendable {
    public var htpasswd: Htpasswd?
    public var anonymousPull: Bool
    public var readOnly: Bool

    public init(htpasswd: Htpasswd? = nil, anonymousPull: Bool = false, readOnly: Bool = false) {
        self.htpasswd = htpasswd
        self.anonymousPull = anonymousPull
        self.readOnly = readOnly
    }

    public static let realm = "skiff-registry"

    /// The challenge sent with every 401.
    public static let challenge = "Basic realm=\"\(realm)\""

    /// Throws UNAUTHORIZED (401) or UNSUPPORTED (405) when the request may not proceed.
    func check(method: String, isBaseCheck: Bool, authorization: String?) throws(RegistryError) {
        let isRead = method == "GET" || method == "HEAD"
        if let htpasswd {
            switch BasicCredentials(authorization) {
            case .none:
                guard anonymousPull, isRead, !isBaseCheck else { throw RegistryError(.unauthorized) }
            case .malformed:
                throw RegistryError(.unauthorized, detail: "malformed Authorization header (expected Basic credentials)")
            case .user(let user, let password):
                guard htpasswd.verify(user: user, password: password) else {
                    throw RegistryError(.unauthorized, detail: "invalid username or password")
                }
            }
        }
        if readOnly, !isRead {
            throw RegistryError(.unsupported, detail: "the registry is read-only")
        }
    }
}

/// An `Authorization` header, read as Basic credentials.
enum BasicCredentials: Equatable {
    /// No header, or empty user and password (what containers/image sends when it has none).
    case none
    case malformed
    case user(String, password: String)

    init(_ header: String?) {
        guard let header else { self = .none; return }
        let trimmed = header.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " "), trimmed[..<space].lowercased() == "basic" else {
            self = .malformed
            return
        }
        let encoded = trimmed[space...].drop { $0 == " " }.prefix { $0 != " " }
        guard let data = Data(base64Encoded: String(encoded)), let text = String(validating: Array(data), as: UTF8.self),
              let colon = text.firstIndex(of: ":") else {
            self = .malformed
            return
        }
        let user = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        self = user.isEmpty && password.isEmpty ? .none : .user(user, password: password)
    }
}

/// An error in the server's configuration (an htpasswd file, TLS files).
public struct RegistryConfigError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Users from an Apache htpasswd file (`user:hash` lines). Only bcrypt
/// entries (`$2y$`, `$2b$`, `$2a$`: `htpasswd -B`) are accepted, as
/// distribution accepts; others are skipped with a warning. Hashes are
/// checked with libxcrypt's crypt_r. The file is read again when its
/// modification time changes; successful checks are remembered (by a
/// SHA-256 of user, password and hash) so bcrypt runs once per credential.
public final class Htpasswd: Sendable {
    public let path: String
    private let log: ServerLogger
    private struct State {
        var users: [String: String] = [:]
        var modified = timespec()
        var size: Int = -1
        var verified: Set<String> = []
    }
    private let state = Mutex(State())

    public init(path: String, log: ServerLogger = ServerLogger()) throws(RegistryConfigError) {
        self.path = path
        self.log = log
        try reloadIfChanged(force: true)
        if state.withLock({ $0.users.isEmpty }) {
            throw RegistryConfigError("\(path): no bcrypt users (make them with htpasswd -B)")
        }
    }

    /// The users with a usable entry.
    public var users: [String] { state.withLock { $0.users.keys.sorted() } }

    /// Whether `password` is `user`'s.
    public func verify(user: String, password: String) -> Bool {
        try? reloadIfChanged(force: false)
        let hash = state.withLock { $0.users[user] }
        guard let hash else {
            // The same work for an unknown user as for a known one.
            if let any = state.withLock({ $0.users.values.first }) { _ = Self.crypt(password, setting: any) }
            return false
        }
        let key = Digest.sha256(of: Array("\(user)\u{0}\(password)\u{0}\(hash)".utf8)).encoded
        if state.withLock({ $0.verified.contains(key) }) { return true }
        guard let computed = Self.crypt(password, setting: hash), Self.constantTimeEqual(computed, hash) else { return false }
        state.withLock {
            if $0.verified.count >= 4096 { $0.verified.removeAll() }
            $0.verified.insert(key)
        }
        return true
    }

    private func reloadIfChanged(force: Bool) throws(RegistryConfigError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw RegistryConfigError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let unchanged = state.withLock {
            $0.modified.tv_sec == info.st_mtim.tv_sec && $0.modified.tv_nsec == info.st_mtim.tv_nsec && $0.size == Int(info.st_size)
        }
        if unchanged && !force { return }
        guard let text = Self.read(path) else {
            throw RegistryConfigError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        var users: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                log.warning("\(path):\(number + 1): not user:hash, skipped")
                continue
            }
            let user = String(line[..<colon])
            let hash = String(line[line.index(after: colon)...])
            guard ["$2y$", "$2b$", "$2a$"].contains(where: { hash.hasPrefix($0) }) else {
                log.warning("\(path):\(number + 1): user \(user) has no bcrypt hash (use htpasswd -B), skipped")
                continue
            }
            users[user] = hash
        }
        state.withLock {
            $0.users = users
            $0.modified = info.st_mtim
            $0.size = Int(info.st_size)
            $0.verified.removeAll()
        }
    }

    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
            if bytes.count > 16 << 20 { return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// crypt_r(3) of `password` with `setting` (a full hash: its method, cost and salt); nil on failure.
    static func crypt(_ password: String, setting: String) -> String? {
        guard !password.utf8.contains(0) else { return nil }
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer { data.deallocate() }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let result = crypt_r(password, setting, data) else { return nil }
        let text = String(cString: result)
        // libxcrypt's failure token starts with '*'.
        return text.hasPrefix("*") ? nil : text
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
