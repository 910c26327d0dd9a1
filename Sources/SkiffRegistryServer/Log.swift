import Glibc
import SkiffHTTP

/// Log lines on stderr: `level=info msg="..."`.
public struct RegistryLog: ServerLog {
    public var debugEnabled: Bool

    public init(debug: Bool = false) { debugEnabled = debug }

    package func debug(_ message: @autoclosure () -> String) {
        if debugEnabled { write("debug", message()) }
    }

    package func info(_ message: String) { write("info", message) }
    package func warning(_ message: String) { write("warning", message) }
    package func error(_ message: String) { write("error", message) }

    private func write(_ level: String, _ message: String) {
        let escaped = message.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
        let line = Array("level=\(level) msg=\"\(escaped)\"\n".utf8)
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
