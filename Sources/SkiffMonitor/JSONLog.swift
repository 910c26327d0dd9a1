import Glibc

/// Docker's json-file log: one JSON object per line,
/// `{"log":"hello\n","stream":"stdout","time":"2026-...Z"}`, with rotation
/// (`max-size`, `max-file`: log, log.1, log.2, ...).
public final class JSONLogWriter {
    private let config: LogConfig
    private var fd: Int32 = -1
    private var size: Int64 = 0
    /// Bytes of an unfinished line per stream (stdout, stderr).
    private var pending: [UInt8: [UInt8]] = [:]
    /// Docker splits lines longer than this into several entries.
    static let maxLine = 16 * 1024

    public init(config: LogConfig) {
        self.config = config
        guard config.driver == "json-file" else { return }
        open()
    }

    private func open() {
        fd = Glibc.open(config.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        var st = stat()
        size = fd >= 0 && fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    /// Output of `stream` (1 stdout, 2 stderr); whole lines are written, the
    /// rest waits for its newline.
    public func write(stream: UInt8, _ bytes: ArraySlice<UInt8>) {
        guard fd >= 0 else { return }
        var buffer = pending[stream, default: []]
        buffer.append(contentsOf: bytes)
        var start = 0
        var i = 0
        while i < buffer.count {
            if buffer[i] == UInt8(ascii: "\n") || i - start + 1 >= Self.maxLine {
                entry(stream: stream, buffer[start...i])
                start = i + 1
            }
            i += 1
        }
        pending[stream] = Array(buffer[start...])
    }

    /// Writes what is left of unfinished lines (at exit).
    public func flush() {
        for (stream, rest) in pending where !rest.isEmpty { entry(stream: stream, rest[...]) }
        pending = [:]
    }

    public func close() {
        flush()
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private func entry(stream: UInt8, _ line: ArraySlice<UInt8>) {
        var out: [UInt8] = Array("{\"log\":\"".utf8)
        JSONText.escape(line, into: &out)
        out += Array("\",\"stream\":\"\(stream == 2 ? "stderr" : "stdout")\",\"time\":\"\(Clock.timestamp())\"}\n".utf8)
        if let max = config.maxSize, size > 0, size + Int64(out.count) > max { rotate() }
        guard fd >= 0 else { return }
        _ = UnixSocket.writeAll(fd: fd, out)
        size += Int64(out.count)
    }

    private func rotate() {
        Glibc.close(fd)
        if config.maxFiles <= 1 {
            truncate(config.path, 0)
        } else {
            for n in stride(from: config.maxFiles - 1, through: 1, by: -1) {
                let from = n == 1 ? config.path : "\(config.path).\(n - 1)"
                rename(from, "\(config.path).\(n)")
            }
        }
        open()
    }
}

/// JSON string escaping for bytes that may not be valid UTF-8 (invalid
/// sequences become U+FFFD, as Go's encoder does).
enum JSONText {
    static func escape(_ bytes: ArraySlice<UInt8>, into out: inout [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += [0x5c, 0x22]
            case "\\": out += [0x5c, 0x5c]
            case "\n": out += [0x5c, UInt8(ascii: "n")]
            case "\r": out += [0x5c, UInt8(ascii: "r")]
            case "\t": out += [0x5c, UInt8(ascii: "t")]
            case "<", ">", "&":
                out += Array("\\u00\(hex(UInt8(scalar.value)))".utf8)
            default:
                if scalar.value < 0x20 {
                    out += Array("\\u00\(hex(UInt8(scalar.value)))".utf8)
                } else {
                    out += Array(String(scalar).utf8)
                }
            }
        }
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xf)]])
    }
}

extension UnixSocket {
    /// Writes all of `bytes` to a file or pipe.
    @discardableResult
    static func writeAll(fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }
}
