/// Splits docker's multiplexed stream (8-byte headers: stream id, three zero bytes, a
/// big-endian payload length) into its stdout and stderr parts, incrementally.
struct StreamDemux {
    enum Stream: UInt8 {
        case stdin = 0, stdout = 1, stderr = 2, systemError = 3
    }

    struct Malformed: Error, CustomStringConvertible {
        let header: UInt8
        var description: String { "Unrecognized input header: \(header)" }
    }

    private var header: [UInt8] = []
    private var remaining = 0
    private var stream = Stream.stdout
    private var systemError: [UInt8] = []

    /// A daemon-side error sent as stream 3, once its frame is complete.
    private(set) var error: String?

    /// Feeds received bytes; `emit` gets each payload piece with its stream (stdin
    /// frames are reported as stdout, as docker's stdcopy does).
    mutating func feed(_ bytes: ArraySlice<UInt8>, emit: (Stream, ArraySlice<UInt8>) -> Void) throws(Malformed) {
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if remaining == 0 {
                let need = 8 - header.count
                let take = min(need, bytes.endIndex - i)
                header.append(contentsOf: bytes[i..<i + take])
                i += take
                guard header.count == 8 else { return }
                guard let s = Stream(rawValue: header[0]) else { throw Malformed(header: header[0]) }
                stream = s
                remaining = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
                header.removeAll(keepingCapacity: true)
                continue
            }
            let n = min(remaining, bytes.endIndex - i)
            let piece = bytes[i..<i + n]
            remaining -= n
            i += n
            switch stream {
            case .systemError:
                systemError.append(contentsOf: piece)
                if remaining == 0 {
                    error = String(decoding: systemError, as: UTF8.self)
                    systemError.removeAll()
                }
            case .stdin, .stdout: emit(.stdout, piece)
            case .stderr: emit(.stderr, piece)
            }
        }
    }
}
