import FoundationEssentials
import NIOCore
import SkiffArchive
import SkiffOCI

/// A request's body, streamed from the connection as the handler reads it.
/// Read it once, one way: `collect`, `decode`, or `byteSource`.
public struct RequestBody: Sendable {
    let stream: InboundStream

    init(stream: InboundStream) { self.stream = stream }

    /// A body that is all of `bytes` (tests, internal calls).
    public init(bytes: [UInt8]) { stream = InboundStream(bytes: bytes) }

    /// The whole body; more than `max` bytes → 413.
    public func collect(max: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try await stream.next() {
            guard bytes.count + chunk.readableBytes <= max else {
                stream.discard()
                throw APIError(413, "request body is larger than \(max) bytes")
            }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }

    /// The body as JSON (at most 16 MiB). Malformed JSON → 400 naming the
    /// field ("invalid JSON at HostConfig.Memory: expected an integer"); an
    /// empty body decodes as `{}` when `allowEmpty`.
    public func decode<T: Decodable>(_ type: T.Type, allowEmpty: Bool = true) async throws -> T {
        var bytes = try await collect(max: 16 << 20)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            guard allowEmpty else { throw APIError.badRequest("invalid JSON: the request body is empty") }
            bytes = Array("{}".utf8)
        }
        return try Self.decodeJSON(type, from: bytes)
    }

    /// Decodes JSON, turning a failure into a 400 that names the field.
    static func decodeJSON<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(APIError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            let named = SpecError(decoding: error)
            let problem = named.problem.hasPrefix("not valid JSON: ") ? String(named.problem.dropFirst(16)) : named.problem
            throw .badRequest(named.field.isEmpty ? "invalid JSON: \(problem)" : "invalid JSON at \(named.field): \(problem)")
        } catch {
            throw .badRequest("invalid JSON: \(error)")
        }
    }

    /// The body as a blocking `ByteSource`, for a consumer on its own thread
    /// (ImageStore.load, importRootfs). The connection is read only as fast
    /// as it consumes. Never read it on an event loop thread.
    public func byteSource() -> BodySource { BodySource(stream: stream) }
}

/// A request body as a blocking `ByteSource`.
public struct BodySource: ByteSource, Sendable {
    let stream: InboundStream

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try stream.read(into: buffer)
    }
}
