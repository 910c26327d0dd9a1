import CSkiffSpawn
import Glibc

/// Waiting for container processes: a foreground child with signals
/// forwarded (and a terminal proxied), or any process by pid.
enum ProcessWaiter {
    static let forwarded: [Int32] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD]

    /// Waits for our child `pid`, forwarding signals to it; returns its exit status.
    static func wait(child pid: Int32, terminal: TerminalProxy?) throws(RuntimeError) -> Int32 {
        let sfd = forwarded.withUnsafeBufferPointer { skiff_signalfd_for($0.baseAddress, Int32($0.count)) }
        guard sfd >= 0 else { throw .system("run", "signalfd") }
        defer { close(sfd) }
        // The child's exit is also seen on a pidfd: in a process with other
        // threads, SIGCHLD may go to one of them and never reach the signalfd.
        let pidfd = skiff_pidfd_open(pid)
        defer { if pidfd >= 0 { close(pidfd) } }
        terminal?.start()
        defer { terminal?.restore() }
        while true {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                terminal?.drain()
                return ExitStatus.code(status)
            }
            if r < 0 && errno != EINTR { throw .system("run", "waitpid \(pid)") }
            var fds = [pollfd(fd: sfd, events: Int16(POLLIN), revents: 0), pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
            fds += terminal?.pollFDs ?? []
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 { continue }
            if fds[0].revents & Int16(POLLIN) != 0 {
                let sig = skiff_signalfd_read(sfd)
                if sig == SIGWINCH {
                    terminal?.resize()
                } else if sig > 0 && sig != SIGCHLD {
                    _ = kill(pid, sig)
                }
            }
            if let terminal { terminal.pump(Array(fds.dropFirst(2))) }
        }
    }

    /// Waits (bounded, 10 s) until `pid` has exited; for processes that are not our children.
    static func waitForExit(pid: Int32, startTime: UInt64) {
        let pidfd = skiff_pidfd_open(pid)
        if pidfd >= 0 {
            defer { close(pidfd) }
            var pfd = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, 10_000)
            return
        }
        var delay: UInt32 = 500
        var waited: UInt32 = 0
        while ProcessInfo.isAlive(pid, startTime: startTime) && waited < 10_000_000 {
            usleep(delay)
            waited += delay
            delay = min(delay * 2, 50_000)
        }
    }
}
