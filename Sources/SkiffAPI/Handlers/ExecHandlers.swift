import FoundationEssentials
import SkiffEngine
import SkiffMonitor
import Synchronization

/// Exec routes: `POST /containers/{id}/exec`, `/exec/{id}/start|resize|json`.
func registerExecRoutes(_ router: inout Router, engine: Engine) {
    router.post("/containers/{id}/exec") { request in
        let config = try await request.body.decode(ExecConfig.self)
        let exec = ExecRecord(
            args: config.cmd ?? [], env: config.env ?? [], user: config.user ?? "", workingDir: config.workingDir ?? "",
            tty: config.tty ?? false, privileged: config.privileged ?? false, attachStdin: config.attachStdin ?? false,
            attachStdout: config.attachStdout ?? false, attachStderr: config.attachStderr ?? false, detachKeys: config.detachKeys, consoleSize: config.consoleSize)
        if let keys = config.detachKeys { _ = try DetachKeys(keys) }
        let id = try await engine.execCreate(request.param("id"), exec)
        return try .json(IDResponse(id: id), status: 201)
    }

    router.post("/exec/{id}/start") { request in
        let id = request.param("id")
        let start = try await request.body.decode(ExecStartConfig.self, allowEmpty: true)
        let exec = try await engine.execInspect(id)
        let connection = try await engine.execStart(id, tty: start.tty ?? exec.tty, consoleSize: start.consoleSize)
        let tty = start.tty ?? exec.tty
        if start.detach ?? false {
            // Answered once the process started (or failed to), as dockerd does.
            let first = await withCheckedContinuation { (started: CheckedContinuation<ExecEvent?, Never>) in
                Task {
                    var waiting: CheckedContinuation<ExecEvent?, Never>? = started
                    for await frame in connection.frames() where frame.stream == Frame.control {
                        let event = await record(frame.payload, exec: id)
                        waiting?.resume(returning: event)
                        waiting = nil
                    }
                    waiting?.resume(returning: nil)
                    connection.close()
                    await engine.execEnded(id)
                }
            }
            if let error = first?.error { throw APIError.badRequest(execFailure(error)) }
            return APIResponse(status: 200)
        }
        let keys = try DetachKeys(exec.detachKeys).forTerminal(tty)
        let contentType = tty || !request.apiVersionAtLeast("1.42") ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"
        return .hijack(contentType: contentType) { client in
            defer { connection.close() }
            let detached = Mutex(false)
            let input = Task {
                let left = try await Pump.forwardInput(from: client, to: connection, stdin: exec.attachStdin, keys: keys)
                detached.withLock { $0 = left }
            }
            for await frame in connection.frames() {
                if frame.stream == Frame.control {
                    // A process that could not start: dockerd writes why to the stream.
                    if let error = await record(frame.payload, exec: id)?.error {
                        let text = Array((execFailure(error) + "\r\n").utf8)
                        try await client.write(tty ? text : Frame.encode(stream: Frame.stdout, text))
                    }
                } else {
                    try await client.write(tty ? frame.payload : Frame.encode(stream: frame.stream, frame.payload))
                }
            }
            input.cancel()
            // Detached: the process runs on; else the stream ended with it.
            if !detached.withLock({ $0 }) { await engine.execEnded(id) }
            try? await client.closeWrite()
        }
    }

    @Sendable @discardableResult func record(_ payload: [UInt8], exec: String) async -> ExecEvent? {
        guard let event = try? JSONDecoder().decode(ExecEvent.self, from: Data(payload)) else { return nil }
        await engine.execEvent(exec, event)
        return event
    }

    /// dockerd's wording for an exec whose process could not start.
    @Sendable func execFailure(_ error: String) -> String {
        "OCI runtime exec failed: exec failed: unable to start container process: \(error): unknown"
    }

    router.post("/exec/{id}/resize") { request in
        guard let h = try request.query.int("h"), let w = try request.query.int("w") else {
            throw APIError.badRequest("resize: h and w are required")
        }
        try await engine.execResize(request.param("id"), rows: h, cols: w)
        return APIResponse(status: 200)
    }

    router.get("/exec/{id}/json") { request in
        let exec = try await engine.execInspect(request.param("id"))
        let response = ExecInspectResponse(
            id: exec.id, running: exec.running, exitCode: exec.exitCode.map(Int.init),
            processConfig: .init(privileged: exec.privileged, user: exec.user, tty: exec.tty,
                                 entrypoint: exec.args.first ?? "", arguments: Array(exec.args.dropFirst())),
            openStdin: exec.attachStdin, openStderr: exec.attachStderr, openStdout: exec.attachStdout,
            containerID: exec.containerID, pid: Int(exec.pid))
        return try .json(response)
    }
}
