import Glibc

/// Pumps a hijacked attach/exec connection until the output ends: local stdin to the
/// container (half-closing at EOF), the container's output to stdout/stderr (demuxed unless
/// it is a tty), signals to `onSignal`, and the detach keys recognised on a tty.
struct StreamSession {
    enum Outcome {
        /// The container's output ended (or, with no output attached, it exited).
        case ended
        /// The user typed the detach keys.
        case detached
    }

    let socket: Socket
    let tty: Bool
    /// Local stdin to forward, if attached.
    var input: Int32?
    var attachStdout = true
    var attachStderr = true
    /// The escape sequence that detaches (tty sessions only).
    var detachKeys: [UInt8] = [16, 17]
    /// A pending answer whose arrival ends a session that shows no output (the wait).
    var exitSignal: PendingRequest?
    /// Called for each caught signal number.
    var onSignal: (Int32) -> Void = { _ in }
    /// Called once the output ends, before anything else is printed (restores the terminal).
    var onOutputEnd: () -> Void = {}

    func run() throws -> Outcome {
        var demux = StreamDemux()
        var inputOpen = input != nil
        var matched = 0
        let showsOutput = attachStdout || attachStderr

        func deliver(_ bytes: ArraySlice<UInt8>) throws {
            if tty {
                Output.write(1, bytes)
                return
            }
            do {
                try demux.feed(bytes) { stream, piece in
                    Output.write(stream == .stderr ? 2 : 1, piece)
                }
            } catch {
                throw CLIError(error.description)
            }
        }

        if socket.buffered > 0 { try deliver(try socket.read()) }
        var buffer = [UInt8](repeating: 0, count: 32768)
        while true {
            if !showsOutput, let exitSignal, exitSignal.hasHead, exitSignal.socket.buffered > 0 {
                onOutputEnd()
                return .ended
            }
            var fds: [pollfd] = [pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)]
            let inputIndex = inputOpen ? fds.count : -1
            if inputOpen, let input { fds.append(pollfd(fd: input, events: Int16(POLLIN), revents: 0)) }
            let signalIndex = SignalPipe.readEnd >= 0 ? fds.count : -1
            if signalIndex >= 0 { fds.append(pollfd(fd: SignalPipe.readEnd, events: Int16(POLLIN), revents: 0)) }
            let exitIndex = !showsOutput && exitSignal != nil ? fds.count : -1
            if exitIndex >= 0, let exitSignal { fds.append(pollfd(fd: exitSignal.socket.fd, events: Int16(POLLIN), revents: 0)) }

            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("poll")
            }
            if signalIndex >= 0, fds[signalIndex].revents != 0 {
                for s in SignalPipe.drain() { onSignal(s) }
            }
            if exitIndex >= 0, fds[exitIndex].revents != 0 {
                onOutputEnd()
                return .ended
            }
            if fds[0].revents != 0 {
                let part = try socket.read()
                if part.isEmpty {
                    onOutputEnd()
                    if let error = demux.error { throw CLIError(error) }
                    return .ended
                }
                try deliver(part)
            }
            if inputIndex >= 0, fds[inputIndex].revents != 0, let input {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress!, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    inputOpen = false
                    socket.closeWrite()
                    if !showsOutput && exitSignal == nil { return .ended }
                    continue
                }
                var forward: [UInt8] = []
                forward.reserveCapacity(count)
                for b in buffer[0..<count] {
                    guard tty && !detachKeys.isEmpty else {
                        forward.append(b)
                        continue
                    }
                    if b == detachKeys[matched] {
                        matched += 1
                        if matched == detachKeys.count {
                            if !forward.isEmpty { try? socket.send(forward) }
                            onOutputEnd()
                            return .detached
                        }
                        continue
                    }
                    forward.append(contentsOf: detachKeys[0..<matched])
                    matched = b == detachKeys[0] ? 1 : 0
                    if matched == 0 { forward.append(b) }
                }
                if !forward.isEmpty {
                    do { try socket.send(forward) } catch { inputOpen = false }
                }
            }
        }
    }

    /// moby/term's ToBytes: "ctrl-p,ctrl-q", "a,b"; nil when the sequence is invalid.
    static func parseDetachKeys(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        for key in text.split(separator: ",", omittingEmptySubsequences: false) {
            let k = String(key)
            if k.count > 1 {
                guard k.lowercased().hasPrefix("ctrl-"), k.count == 6, let c = k.last?.lowercased().unicodeScalars.first else { return nil }
                switch c {
                case "a"..."z": out.append(UInt8(c.value) - 96)
                case "@": out.append(0)
                case "[": out.append(27)
                case "\\": out.append(28)
                case "]": out.append(29)
                case "^": out.append(30)
                case "_": out.append(31)
                default: return nil
                }
            } else if let c = k.unicodeScalars.first, c.isASCII {
                out.append(UInt8(c.value))
            } else {
                return nil
            }
        }
        return out
    }
}
