import CSkiffSpawn
import FoundationEssentials
import Glibc
import SkiffRuntime

/// A process started by `exec`, its stdio held by the monitor.
struct ExecSession {
    var client: Int32
    var stdinWrite: Int32 = -1
    var outputs: [Int32: UInt8] = [:]
    var pty: Int32 = -1
    var attachStdout: Bool
    var attachStderr: Bool
}

extension Monitor {
    func startExec(_ fd: Int32, json: String) {
        func fail(_ message: String) {
            let event = (try? JSONEncoder().encode(ExecEvent(error: message))).map(Array.init) ?? []
            _ = UnixSocket.writeAll(fd, Frame.encode(stream: Frame.control, event))
            dropClient(fd)
        }
        guard let request = try? JSONDecoder().decode(ExecRequest.self, from: Data(json.utf8)) else {
            return fail("exec: malformed request")
        }
        guard status.state == .running else { return fail("container is not running") }
        var session = ExecSession(client: fd, attachStdout: request.attachStdout, attachStderr: request.attachStderr)
        var stdio = Stdio()
        var childEnds: [Int32] = []
        defer { for end in childEnds { close(end) } }
        let tty = request.process.terminal == true
        if !tty {
            var fds: [Int32] = [0, 0]
            if request.attachStdin, skiff_pipe_cloexec(&fds) == 0 {
                stdio.input = fds[0]
                session.stdinWrite = fds[1]
                childEnds.append(fds[0])
            } else {
                stdio.input = open("/dev/null", O_RDONLY | O_CLOEXEC)
                childEnds.append(stdio.input)
            }
            for stream in [Frame.stdout, Frame.stderr] {
                guard skiff_pipe_cloexec(&fds) == 0 else { return fail("pipe: \(errnoText())") }
                session.outputs[fds[0]] = stream
                childEnds.append(fds[1])
                if stream == Frame.stdout { stdio.output = fds[1] } else { stdio.error = fds[1] }
            }
        }
        let pid: Int32
        do {
            pid = try runtime.startExec(id: config.id, options: .init(
                process: request.process, consoleSocket: tty ? config.consoleSocket : nil, stdio: stdio))
        } catch {
            for out in session.outputs.keys { close(out) }
            if session.stdinWrite >= 0 { close(session.stdinWrite) }
            return fail(error.description)
        }
        if tty {
            session.pty = receiveConsole()
            if session.pty >= 0 {
                session.outputs[session.pty] = Frame.stdout
                session.stdinWrite = session.pty
            }
        }
        for out in session.outputs.keys { _ = fcntl(out, F_SETFL, fcntl(out, F_GETFL) | O_NONBLOCK) }
        execs[pid] = session
        clients[fd]?.kind = .exec(pid: pid)
        sendEvent(fd, ExecEvent(pid: pid))
    }

    func pumpExecOutput(pid: Int32, fd: Int32) {
        guard let session = execs[pid], let stream = session.outputs[fd] else { return }
        var buffer = [UInt8](repeating: 0, count: 32 * 1024)
        let n = read(fd, &buffer, buffer.count)
        if n > 0 {
            forward(session, stream: stream, buffer[0..<n])
        } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
            execs[pid]?.outputs[fd] = nil
            if fd != session.pty { close(fd) }
        }
    }

    func forward(_ session: ExecSession, stream: UInt8, _ data: ArraySlice<UInt8>) {
        guard (stream == Frame.stdout && session.attachStdout) || (stream == Frame.stderr && session.attachStderr) else { return }
        _ = UnixSocket.writeAll(session.client, Frame.encode(stream: stream, data))
    }

    func execExited(pid: Int32, status ws: Int32) {
        guard let session = execs.removeValue(forKey: pid) else { return }
        for (fd, stream) in session.outputs {
            var buffer = [UInt8](repeating: 0, count: 32 * 1024)
            while true {
                let n = read(fd, &buffer, buffer.count)
                guard n > 0 else { break }
                forward(session, stream: stream, buffer[0..<n])
            }
            close(fd)
        }
        if session.stdinWrite >= 0 && session.stdinWrite != session.pty { close(session.stdinWrite) }
        sendEvent(session.client, ExecEvent(exitCode: ExitStatus.code(ws)))
        dropClient(session.client)
    }

    func sendEvent(_ fd: Int32, _ event: ExecEvent) {
        guard let json = try? JSONEncoder().encode(event) else { return }
        _ = UnixSocket.writeAll(fd, Frame.encode(stream: Frame.control, Array(json)))
    }
}
