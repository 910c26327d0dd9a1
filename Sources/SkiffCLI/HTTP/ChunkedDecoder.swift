/// Decodes an HTTP/1.1 chunked body incrementally: feed it bytes as they arrive, it
/// appends the payload and says how much of the input belonged to the body.
struct ChunkedDecoder {
    struct Malformed: Error, CustomStringConvertible {
        let reason: String
        var description: String { "malformed chunked encoding: \(reason)" }
    }

    private enum State {
        case size, extensions, sizeLF, data, dataCR, dataLF, trailerLineStart, trailerLine, trailerEndLF, done
    }

    private var state = State.size
    private var sizeDigits = 0
    private var remaining = 0

    var isDone: Bool { state == .done }

    /// Appends the payload found in `input` to `out`; returns the number of input bytes
    /// consumed (fewer than `input.count` only when the body ended inside `input`).
    mutating func decode(_ input: ArraySlice<UInt8>, into out: inout [UInt8]) throws(Malformed) -> Int {
        var i = input.startIndex
        while i < input.endIndex {
            let c = input[i]
            switch state {
            case .size:
                if let d = ChunkedDecoder.hexValue(c) {
                    guard sizeDigits < 15 else { throw Malformed(reason: "chunk size too large") }
                    remaining = remaining << 4 | d
                    sizeDigits += 1
                } else if sizeDigits > 0 && (c == UInt8(ascii: ";") || c == 0x20 || c == 0x09) {
                    state = .extensions
                } else if sizeDigits > 0 && c == 0x0D {
                    state = .sizeLF
                } else {
                    throw Malformed(reason: "invalid chunk size")
                }
                i += 1
            case .extensions:
                if c == 0x0D { state = .sizeLF }
                i += 1
            case .sizeLF:
                guard c == 0x0A else { throw Malformed(reason: "expected LF after chunk size") }
                i += 1
                state = remaining == 0 ? .trailerLineStart : .data
            case .data:
                let n = min(remaining, input.endIndex - i)
                out.append(contentsOf: input[i..<i + n])
                remaining -= n
                i += n
                if remaining == 0 { state = .dataCR }
            case .dataCR:
                guard c == 0x0D else { throw Malformed(reason: "expected CRLF after chunk data") }
                state = .dataLF
                i += 1
            case .dataLF:
                guard c == 0x0A else { throw Malformed(reason: "expected CRLF after chunk data") }
                state = .size
                sizeDigits = 0
                i += 1
            case .trailerLineStart:
                state = c == 0x0D ? .trailerEndLF : .trailerLine
                i += 1
            case .trailerLine:
                if c == 0x0A { state = .trailerLineStart }
                i += 1
            case .trailerEndLF:
                guard c == 0x0A else { throw Malformed(reason: "expected LF after trailer") }
                state = .done
                return i + 1 - input.startIndex
            case .done:
                return i - input.startIndex
            }
        }
        return input.count
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
