// Image references as Docker parses and shows them: github.com/distribution/reference
// (reference.go `Parse`, normalize.go `ParseNormalizedNamed`, `FamiliarString`,
// `TagNameOnly`) and go-digest's validation of a reference's digest, as the
// docker CLI and daemon (v28) use them.
//
//     reference        := name [ ":" tag ] [ "@" digest ]
//     name             := [domain '/'] remote-name
//     domain           := host [':' port-number]
//     host             := domain-name | '[' IPv6address ']'
//     domain-name      := domain-component ['.' domain-component]*
//     domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//     port-number      := /[0-9]+/
//     remote-name      := path-component ['/' path-component]*
//     path-component   := /[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*/
//     tag              := /[\w][\w.-]{0,127}/
//     digest           := /[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}/
//
// Normalisation (`splitDockerDomain`): the part before the first '/' is a registry
// when it is `localhost`, contains '.' or ':', or has an uppercase letter (no
// repository path may); otherwise the registry is `docker.io`. `index.docker.io`
// becomes `docker.io`, and a one-component Docker Hub name gets `library/`.

/// A normalised image reference: `registry/repository[:tag][@digest]`.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// The registry host[:port] (`docker.io`, `localhost:5000`). Empty only for
    /// one oddity Docker also accepts: a first component with '.' or ':' that is
    /// not a valid host but is a valid path component (`a_b.com/x`); such a
    /// reference names no registry and cannot be pulled.
    public let registry: String
    /// The repository path (`library/busybox`, `user/app`).
    public let repository: String
    /// The tag, when the reference has one (`withDefaultTag()` adds `latest`).
    public let tag: String?
    /// The digest, when the reference has one. A reference may have both.
    public let digest: Digest?

    public static let defaultRegistry = "docker.io"
    /// Docker Hub's old name, normalised to `defaultRegistry`.
    public static let legacyDefaultRegistry = "index.docker.io"
    /// The namespace of Docker Hub's official images, hidden in familiar names.
    public static let officialRepositoryPrefix = "library/"
    public static let defaultTag = "latest"
    /// The longest repository path (`RepositoryNameTotalLengthMax`).
    public static let maxRepositoryLength = 255

    /// Parses and normalises a reference as `docker pull` does (`ParseNormalizedNamed`):
    /// `busybox` → `docker.io/library/busybox`; a missing tag stays missing (see
    /// `withDefaultTag()`); `name:tag@digest` keeps both.
    public init(_ string: String) throws(ImageReferenceError) {
        if Self.isHexIdentifier(string) {
            throw ImageReferenceError(input: string, reason: .hexadecimalName)
        }
        let (domain, remainder) = Self.splitDockerDomain(string)
        let remote = remainder.firstIndex(of: ":").map { remainder[..<$0] } ?? remainder[...]
        if remote.lowercased() != remote {
            throw ImageReferenceError(input: string, reason: .uppercase(repository: String(remote)))
        }
        let normalized = domain + "/" + remainder
        let parts: Parts
        switch Self.match(normalized) {
        case .success(let matched):
            parts = matched
        case .failure(let failure):
            // reference.go Parse: it matches once lowercased, so case is what is wrong.
            let lowered = normalized.lowercased()
            if lowered != normalized, case .success = Self.match(lowered) {
                throw ImageReferenceError(input: string, reason: .uppercase(repository: nil))
            }
            throw ImageReferenceError(input: string, reason: string.isEmpty ? .invalidFormat("the reference is empty") : failure.reason)
        }
        if parts.path.utf8.count > Self.maxRepositoryLength {
            throw ImageReferenceError(input: string, reason: .nameTooLong(length: parts.path.utf8.count))
        }
        var digest: Digest?
        if let text = parts.digest {
            do throws(ImageReferenceError.Reason) {
                digest = try Self.referenceDigest(text)
            } catch {
                throw ImageReferenceError(input: string, reason: error)
            }
        }
        self.registry = parts.domain
        self.repository = parts.path
        self.tag = parts.tag
        self.digest = digest
    }

    private init(registry: String, repository: String, tag: String?, digest: Digest?) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    // MARK: forms

    /// `registry/repository` (`docker.io/library/busybox`): Docker's `Name()`.
    public var name: String { registry.isEmpty ? repository : "\(registry)/\(repository)" }

    /// The whole normalised reference (`docker.io/library/busybox:latest`,
    /// `docker.io/library/busybox:1@sha256:...`): Docker's `String()`.
    public var fullName: String { name + suffix }

    /// The name as Docker shows it (`busybox`, `user/app`, `localhost:5000/a/b`):
    /// `docker.io/` dropped, and `library/` when nothing nests below it.
    public var familiarName: String {
        guard registry == Self.defaultRegistry else { return name }
        if repository.hasPrefix(Self.officialRepositoryPrefix) {
            let rest = repository.dropFirst(Self.officialRepositoryPrefix.count)
            if !rest.contains("/") { return String(rest) }
        }
        return repository
    }

    /// The reference as Docker shows it (`busybox:latest`, `user/app:latest`,
    /// `localhost:5000/a/b:tag`): `FamiliarString`.
    public var familiar: String { familiarName + suffix }

    public var description: String { fullName }

    private var suffix: String {
        var out = ""
        if let tag { out += ":" + tag }
        if let digest { out += "@" + digest.description }
        return out
    }

    /// Whether the registry is Docker Hub.
    public var isDockerHub: Bool { registry == Self.defaultRegistry }

    /// Neither tag nor digest.
    public var isNameOnly: Bool { tag == nil && digest == nil }

    // MARK: derived references

    /// `TagNameOnly`: adds the `latest` tag to a reference that has neither tag nor digest.
    public func withDefaultTag() -> ImageReference {
        isNameOnly ? ImageReference(registry: registry, repository: repository, tag: Self.defaultTag, digest: nil) : self
    }

    /// The same name with `tag` (replacing any tag; a digest stays).
    public func withTag(_ tag: String) throws(ImageReferenceError) -> ImageReference {
        guard Self.isTag(tag[...]) else {
            throw ImageReferenceError(input: tag, reason: .invalidTag)
        }
        return ImageReference(registry: registry, repository: repository, tag: tag, digest: digest)
    }

    /// The same name with `digest` (replacing any digest; a tag stays).
    public func withDigest(_ digest: Digest) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: tag, digest: digest)
    }

    /// Just the name: no tag, no digest.
    public var nameOnly: ImageReference {
        ImageReference(registry: registry, repository: repository, tag: nil, digest: nil)
    }

    // MARK: grammar

    /// Whether `s` is a valid tag: `[\w][\w.-]{0,127}`.
    public static func isValidTag(_ s: String) -> Bool { isTag(s[...]) }

    /// 64 lowercase hex digits: an image id, which may not be used as a name.
    static func isHexIdentifier(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy(isLowerHex)
    }

    /// normalize.go splitDockerDomain.
    static func splitDockerDomain(_ name: String) -> (domain: String, remainder: String) {
        guard let slash = name.firstIndex(of: "/") else {
            return (defaultRegistry, officialRepositoryPrefix + name)
        }
        let maybeDomain = String(name[..<slash])
        let maybeRemainder = String(name[name.index(after: slash)...])
        var domain: String
        var remainder: String
        if maybeDomain == "localhost" {
            (domain, remainder) = (maybeDomain, maybeRemainder)
        } else if maybeDomain == legacyDefaultRegistry {
            (domain, remainder) = (defaultRegistry, maybeRemainder)
        } else if maybeDomain.contains(".") || maybeDomain.contains(":") {
            (domain, remainder) = (maybeDomain, maybeRemainder)
        } else if maybeDomain.lowercased() != maybeDomain {
            (domain, remainder) = (maybeDomain, maybeRemainder)
        } else {
            (domain, remainder) = (defaultRegistry, name)
        }
        if domain == defaultRegistry && !remainder.contains("/") {
            remainder = officialRepositoryPrefix + remainder
        }
        return (domain, remainder)
    }

    struct Parts {
        var domain: String
        var path: String
        var tag: String?
        var digest: String?
    }

    struct MatchFailure: Error {
        var reason: ImageReferenceError.Reason
    }

    /// reference.go's ReferenceRegexp and anchoredNameRegexp, by hand. The name
    /// ends at the first '@'; a tag is what follows the last ':' when no '/'
    /// follows it; the first path component is the domain when it is a valid
    /// host[:port] (and something follows), else the whole name is the path.
    static func match(_ s: String) -> Result<Parts, MatchFailure> {
        func fail(_ detail: String) -> Result<Parts, MatchFailure> {
            .failure(MatchFailure(reason: .invalidFormat(detail)))
        }
        var nameAndTag = s[...]
        var digest: Substring?
        if let at = s.firstIndex(of: "@") {
            nameAndTag = s[..<at]
            let text = s[s.index(after: at)...]
            guard isReferenceDigest(text) else {
                return fail("digest \"\(text)\" is not algorithm:hex with at least 32 hex digits")
            }
            digest = text
        }
        var name = nameAndTag
        var tag: Substring?
        if let colon = nameAndTag.lastIndex(of: ":"), !nameAndTag[colon...].contains("/") {
            name = nameAndTag[..<colon]
            let text = nameAndTag[nameAndTag.index(after: colon)...]
            guard isTag(text) else {
                return fail(
                    "tag \"\(text)\" must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'")
            }
            tag = text
        }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        let first = components[0]
        let rest = components.dropFirst()
        var domain = ""
        var path = name
        if !rest.isEmpty && isDomainAndPort(first) && rest.allSatisfy(isPathComponent) {
            domain = String(first)
            path = name[name.index(after: first.endIndex)...]
        } else if !components.allSatisfy(isPathComponent) {
            if components.contains(where: \.isEmpty) {
                return fail("the repository name has an empty path component")
            }
            if !isDomainAndPort(first) && !isPathComponent(first) && first != defaultRegistry[...] {
                return fail("registry \"\(first)\" is not a valid host[:port]")
            }
            let bad = rest.first(where: { !isPathComponent($0) }) ?? first
            return fail(
                "repository path component \"\(bad)\" must be lowercase letters and digits, separated by '.', '_', '__' or '-'"
            )
        }
        return .success(
            Parts(domain: domain, path: String(path), tag: tag.map(String.init), digest: digest.map(String.init)))
    }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
    static func isPathComponent(_ s: Substring) -> Bool {
        let bytes = Array(s.utf8)
        var i = 0
        func alnumRun() -> Bool {
            let start = i
            while i < bytes.count && isLowerAlnum(bytes[i]) { i += 1 }
            return i > start
        }
        guard alnumRun() else { return false }
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "."):
                i += 1
            case UInt8(ascii: "_"):
                i += 1
                if i < bytes.count && bytes[i] == UInt8(ascii: "_") { i += 1 }
            case UInt8(ascii: "-"):
                while i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
            default:
                return false
            }
            guard alnumRun() else { return false }
        }
        return true
    }

    /// `host(:[0-9]+)?` where host is a domain name or a bracketed IPv6 address.
    static func isDomainAndPort(_ s: Substring) -> Bool {
        var host = s
        var port: Substring?
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return false }
            let inner = s[s.index(after: s.startIndex)..<close]
            guard !inner.isEmpty,
                inner.utf8.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") })
            else { return false }
            let after = s[s.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return false }
                port = after.dropFirst()
            }
            host = ""
        } else if let colon = s.firstIndex(of: ":") {
            host = s[..<colon]
            port = s[s.index(after: colon)...]
        }
        if let port {
            guard !port.isEmpty, port.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else { return false }
        }
        if s.hasPrefix("[") { return true }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { component in
            guard let first = component.utf8.first, let last = component.utf8.last,
                isASCIIAlnum(first), isASCIIAlnum(last)
            else { return false }
            return component.utf8.allSatisfy { isASCIIAlnum($0) || $0 == UInt8(ascii: "-") }
        }
    }

    /// `[\w][\w.-]{0,127}` (`\w` is ASCII `[0-9A-Za-z_]`).
    static func isTag(_ s: Substring) -> Bool {
        guard let first = s.utf8.first, s.utf8.count <= 128, isWordChar(first) else { return false }
        return s.utf8.allSatisfy { isWordChar($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// reference.go digestPat: `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
    static func isReferenceDigest(_ s: Substring) -> Bool {
        guard let colon = s.firstIndex(of: ":") else { return false }
        let algorithm = s.utf8[..<colon]
        let hex = s.utf8[s.index(after: colon)...]
        guard hex.count >= 32, hex.allSatisfy(isHexDigit) else { return false }
        var atComponentStart = true
        for byte in algorithm {
            if atComponentStart {
                guard isASCIILetter(byte) else { return false }
                atComponentStart = false
            } else if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: ".")
            {
                atComponentStart = true
            } else if !isASCIIAlnum(byte) {
                return false
            }
        }
        return !atComponentStart
    }

    /// go-digest `Digest.Validate` with the algorithms the docker CLI links
    /// (sha256, sha384, sha512), on a string that matched `isReferenceDigest`.
    static func referenceDigest(_ text: String) throws(ImageReferenceError.Reason) -> Digest {
        let colon = text.firstIndex(of: ":")!
        let algorithm = String(text[..<colon])
        let encoded = text[text.index(after: colon)...]
        let lengths = ["sha256": 64, "sha384": 96, "sha512": 128]
        guard let length = lengths[algorithm] else {
            // Not available: go-digest says "unsupported" when it fits its grammar, else "format".
            if Digest.isAlgorithm(algorithm) && encoded.utf8.allSatisfy(Digest.isEncodedByte) {
                throw .unsupportedDigestAlgorithm(algorithm)
            }
            throw .invalidDigestFormat("\"\(text)\" is not a digest")
        }
        guard encoded.utf8.count == length else {
            throw .invalidDigestLength("\(algorithm) digests have \(length) hex characters, this has \(encoded.utf8.count)")
        }
        guard encoded.utf8.allSatisfy(isLowerHex) else {
            throw .invalidDigestFormat("\(algorithm) digests must be lowercase hex [a-f0-9]")
        }
        do {
            return try Digest(text)
        } catch {
            throw .invalidDigestFormat(error.problem)
        }
    }
}

extension ImageReference: Codable {
    /// A reference is a JSON string, normalised when read.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do throws(ImageReferenceError) {
            try self.init(string)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(fullName)
    }
}

/// A string that is not a valid image reference. `dockerMessage` is Docker's own
/// text for the failure (what `docker pull` prints); `description` adds what is
/// wrong where Docker's text does not say.
public struct ImageReferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var input: String
    public var reason: Reason

    public init(input: String, reason: Reason) {
        self.input = input
        self.reason = reason
    }

    public enum Reason: Error, Sendable, Equatable {
        /// Does not match the grammar; says which part is wrong.
        case invalidFormat(String)
        /// The repository path has an uppercase letter. `repository` is what Docker
        /// names (`library/Foo`); nil when only the full parse found it.
        case uppercase(repository: String?)
        /// 64 lowercase hex digits: an image id, not a name.
        case hexadecimalName
        /// The repository path is longer than 255 characters.
        case nameTooLong(length: Int)
        case invalidDigestFormat(String)
        case invalidDigestLength(String)
        case unsupportedDigestAlgorithm(String)
        /// `withTag` was given something that is not a tag.
        case invalidTag
    }

    /// Docker's text for the same failure.
    public var dockerMessage: String {
        switch reason {
        case .invalidFormat: "invalid reference format"
        case .uppercase(let repository?): "invalid reference format: repository name (\(repository)) must be lowercase"
        case .uppercase(nil): "repository name must be lowercase"
        case .hexadecimalName: "invalid repository name (\(input)), cannot specify 64-byte hexadecimal strings"
        case .nameTooLong: "repository name must not be more than 255 characters"
        case .invalidDigestFormat: "invalid checksum digest format"
        case .invalidDigestLength: "invalid checksum digest length"
        case .unsupportedDigestAlgorithm: "unsupported digest algorithm"
        case .invalidTag: "invalid tag format"
        }
    }

    public var description: String {
        switch reason {
        case .invalidFormat(let detail), .invalidDigestFormat(let detail), .invalidDigestLength(let detail):
            "\(dockerMessage): \(detail)"
        case .uppercase, .hexadecimalName: dockerMessage
        case .nameTooLong(let length): "\(dockerMessage) (it has \(length))"
        case .unsupportedDigestAlgorithm(let algorithm):
            "\(dockerMessage) \"\(algorithm)\" (supported: sha256, sha384, sha512)"
        case .invalidTag:
            "\(dockerMessage): \"\(input)\" must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
        }
    }
}

@inline(__always) private func isHexDigit(_ byte: UInt8) -> Bool {
    isLowerHex(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
}

@inline(__always) private func isASCIILetter(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
}

@inline(__always) private func isWordChar(_ byte: UInt8) -> Bool {
    isASCIIAlnum(byte) || byte == UInt8(ascii: "_")
}
