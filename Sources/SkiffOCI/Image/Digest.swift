// OCI image-spec v1.1, descriptor.md#digests.
// https://github.com/opencontainers/image-spec/blob/v1.1.1/descriptor.md#digests
// Schema: shared/reference/oci-image-schema/defs-descriptor.json#/definitions/digest
//
// Only the string form lives here: computing a digest needs a hash function,
// and hashing lives outside SkiffOCI.

/// A content identifier, `algorithm:encoded` (descriptor.md#digests).
///
/// Every value has passed the grammar
///
///     digest                ::= algorithm ":" encoded
///     algorithm             ::= algorithm-component (algorithm-separator algorithm-component)*
///     algorithm-component   ::= [a-z0-9]+
///     algorithm-separator   ::= [+._-]
///     encoded               ::= [a-zA-Z0-9=_-]+
///
/// and, for a registered algorithm (descriptor.md#registered-algorithms: `sha256`,
/// `sha512`), that algorithm's rule: lowercase hex of the right length. A digest
/// whose algorithm is not registered but follows the grammar is accepted, as the
/// spec asks ("Implementations SHOULD allow digests with unrecognized algorithms to
/// pass validation"), and reports `isRegistered == false`: it cannot be verified.
public struct Digest: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The algorithm portion (`sha256`).
    public let algorithm: Algorithm
    /// The encoded portion (for sha256: 64 lowercase hex digits).
    public let encoded: String

    /// Parses and validates `algorithm:encoded`.
    public init(_ string: String) throws(DigestError) {
        guard !string.isEmpty else { throw DigestError(input: string, reason: .empty) }
        guard let colon = string.utf8.firstIndex(of: UInt8(ascii: ":")) else {
            throw DigestError(input: string, reason: .missingSeparator)
        }
        let algorithm = String(string[..<colon])
        let encoded = String(string[string.index(after: colon)...])
        try self.init(checking: string, algorithm: algorithm, encoded: encoded)
    }

    /// Builds a digest from its parts, with the same checks as parsing.
    public init(algorithm: Algorithm, encoded: String) throws(DigestError) {
        try self.init(checking: "\(algorithm.rawValue):\(encoded)", algorithm: algorithm.rawValue, encoded: encoded)
    }

    /// For constants known to be valid: no checks.
    init(trusted algorithm: Algorithm, encoded: String) {
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// `sha256:<hex>`; throws unless `hex` is 64 lowercase hex digits.
    public static func sha256(_ hex: String) throws(DigestError) -> Digest {
        try Digest(algorithm: .sha256, encoded: hex)
    }

    private init(checking input: String, algorithm: String, encoded: String) throws(DigestError) {
        guard !algorithm.isEmpty else { throw DigestError(input: input, reason: .emptyAlgorithm) }
        guard Self.isAlgorithm(algorithm) else { throw DigestError(input: input, reason: .invalidAlgorithm) }
        guard !encoded.isEmpty else { throw DigestError(input: input, reason: .emptyEncoded) }
        guard encoded.utf8.allSatisfy(Self.isEncodedByte) else {
            throw DigestError(input: input, reason: .invalidEncoded)
        }
        let known = Algorithm(rawValue: algorithm)
        if let length = known.encodedLength {
            guard encoded.utf8.count == length else {
                throw DigestError(
                    input: input, reason: .wrongLength(algorithm: algorithm, expected: length, actual: encoded.utf8.count))
            }
            guard encoded.utf8.allSatisfy(isLowerHex) else {
                throw DigestError(input: input, reason: .notLowercaseHex(algorithm: algorithm))
            }
        }
        self.algorithm = known
        self.encoded = encoded
    }

    /// The encoded portion; for the registered algorithms it is hex.
    public var hex: String { encoded }

    /// `algorithm:encoded`.
    public var description: String { "\(algorithm.rawValue):\(encoded)" }

    /// Whether the algorithm is one the spec registers (and so one whose encoded
    /// form was fully checked and that skiff can verify).
    public var isRegistered: Bool { algorithm.isRegistered }

    /// The first 12 characters of the encoded portion: Docker's short image and
    /// container id (`docker images`, `docker ps`).
    public var shortID: String { String(encoded.prefix(Self.shortIDLength)) }

    /// Docker's short id length (moby `stringid.TruncateID`).
    public static let shortIDLength = 12

    /// Docker's `stringid.TruncateID` for any id string: drops everything up to
    /// and including the first `:` (an algorithm prefix) and keeps at most 12
    /// characters. `"sha256:0123456789abcdef..."` → `"0123456789ab"`.
    public static func truncatedID(_ id: String) -> String {
        var rest = Substring(id)
        if let colon = rest.firstIndex(of: ":") { rest = rest[rest.index(after: colon)...] }
        return String(rest.prefix(shortIDLength))
    }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    // MARK: grammar

    /// `[a-z0-9]+([+._-][a-z0-9]+)*`
    static func isAlgorithm(_ s: String) -> Bool {
        var previousWasSeparator = true  // no separator first
        for byte in s.utf8 {
            if isLowerAlnum(byte) {
                previousWasSeparator = false
            } else if byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-")
            {
                if previousWasSeparator { return false }
                previousWasSeparator = true
            } else {
                return false
            }
        }
        return !previousWasSeparator
    }

    /// `[a-zA-Z0-9=_-]`
    static func isEncodedByte(_ byte: UInt8) -> Bool {
        isLowerAlnum(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
}

extension Digest {
    /// The algorithm portion of a digest. Any string that follows the grammar can
    /// be one; `sha256` and `sha512` are registered (descriptor.md#registered-algorithms).
    public struct Algorithm: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// descriptor.md#sha-256: encoded is `/[a-f0-9]{64}/`.
        public static let sha256 = Algorithm(rawValue: "sha256")
        /// descriptor.md#sha-512: encoded is `/[a-f0-9]{128}/`.
        public static let sha512 = Algorithm(rawValue: "sha512")

        /// The number of hex digits a registered algorithm's encoded portion has;
        /// nil for an algorithm the spec does not register.
        public var encodedLength: Int? {
            switch rawValue {
            case "sha256": 64
            case "sha512": 128
            default: nil
            }
        }

        public var isRegistered: Bool { encodedLength != nil }
        public var description: String { rawValue }
    }
}

extension Digest: Codable {
    /// A digest is a JSON string; a malformed one fails decoding with the reason.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do throws(DigestError) {
            try self.init(string)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Digest: CodingKeyRepresentable {
    /// Lets `[Digest: T]` encode as a JSON object keyed by the digest string (as
    /// Docker's `LayerSources` is) rather than as an array of pairs.
    public var codingKey: any CodingKey { DigestKey(stringValue: description) }

    public init?<T: CodingKey>(codingKey: T) {
        guard let digest = try? Digest(codingKey.stringValue) else { return nil }
        self = digest
    }

    private struct DigestKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// A string that is not a valid digest, and why.
public struct DigestError: Error, Sendable, Equatable, CustomStringConvertible {
    public var input: String
    public var reason: Reason

    public init(input: String, reason: Reason) {
        self.input = input
        self.reason = reason
    }

    public enum Reason: Sendable, Equatable {
        case empty
        /// No `:` between algorithm and encoded portion.
        case missingSeparator
        case emptyAlgorithm
        /// The algorithm is not `[a-z0-9]+([+._-][a-z0-9]+)*`.
        case invalidAlgorithm
        case emptyEncoded
        /// The encoded portion has a character outside `[a-zA-Z0-9=_-]`.
        case invalidEncoded
        /// A registered algorithm's encoded portion has the wrong number of characters.
        case wrongLength(algorithm: String, expected: Int, actual: Int)
        /// A registered algorithm's encoded portion is not lowercase hex (`[A-F]` MUST NOT be used).
        case notLowercaseHex(algorithm: String)
        /// The algorithm follows the grammar but is not registered, where a registered one is required.
        case unregisteredAlgorithm(algorithm: String)
    }

    public var problem: String {
        switch reason {
        case .empty: "digest is empty"
        case .missingSeparator: "expected algorithm:encoded, found no ':'"
        case .emptyAlgorithm: "the algorithm before ':' is empty"
        case .invalidAlgorithm: "the algorithm must be lowercase letters and digits joined by '+', '.', '_' or '-'"
        case .emptyEncoded: "the encoded part after ':' is empty"
        case .invalidEncoded: "the encoded part may only hold letters, digits, '=', '_' and '-'"
        case .wrongLength(let algorithm, let expected, let actual):
            "\(algorithm) digests have \(expected) hex characters, this has \(actual)"
        case .notLowercaseHex(let algorithm): "\(algorithm) digests must be lowercase hex [a-f0-9]"
        case .unregisteredAlgorithm(let algorithm):
            "unsupported digest algorithm \"\(algorithm)\" (registered: sha256, sha512)"
        }
    }

    public var description: String { "invalid digest \"\(input)\": \(problem)" }
}

@inline(__always) func isLowerAlnum(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
}

@inline(__always) func isLowerHex(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
}
