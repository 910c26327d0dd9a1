import FoundationEssentials
import Glibc
import SkiffRuntime

/// A connection to the monitor's socket. It starts with one request line:
///
///     attach STDIN STDOUT STDERR   (0 or 1 each) then frames out, raw stdin in
///     start                        -> "ok" | "error MESSAGE"
///     stop SIGNAL TIMEOUT          -> the connection closes when the container is down
///     kill SIGNAL                  -> "ok" | "error MESSAGE"
///     resize ROWS COLS             -> "ok"
///     exec-resize PID ROWS COLS    -> "ok"
///     watch                        -> status JSON lines, the current one first
///     exec JSON(ExecRequest)       -> frames: control {"pid"}, output, control {"exitCode"}
struct Client {
    enum Kind: Equatable {
        case header
        case attach(stdin: Bool, stdout: Bool, stderr: Bool)
        case watch
        case stopping
        case exec(pid: Int32)
    }
    var kind: Kind = .header
    var buffer: [UInt8] = []
    /// The client half-closed: no longer polled, output still sent.
    var eof = false
}

extension Monitor {
    func acceptClient() {
        let fd = UnixSocket.accept(listener)
        guard fd >= 0 else { return }
        clients[fd] = Client()
    }

    func dropClient(_ fd: Int32) {
        guard let client = clients.removeValue(forKey: fd) else { return }
        close(fd)
        if case .exec(let pid) = client.kind, let session = execs[pid], session.stdinWrite >= 0, session.stdinWrite != session.pty {
            close(session.stdinWrite)
            execs[pid]?.stdinWrite = -1
        }
    }

    func readClient(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)
        let n = read(fd, &buffer, buffer.count)
        guard var client = clients[fd] else { return }
        if n <= 0 {
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            clientEOF(fd, client)
            return
        }
        var data = buffer[0..<n]
        if client.kind == .header {
            client.buffer.append(contentsOf: data)
            guard let newline = client.buffer.firstIndex(of: UInt8(ascii: "\n")) else {
                if client.buffer.count > 1 << 20 { dropClient(fd) } else { clients[fd] = client }
                return
            }
            let line = String(decoding: client.buffer[..<newline], as: UTF8.self)
            data = client.buffer[(newline + 1)...]
            client.buffer = []
            clients[fd] = client
            handleRequest(fd, line)
            guard let updated = clients[fd] else { return }
            client = updated
        }
        guard !data.isEmpty else { return }
        switch client.kind {
        case .attach(let stdin, _, _):
            if stdin && stdinWrite >= 0 { _ = UnixSocket.writeAll(fd: stdinWrite, Array(data)) }
        case .exec(let pid):
            if let session = execs[pid], session.stdinWrite >= 0 {
                _ = UnixSocket.writeAll(fd: session.stdinWrite, Array(data))
            }
        default:
            break
        }
    }

    /// The client closed its side: stdin ends where Docker ends it; its
    /// output keeps flowing until the container (or exec) is done.
    func clientEOF(_ fd: Int32, _ client: Client) {
        switch client.kind {
        case .attach(let stdin, let stdout, let stderr):
            if stdin && config.stdinOnce && stdinWrite >= 0 && stdinWrite != pty {
                close(stdinWrite)
                stdinWrite = -1
            }
            guard stdout || stderr else { return dropClient(fd) }
            clients[fd]?.eof = true
        case .exec(let pid):
            if let session = execs[pid], session.stdinWrite >= 0, session.stdinWrite != session.pty {
                close(session.stdinWrite)
                execs[pid]?.stdinWrite = -1
            }
            clients[fd]?.eof = true
        default:
            dropClient(fd)
        }
    }

    func handleRequest(_ fd: Int32, _ line: String) {
        let words = line.split(separator: " ", maxSplits: 1).map(String.init)
        let args = line.split(separator: " ").dropFirst().map(String.init)
        func reply(_ text: String) { _ = UnixSocket.writeAll(fd, Array((text + "\n").utf8)) }
        switch words.first ?? "" {
        case "attach":
            let flags = args.map { $0 == "1" }
            guard flags.count == 3 else { reply("error attach needs three flags"); dropClient(fd); return }
            clients[fd]?.kind = .attach(stdin: flags[0], stdout: flags[1], stderr: flags[2])
        case "start":
            guard status.state == .created else { reply("error container is \(status.state.rawValue)"); dropClient(fd); return }
            do {
                try startContainer()
                reply("ok")
            } catch {
                status.state = .exited
                status.error = "\(error)"
                status.exitCode = Self.exitCode(forCreateError: "\(error)")
                status.finishedAt = Clock.timestamp()
                try? runtime.delete(id: config.id, force: true)
                saveStatus()
                reply("error \(error)")
                done = true
            }
            dropClient(fd)
        case "stop":
            let signal = args.first.flatMap { Int32($0) } ?? SIGTERM
            let timeout = args.dropFirst().first.flatMap { Int($0) } ?? 10
            clients[fd]?.kind = .stopping
            stop(signal: signal, timeout: timeout)
        case "kill":
            let signal = args.first.flatMap { Int32($0) } ?? SIGKILL
            guard status.state == .running || status.state == .created else {
                reply("error container is not running")
                dropClient(fd)
                return
            }
            status.stoppedByUser = true
            do {
                try runtime.kill(id: config.id, signal: signal)
                reply("ok")
            } catch {
                reply("error \(error)")
            }
            dropClient(fd)
        case "resize":
            if args.count == 2, let rows = UInt16(args[0]), let cols = UInt16(args[1]), pty >= 0 {
                Self.resize(pty, rows: rows, cols: cols)
            }
            reply("ok")
            dropClient(fd)
        case "exec-resize":
            if args.count == 3, let pid = Int32(args[0]), let rows = UInt16(args[1]), let cols = UInt16(args[2]),
               let session = execs[pid], session.pty >= 0 {
                Self.resize(session.pty, rows: rows, cols: cols)
            }
            reply("ok")
            dropClient(fd)
        case "watch":
            clients[fd]?.kind = .watch
            if let json = try? JSONEncoder().encode(status) {
                _ = UnixSocket.writeAll(fd, Array(json) + [UInt8(ascii: "\n")])
            }
        case "exec":
            startExec(fd, json: words.count > 1 ? words[1] : "")
        case "restart-policy":
            // `restart-policy NAME MAX`: from `docker update --restart`.
            if args.count == 2, let name = RestartPolicy.Name(rawValue: args[0]), let max = Int(args[1]) {
                restartPolicy = RestartPolicy(name: name, maximumRetryCount: max)
                reply("ok")
            } else {
                reply("error restart-policy needs a name and a count")
            }
            dropClient(fd)
        default:
            reply("error unknown request: \(line.prefix(40))")
            dropClient(fd)
        }
    }

    static func resize(_ fd: Int32, rows: UInt16, cols: UInt16) {
        var size = winsize(ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(fd, UInt(TIOCSWINSZ), &size)
    }
}
