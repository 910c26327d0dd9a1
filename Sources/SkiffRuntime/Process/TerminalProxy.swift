import CSkiffSpawn
import Glibc

/// For `run` with a terminal and no console socket: receives the pty master
/// from the child and copies between it and our own stdin/stdout.
final class TerminalProxy {
    /// The end handed to the child as its console socket.
    let socketForChild: Int32
    private let ourEnd: Int32
    private var master: Int32 = -1
    private var saved: termios?
    private var stdinOpen = true

    init() throws(RuntimeError) {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw .system("run", "socketpair for the console")
        }
        ourEnd = pair[0]
        socketForChild = pair[1]
    }

    deinit {
        close(ourEnd)
        close(socketForChild)
        if master >= 0 { close(master) }
    }

    /// Receives the master (sent by the child during create) and puts our terminal in raw mode.
    func start() {
        master = skiff_recv_fd(ourEnd)
        guard master >= 0 else { return }
        if isatty(0) != 0 {
            var attrs = termios()
            if tcgetattr(0, &attrs) == 0 {
                saved = attrs
                cfmakeraw(&attrs)
                tcsetattr(0, TCSANOW, &attrs)
            }
        }
        resize()
    }

    func restore() {
        if var attrs = saved { tcsetattr(0, TCSANOW, &attrs) }
    }

    func resize() {
        guard master >= 0, isatty(0) != 0 else { return }
        var ws = winsize()
        if ioctl(0, UInt(TIOCGWINSZ), &ws) == 0 { _ = ioctl(master, UInt(TIOCSWINSZ), &ws) }
    }

    var pollFDs: [pollfd] {
        guard master >= 0 else { return [] }
        var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
        if stdinOpen { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
        return fds
    }

    func pump(_ fds: [pollfd]) {
        for p in fds where p.revents != 0 {
            if p.fd == master {
                if !copy(from: master, to: 1) { drain() }
            } else if p.fd == 0 {
                if !copy(from: 0, to: master) { stdinOpen = false }
            }
        }
    }

    /// Copies what the container still has buffered.
    func drain() {
        guard master >= 0 else { return }
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        while copy(from: master, to: 1) {}
    }

    private func copy(from: Int32, to: Int32) -> Bool {
        var buf = [UInt8](repeating: 0, count: 32768)
        let n = buf.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        var off = 0
        while off < n {
            let w = buf.withUnsafeBytes { write(to, $0.baseAddress! + off, n - off) }
            if w <= 0 { return false }
            off += w
        }
        return true
    }
}
