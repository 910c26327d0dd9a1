import Crypto
import SkiffOCI

/// Streaming SHA-256 that yields an OCI digest (swift-crypto underneath).
public struct DigestHasher {
    private var sha = SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha.update(bufferPointer: bytes)
    }

    public mutating func update(_ bytes: [UInt8]) {
        sha.update(data: bytes)
    }

    public func finalize() -> SkiffOCI.Digest {
        let hex = sha.finalize().map { byte -> String in
            let s = String(byte, radix: 16)
            return byte < 16 ? "0" + s : s
        }.joined()
        return try! SkiffOCI.Digest.sha256(hex)
    }
}

extension SkiffOCI.Digest {
    /// The sha256 digest of `bytes`.
    public static func sha256(of bytes: [UInt8]) -> SkiffOCI.Digest {
        var hasher = DigestHasher()
        hasher.update(bytes)
        return hasher.finalize()
    }
}
