import Glibc

/// The local terminal: raw mode for `-t` sessions (restored on every exit path) and
/// its window size.
final class Terminal {
    private let fd: Int32
    private var saved: termios?

    init(fd: Int32) { self.fd = fd }

    deinit { restore() }

    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Rows and columns of the terminal on `fd`; nil when it is not a terminal.
    static func size(_ fd: Int32) -> (rows: Int, columns: Int)? {
        var ws = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0 else { return nil }
        return (Int(ws.ws_row), Int(ws.ws_col))
    }

    /// Raw mode as moby/term sets it (cfmakeraw, keeping output processing off too).
    func makeRaw() throws {
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else { throw SystemError("tcgetattr") }
        saved = t
        cfmakeraw(&t)
        guard tcsetattr(fd, TCSANOW, &t) == 0 else { throw SystemError("tcsetattr") }
    }

    /// Puts the terminal back as it was (idempotent).
    func restore() {
        guard var t = saved else { return }
        tcsetattr(fd, TCSANOW, &t)
        saved = nil
    }
}
