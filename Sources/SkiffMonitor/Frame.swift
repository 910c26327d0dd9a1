/// The monitor's stream framing, the same 8-byte header as Docker's
/// multiplexed stream: [stream, 0, 0, 0, size as big-endian UInt32].
public enum Frame {
    public static let stdin: UInt8 = 0
    public static let stdout: UInt8 = 1
    public static let stderr: UInt8 = 2
    /// The monitor's own JSON messages (ExecEvent); never sent to Docker clients.
    public static let control: UInt8 = 3

    public static func header(stream: UInt8, count: Int) -> [UInt8] {
        let n = UInt32(count)
        return [stream, 0, 0, 0, UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)]
    }

    public static func encode(stream: UInt8, _ payload: some Collection<UInt8>) -> [UInt8] {
        header(stream: stream, count: payload.count) + payload
    }
}

/// Splits a byte stream into frames.
public struct FrameDecoder: Sendable {
    private var buffer: [UInt8] = []

    public init() {}

    public mutating func feed(_ bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, if one has arrived.
    public mutating func next() -> (stream: UInt8, payload: [UInt8])? {
        guard buffer.count >= 8 else { return nil }
        let size = Int(buffer[4]) << 24 | Int(buffer[5]) << 16 | Int(buffer[6]) << 8 | Int(buffer[7])
        guard buffer.count >= 8 + size else { return nil }
        let frame = (buffer[0], Array(buffer[8..<(8 + size)]))
        buffer.removeFirst(8 + size)
        return frame
    }
}
