import Glibc

/// Log lines on stderr, logrus-style as dockerd writes them:
/// `time="2024-05-01T10:00:00.123Z" level=info msg="..."`.
public struct Logger: Sendable {
    public var debugEnabled: Bool

    public init(debug: Bool = false) { debugEnabled = debug }

    public func debug(_ message: @autoclosure () -> String) {
        if debugEnabled { write("debug", message()) }
    }

    public func info(_ message: String) { write("info", message) }
    public func warning(_ message: String) { write("warning", message) }
    public func error(_ message: String) { write("error", message) }

    private func write(_ level: String, _ message: String) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let escaped = message.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
        let line = "time=\"\(RFC3339.format(seconds: Int64(ts.tv_sec), nanoseconds: Int(ts.tv_nsec) / 1_000_000 * 1_000_000))\" level=\(level) msg=\"\(escaped)\"\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
                offset += n
            }
        }
    }
}
