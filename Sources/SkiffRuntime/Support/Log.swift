import Glibc

/// Diagnostics: text on stderr, and runc-style JSON lines in `--log` when
/// given (containerd reads the last error from there).
public enum Log {
    nonisolated(unsafe) private static var logFD: Int32 = -1
    nonisolated(unsafe) private static var json = false

    /// Set once by the command line before any work.
    public static func configure(path: String?, format: String?) {
        json = format == "json"
        if let path, !path.isEmpty {
            logFD = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        }
    }

    public static func error(_ message: String) { emit("error", message) }
    public static func warning(_ message: String) { emit("warning", message) }

    private static func emit(_ level: String, _ message: String) {
        let line = "skiff-runtime: \(message)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        guard logFD >= 0 else { return }
        let text: String
        if json {
            text = "{\"level\":\"\(level)\",\"msg\":\"\(escape(message))\",\"time\":\"\(Clock.rfc3339())\"}\n"
        } else {
            text = "time=\"\(Clock.rfc3339())\" level=\(level) msg=\"\(escape(message))\"\n"
        }
        _ = text.withCString { write(logFD, $0, strlen($0)) }
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 {
                    let hex = String(c.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out
    }
}
