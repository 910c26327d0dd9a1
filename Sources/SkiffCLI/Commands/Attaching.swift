import Glibc

/// What run, start -a, attach and exec share: the attach stream, the wait that gives the
/// exit code, terminal setup, resizes and proxied signals.
enum Attaching {
    /// POST /containers/{id}/attach, hijacked.
    static func attach(
        _ client: APIClient, id: String, stdin: Bool, stdout: Bool, stderr: Bool, detachKeys: String?
    ) throws -> Socket {
        var q = Query()
        q.add("stream", "1")
        q.flag("stdin", stdin)
        q.flag("stdout", stdout)
        q.flag("stderr", stderr)
        if let detachKeys, !detachKeys.isEmpty { q.add("detachKeys", detachKeys) }
        return try client.hijack("/containers/\(id)/attach", query: q)
    }

    /// Sends POST /containers/{id}/wait before the start, as docker does, and gives the daemon
    /// a moment to take it in (dockerd answers with its headers at once); the exit code is
    /// read later by `exitCode`.
    static func beginWait(_ client: APIClient, id: String, removed: Bool) throws -> PendingRequest {
        let pending = try client.post("/containers/\(id)/wait", query: ["condition": removed ? "removed" : "next-exit"])
        pending.awaitAnswer(milliseconds: 1000)
        return pending
    }

    /// The container's exit code from a wait; 125 when waiting failed.
    static func exitCode(_ client: APIClient, _ pending: PendingRequest) -> Int32 {
        let response: HTTPResponse
        do { response = try client.answer(to: pending) } catch {
            Output.error("error waiting for container: \(errorText(error))")
            return 125
        }
        guard let bytes = try? response.body.readAll(), let json = try? JSON.parse(bytes) else {
            Output.error("error waiting for container: the daemon's answer was cut short")
            return 125
        }
        if let message = json["Error"]?["Message"]?.string, !message.isEmpty {
            Output.error("Error waiting for container: \(message)")
            return 125
        }
        return Int32(truncatingIfNeeded: json["StatusCode"]?.int ?? 0)
    }

    /// Streams an attached session: raw terminal when stdin is a tty session, resizes on
    /// SIGWINCH (`resizePath` is the container's or exec's resize endpoint), signals sent
    /// to `killPath` when proxied.
    static func stream(
        _ client: APIClient, socket: Socket, tty: Bool, stdin: Bool, stdout: Bool, stderr: Bool, detachKeys: String?,
        resizePath: String?, killPath: String?, exitSignal: PendingRequest? = nil
    ) throws -> StreamSession.Outcome {
        var keys: [UInt8] = [16, 17]
        if let detachKeys, !detachKeys.isEmpty {
            if let parsed = StreamSession.parseDetachKeys(detachKeys) {
                keys = parsed
            } else {
                Output.error("WARNING: invalid detach escape keys, using default")
            }
        }
        let terminal = Terminal(fd: 0)
        defer { terminal.restore() }
        if stdin && tty && Terminal.isTerminal(0) {
            try terminal.makeRaw()
        }
        var signals: [Int32] = []
        if killPath != nil { signals += SignalPipe.proxied }
        if resizePath != nil && tty && Terminal.isTerminal(1) {
            signals.append(SIGWINCH)
            resize(client, resizePath!, retries: 10)
        }
        if !signals.isEmpty { SignalPipe.catchSignals(signals) }
        var session = StreamSession(socket: socket, tty: tty)
        session.input = stdin ? 0 : nil
        session.attachStdout = stdout
        session.attachStderr = stderr
        session.detachKeys = keys
        session.exitSignal = exitSignal
        session.onOutputEnd = { terminal.restore() }
        session.onSignal = { signo in
            if signo == SIGWINCH {
                if let resizePath { resize(client, resizePath, retries: 0) }
            } else if let killPath, let name = SignalPipe.name(signo) {
                _ = try? client.call("POST", killPath, query: ["signal": name])
            }
        }
        return try session.run()
    }

    /// Sends the local terminal's size; retried briefly while the container is starting.
    static func resize(_ client: APIClient, _ path: String, retries: Int) {
        guard let size = Terminal.size(1), size.rows > 0 || size.columns > 0 else { return }
        for attempt in 0...retries {
            do {
                try client.call("POST", path, query: ["h": String(size.rows), "w": String(size.columns)])
                return
            } catch {
                if attempt < retries { usleep(UInt32(attempt + 1) * 10_000) }
            }
        }
        if retries > 0 { Output.error("failed to resize tty, using default size") }
    }

    /// The terminal's size for HostConfig.ConsoleSize ([0, 0] when stdout is not a terminal).
    static var consoleSize: JSON {
        guard let size = Terminal.size(1) else { return [0, 0] }
        return [.number(size.rows), .number(size.columns)]
    }
}
