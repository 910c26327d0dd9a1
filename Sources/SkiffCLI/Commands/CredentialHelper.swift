import Glibc

/// docker's credential helpers: `docker-credential-NAME get|store|erase` on PATH, the
/// server URL (get, erase) or `{"ServerURL","Username","Secret"}` (store) on stdin,
/// `{"ServerURL","Username","Secret"}` out of get. A username of `<token>` marks an
/// identity token.
enum CredentialHelper {
    static let notFound = "credentials not found in native keychain"

    /// The helper's credentials for `server`; nil when it has none.
    static func get(_ helper: String, server: String) throws -> (username: String, secret: String)? {
        let (status, out, err) = try run(helper, "get", input: Array(server.utf8))
        let text = String(decoding: out + err, as: UTF8.self).trimmingWhitespace
        guard status == 0 else {
            if text.contains(notFound) { return nil }
            throw CLIError("error getting credentials - err: exit status \(status), out: `\(text)`")
        }
        guard let parsed = try? JSON.parse(out[...]), let username = parsed["Username"]?.string,
              let secret = parsed["Secret"]?.string else {
            throw CLIError("error getting credentials - err: invalid output from docker-credential-\(helper): `\(text)`")
        }
        if username.isEmpty && secret.isEmpty { return nil }
        return (username, secret)
    }

    static func store(_ helper: String, server: String, username: String, secret: String) throws {
        var object = JSONObject()
        object["ServerURL"] = .string(server)
        object["Username"] = .string(username)
        object["Secret"] = .string(secret)
        let (status, out, err) = try run(helper, "store", input: Array(JSON.object(object).compact.utf8))
        guard status == 0 else {
            let text = String(decoding: out + err, as: UTF8.self).trimmingWhitespace
            throw CLIError("Error saving credentials: error storing credentials - err: exit status \(status), out: `\(text)`")
        }
    }

    /// false when the helper had nothing for `server`.
    static func erase(_ helper: String, server: String) throws -> Bool {
        let (status, out, err) = try run(helper, "erase", input: Array(server.utf8))
        guard status == 0 else {
            let text = String(decoding: out + err, as: UTF8.self).trimmingWhitespace
            if text.contains(notFound) { return false }
            throw CLIError("error erasing credentials - err: exit status \(status), out: `\(text)`")
        }
        return true
    }

    /// Runs `docker-credential-HELPER ACTION` (found on PATH) with `input` on stdin.
    static func run(_ helper: String, _ action: String, input: [UInt8]) throws -> (Int32, [UInt8], [UInt8]) {
        let program = "docker-credential-" + helper
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw CLIError("credential helper: pipe: \(String(cString: strerror(errno)))")
        }
        // Only the dup2'd copies reach the helper.
        for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var cArgs: [UnsafeMutablePointer<CChar>?] = [strdup(program), strdup(action), nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, program, &actions, nil, &cArgs, environ)
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1])
            close(outPipe[0])
            close(errPipe[0])
            throw CLIError("error getting credentials - err: exec: \"\(program)\": executable file not found in $PATH, out: ``")
        }
        // Small messages: the whole input fits in the pipe; then both outputs are drained.
        input.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(inPipe[1], raw.baseAddress! + off, raw.count - off)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                off += n
            }
        }
        close(inPipe[1])
        var out: [UInt8] = [], err: [UInt8] = []
        var fds = [pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0), pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)]
        var open = 2
        var buf = [UInt8](repeating: 0, count: 4096)
        while open > 0 {
            if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue } else { break } }
            for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = read(fds[i].fd, &buf, buf.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    close(fds[i].fd)
                    fds[i].fd = -1
                    open -= 1
                } else if i == 0 {
                    out += buf[0..<n]
                } else {
                    err += buf[0..<n]
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (code, out, err)
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\n" || c == "\r" || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\n" || c == "\r" || c == "\t" { s.removeLast() }
        return String(s)
    }
}
