import Glibc

/// Starts `skiffd` when nothing answers on the default socket: the executable next to
/// skiff's own, else the first in PATH; detached (its own session, stdio to
/// `<execRoot>/skiffd.log`); then waits for it to answer.
struct DaemonLauncher {
    /// skiff's own executable (its directory is searched first).
    var executable: String?
    /// The search path after that directory.
    var searchPath: String
    /// Where the log goes (the default socket's directory).
    var execRoot: String
    /// How long to wait for the daemon to answer.
    var timeout: Double = 5

    /// The launcher for this process: its /proc/self/exe and $PATH.
    static func forCurrentProcess() -> DaemonLauncher {
        DaemonLauncher(
            executable: FileSystem.readLink("/proc/self/exe"),
            searchPath: getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin",
            execRoot: "/run/skiff")
    }

    /// The skiffd to run, if any.
    func locate() -> String? {
        var dirs: [String] = []
        if let exe = executable, let slash = exe.lastIndex(of: "/") {
            dirs.append(String(exe[..<slash]))
        }
        dirs += searchPath.split(separator: ":").map { $0.isEmpty ? "." : String($0) }
        for dir in dirs {
            let candidate = dir + "/skiffd"
            if access(candidate, X_OK) == 0, FileSystem.isRegularFile(candidate) { return candidate }
        }
        return nil
    }

    /// Launches the daemon and polls `ready` until it answers, the daemon exits, or the
    /// timeout passes.
    func start(ready: () -> Bool) throws {
        guard let daemon = locate() else {
            throw CLIError("Cannot connect to the skiff daemon at \(DaemonAddress.default). Is the skiff daemon running? (skiffd was not found next to skiff or in PATH)")
        }
        FileSystem.makeDirectories(execRoot, mode: 0o711)
        let log = execRoot + "/skiffd.log"
        let pid = try spawnDetached([daemon], log: log)
        let deadline = Clock.monotonic() + timeout
        while Clock.monotonic() < deadline {
            if ready() { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw CLIError("skiffd exited before answering (see \(log))")
            }
            usleep(20_000)
        }
        throw CLIError("skiffd did not answer at \(DaemonAddress.default) within \(Int(timeout)) seconds (see \(log))")
    }

    /// glibc's POSIX_SPAWN_SETSID (not imported into Swift).
    private static let spawnSetsid: Int16 = 0x80

    /// Runs `argv` in a new session with stdin from /dev/null and stdout/stderr to `log`.
    private func spawnDetached(_ argv: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, DaemonLauncher.spawnSetsid)
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgs, environ)
        guard rc == 0 else { throw SystemError("start \(argv[0])", errno: rc) }
        return pid
    }
}
