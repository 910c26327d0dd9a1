import CSkiffSpawn
import FoundationEssentials
import Glibc
import SkiffOCI

/// Runs OCI hooks from the runtime's side: the container state on stdin,
/// the hook's own args and env, killed when its timeout passes.
enum HookRunner {
    static func run(_ hooks: [RuntimeSpec.Hook]?, kind: String, state: RuntimeState) throws(RuntimeError) {
        guard let hooks, !hooks.isEmpty else { return }
        let json: [UInt8]
        do {
            json = Array(try JSONEncoder().encode(state))
        } catch {
            throw RuntimeError(stage: "hook", "encode state: \(error)")
        }
        for (i, hook) in hooks.enumerated() {
            try run(hook, stdin: json, name: "\(kind)[\(i)] \(hook.path)")
        }
    }

    static func run(_ hook: RuntimeSpec.Hook, stdin: [UInt8], name: String) throws(RuntimeError) {
        // A socket, not a pipe: a hook that exits without reading its stdin
        // (`/bin/false`) must fail the hook, not kill the runtime with SIGPIPE.
        var pipefd: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pipefd) == 0 else {
            throw .system("hook", "socketpair")
        }
        let args = hook.args ?? [hook.path]
        let env = hook.env ?? []
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipefd[0], 0)

        var pid: pid_t = 0
        let rc = withCStrings(args) { argv in
            withCStrings(env) { envp in
                posix_spawn(&pid, hook.path, &actions, nil, argv, envp)
            }
        }
        close(pipefd[0])
        guard rc == 0 else {
            close(pipefd[1])
            throw .system("hook", "\(name): spawn", errno: rc)
        }
        _ = stdin.withUnsafeBytes { send(pipefd[1], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(pipefd[1])

        let status = try wait(pid, timeoutSeconds: hook.timeout, name: name)
        guard status == 0 else {
            throw RuntimeError(stage: "hook", "\(name): exited with status \(status)")
        }
    }

    /// Waits for `pid`, killing it when the timeout passes; returns the exit status.
    static func wait(_ pid: pid_t, timeoutSeconds: Int?, name: String) throws(RuntimeError) -> Int32 {
        var waited = 0
        let limitMillis = (timeoutSeconds ?? 0) * 1000
        while true {
            var status: Int32 = 0
            let r = waitpid(pid, &status, limitMillis > 0 ? WNOHANG : 0)
            if r == pid { return ExitStatus.code(status) }
            if r < 0 && errno != EINTR { throw .system("hook", "\(name): waitpid") }
            if limitMillis > 0 {
                if waited >= limitMillis {
                    kill(pid, SIGKILL)
                    _ = waitpid(pid, &status, 0)
                    throw RuntimeError(stage: "hook", "\(name): timed out after \(timeoutSeconds!)s")
                }
                usleep(5_000)
                waited += 5
            }
        }
    }
}

/// Wait statuses as shells report them: the exit code, or 128 + signal.
public enum ExitStatus {
    public static func code(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        if signal == 0 { return (status >> 8) & 0xff }
        return 128 + signal
    }
}

/// Calls `body` with a NULL-terminated C array of `strings`.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
