import Glibc

/// The docker CLI's logrus messages on stderr (its default text formatter): on a terminal
/// `ERRO[0000] message` with the level in color (the seconds since the start are taken as
/// 0), elsewhere `time="..." level=error msg="..."`.
enum GoLog {
    static func error(_ message: String) {
        Output.write(2, line(message, level: "error", terminal: Terminal.isTerminal(2), now: Clock.now()))
    }

    /// One formatted entry, its newline included.
    static func line(_ message: String, level: String, terminal: Bool, now: Double) -> String {
        if terminal {
            let padded = message.count < 44 ? message + String(repeating: " ", count: 44 - message.count) : message
            return "\u{1B}[31m\(level.prefix(4).uppercased())\u{1B}[0m[0000] \(padded) \n"
        }
        return "time=\"\(GoTime.rfc3339(seconds: Int64(now)))\" level=\(level) msg=\(quoted(message))\n"
    }

    /// logrus quotes a value unless it is made only of letters, digits and `-._/@^+`.
    private static func quoted(_ value: String) -> String {
        let plain = !value.isEmpty && value.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "-._/@^+".contains($0) }
        return plain ? value : goQuote(value)
    }
}
