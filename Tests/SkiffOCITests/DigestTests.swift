import FoundationEssentials
import SkiffOCI
import Testing

private let hex64 = "6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
private let hex128 = hex64 + hex64

private let grammarCases: [(String, DigestError.Reason)] = [
    ("", DigestError.Reason.empty),
    (":" + hex64, .emptyAlgorithm),
    ("sha256:", .emptyEncoded),
    ("SHA256:" + hex64, .invalidAlgorithm),
    ("sha256-:" + hex64, .invalidAlgorithm),
    ("-sha256:" + hex64, .invalidAlgorithm),
    ("sha++256:abc", .invalidAlgorithm),
    ("sha 256:abc", .invalidAlgorithm),
    ("foo:a+b", .invalidEncoded),
    ("foo:a:b", .invalidEncoded),
    ("sha256:" + hex64 + " ", .invalidEncoded),
]

@Suite struct DigestTests {
    @Test func validSHA256() throws {
        let digest = try Digest("sha256:" + hex64)
        #expect(digest.algorithm == .sha256)
        #expect(digest.hex == hex64)
        #expect(digest.encoded == hex64)
        #expect(digest.description == "sha256:" + hex64)
        #expect(digest.isRegistered)
        #expect(digest.shortID == "6c3c624b58db")
        #expect(try Digest.sha256(hex64) == digest)
        #expect(try Digest(algorithm: .sha256, encoded: hex64) == digest)
    }

    @Test func validSHA512() throws {
        let digest = try Digest("sha512:" + hex128)
        #expect(digest.algorithm == .sha512)
        #expect(digest.algorithm.encodedLength == 128)
        #expect(digest.isRegistered)
    }

    /// descriptor.md#digests: unregistered algorithms that follow the grammar pass, flagged.
    @Test(arguments: [
        "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
        "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "blake3:" + hex64,
        "sha384:" + hex64,
    ])
    func unknownAlgorithmParsesButIsUnregistered(_ string: String) throws {
        let digest = try Digest(string)
        #expect(!digest.isRegistered)
        #expect(digest.algorithm.encodedLength == nil)
        #expect(digest.description == string)
    }

    @Test func wrongLength() {
        #expect(throws: DigestError(input: "sha256:abc", reason: .wrongLength(algorithm: "sha256", expected: 64, actual: 3))) {
            try Digest("sha256:abc")
        }
        #expect(throws: DigestError(input: "sha512:" + hex64, reason: .wrongLength(algorithm: "sha512", expected: 128, actual: 64))) {
            try Digest("sha512:" + hex64)
        }
        let error = DigestError(input: "sha256:abc", reason: .wrongLength(algorithm: "sha256", expected: 64, actual: 3))
        #expect(error.description == #"invalid digest "sha256:abc": sha256 digests have 64 hex characters, this has 3"#)
    }

    @Test func uppercaseHex() {
        let upper = "sha256:" + hex64.uppercased()
        #expect(throws: DigestError(input: upper, reason: .notLowercaseHex(algorithm: "sha256"))) { try Digest(upper) }
        #expect(throws: DigestError.self) { try Digest("sha512:" + hex128.uppercased()) }
    }

    @Test func notHex() {
        let bad = "sha256:" + String(hex64.dropLast()) + "g"
        #expect(throws: DigestError(input: bad, reason: .notLowercaseHex(algorithm: "sha256"))) { try Digest(bad) }
    }

    @Test func missingColon() {
        #expect(throws: DigestError(input: "sha256" + hex64, reason: .missingSeparator)) { try Digest("sha256" + hex64) }
        #expect(throws: DigestError(input: hex64, reason: .missingSeparator)) { try Digest(hex64) }
    }

    @Test(arguments: grammarCases)
    func grammarViolations(_ input: String, _ reason: DigestError.Reason) {
        #expect(throws: DigestError(input: input, reason: reason)) { try Digest(input) }
    }

    @Test func codableAsString() throws {
        let digest = try Digest("sha256:" + hex64)
        let data = try JSONEncoder().encode([digest])
        #expect(String(decoding: data, as: UTF8.self) == #"["sha256:\#(hex64)"]"#)
        #expect(try JSONDecoder().decode([Digest].self, from: data) == [digest])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Digest].self, from: Data(#"["sha256:xyz"]"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Digest].self, from: Data("[42]".utf8)) }
    }

    @Test func dictionaryKeyedByDigestIsAnObject() throws {
        let digest = try Digest("sha256:" + hex64)
        let data = try JSONEncoder().encode([digest: 1])
        #expect(String(decoding: data, as: UTF8.self) == #"{"sha256:\#(hex64)":1}"#)
        #expect(try JSONDecoder().decode([Digest: Int].self, from: data) == [digest: 1])
    }

    @Test func truncatedID() {
        #expect(Digest.truncatedID("sha256:" + hex64) == "6c3c624b58db")
        #expect(Digest.truncatedID(hex64) == "6c3c624b58db")
        #expect(Digest.truncatedID("abc") == "abc")
        #expect(Digest.shortIDLength == 12)
    }

    @Test func emptyJSONConstant() throws {
        #expect(Digest.emptyJSON == (try Digest("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")))
    }
}
