import Glibc
import SkiffSystem

/// Log lines on stderr, logrus-style as dockerd and distribution write them:
/// `time="2024-05-01T10:00:00.123Z" level=info msg="..."`. skiffd's and the registry's.
public struct ServerLogger: ServerLog {
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
        let time = Timestamp.format(seconds: Int64(ts.tv_sec), nanoseconds: Int(ts.tv_nsec) / 1_000_000 * 1_000_000, fraction: .trimmed)
        let escaped = message.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
        let line = Array("time=\"\(time)\" level=\(level) msg=\"\(escaped)\"\n".utf8)
        line.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
                offset += n
            }
        }
    }
}
