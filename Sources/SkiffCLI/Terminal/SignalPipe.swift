import Glibc

/// Signals as readable bytes: a handler writes each caught signal's number to a pipe that
/// the I/O loop polls (SIGWINCH for resizes, the rest proxied to the container).
enum SignalPipe {
    nonisolated(unsafe) private static var writeEnd: Int32 = -1
    nonisolated(unsafe) private(set) static var readEnd: Int32 = -1

    /// Signals docker's CLI forwards (everything catchable but SIGCHLD, SIGPIPE and the
    /// synchronous faults).
    static let proxied: [Int32] = [
        SIGHUP, SIGINT, SIGQUIT, SIGTRAP, SIGABRT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGSTKFLT, SIGCONT,
        SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS,
    ]

    /// Starts catching `signals`; their numbers become readable on `readEnd`.
    static func catchSignals(_ signals: [Int32]) {
        if readEnd < 0 {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { return }
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, O_NONBLOCK)
            }
            readEnd = fds[0]
            writeEnd = fds[1]
        }
        for s in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signo in
                var byte = UInt8(truncatingIfNeeded: signo)
                _ = Glibc.write(SignalPipe.writeEnd, &byte, 1)
            }
            action.sa_flags = SA_RESTART
            sigaction(s, &action, nil)
        }
    }

    /// Signals caught since the last call.
    static func drain() -> [Int32] {
        var out: [Int32] = []
        var buf = [UInt8](repeating: 0, count: 64)
        while readEnd >= 0 {
            let n = Glibc.read(readEnd, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n].map { Int32($0) }
        }
        return out
    }

    /// Docker's name for a signal number (as `docker kill -s` and the kill endpoint take it).
    static func name(_ signo: Int32) -> String? {
        let names: [Int32: String] = [
            SIGHUP: "HUP", SIGINT: "INT", SIGQUIT: "QUIT", SIGTRAP: "TRAP", SIGABRT: "ABRT", SIGUSR1: "USR1",
            SIGUSR2: "USR2", SIGALRM: "ALRM", SIGTERM: "TERM", SIGSTKFLT: "STKFLT", SIGCONT: "CONT", SIGTSTP: "TSTP",
            SIGTTIN: "TTIN", SIGTTOU: "TTOU", SIGURG: "URG", SIGXCPU: "XCPU", SIGXFSZ: "XFSZ", SIGVTALRM: "VTALRM",
            SIGPROF: "PROF", SIGWINCH: "WINCH", SIGIO: "IO", SIGPWR: "PWR", SIGSYS: "SYS",
        ]
        return names[signo]
    }
}
