import Glibc

/// `skiff run`: create, attach before start, wait, start, stream, exit with the
/// container's code (docker's runContainer).
enum RunCommand {
    static let spec = CommandSpec(
        name: "run", usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]", summary: "Create and run a new container from an image",
        aliasPaths: ["skiff container run", "skiff run"],
        flags: ContainerOptions.flags + [
            .bool("detach", "d", "Run container in background and print container ID"),
            .value("detach-keys", .string, "Override the key sequence for detaching a container"),
            .bool("sig-proxy", "Proxy received signals to the process"),
        ],
        interspersed: false, shortHelp: false, arguments: .atLeast(1), run: run)

    static func run(_ inv: Invocation) throws {
        let f = inv.flags
        var request: ContainerOptions.Request
        do {
            request = try ContainerOptions.request(f, environment: Environment.current(), workingDirectory: currentDirectory())
        } catch {
            throw withHelp(error.message, status: 125)
        }
        let detach = f.bool("detach")
        let sigProxy = f.isSet("sig-proxy") ? f.bool("sig-proxy") : true
        if !detach {
            if request.tty && request.attachStdin && !Terminal.isTerminal(0) {
                throw CLIError("the input device is not a TTY")
            }
        } else {
            if f.isSet("attach") { throw CLIError("conflicting options: cannot specify both --attach and --detach") }
            request.attachStdin = false
            request.attachStdout = false
            request.attachStderr = false
            if case .object(var config) = request.body {
                config["AttachStdin"] = false
                config["AttachStdout"] = false
                config["AttachStderr"] = false
                config["StdinOnce"] = false
                request.body = .object(config)
            }
        }

        let client = try inv.client
        let id: String
        do { id = try ContainerCreation.create(inv, request) } catch { throw statusError(error) }

        let attach = request.attachStdin || request.attachStdout || request.attachStderr
        if !attach { Output.line(id) }
        let detachKeys = f.string("detach-keys")
        let stream = attach
            ? try Attaching.attach(client, id: id, stdin: request.attachStdin, stdout: request.attachStdout, stderr: request.attachStderr, detachKeys: detachKeys)
            : nil
        let wait = try Attaching.beginWait(client, id: id, removed: request.autoRemove)
        do {
            try client.call("POST", "/containers/\(id)/start")
        } catch {
            if request.autoRemove { _ = Attaching.exitCode(client, wait) }
            throw statusError(error)
        }
        guard let stream else { return }
        let outcome = try Attaching.stream(
            client, socket: stream, tty: request.tty, stdin: request.attachStdin, stdout: request.attachStdout,
            stderr: request.attachStderr, detachKeys: detachKeys, resizePath: "/containers/\(id)/resize",
            killPath: sigProxy ? "/containers/\(id)/kill" : nil, exitSignal: wait)
        if case .detached = outcome { return }
        let status = Attaching.exitCode(client, wait)
        if status != 0 { throw CLIError.exit(status) }
    }

    /// docker's toStatusError: 127 when the command was not found, 126 when it could not be
    /// run, else 125; the message gets the "--help" hint.
    static func statusError(_ error: any Error) -> CLIError {
        if let e = error as? CLIError, e.message.isEmpty { return e }
        let message = errorText(error)
        var status: Int32 = 125
        if message.contains("executable file not found") || message.contains("no such file or directory")
            || message.contains("system cannot find the file specified")
        {
            status = 127
        } else if message.contains("permission denied") || message.contains("is a directory") {
            status = 126
        }
        return withHelp(message, status: status)
    }

    static func withHelp(_ message: String, status: Int32, command: String = "run") -> CLIError {
        CLIError("skiff: \(message)\n\nRun 'skiff \(command) --help' for more information", status: status)
    }
}

/// The process's working directory.
func currentDirectory() -> String {
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buf, buf.count) != nil else { return "/" }
    return String(cChars: buf)
}
