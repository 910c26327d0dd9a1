import Glibc

/// The executables `skiff` hands whole commands to (`skiff-registry`, `skiff-compose`), so the
/// CLI stays free of their libraries: found next to skiff's own executable, else in PATH.
enum HelperExecutable {
    static func locate(_ name: String) -> String? {
        var dirs: [String] = []
        if let exe = FileSystem.readLink("/proc/self/exe"), let slash = exe.lastIndex(of: "/") {
            dirs.append(String(exe[..<slash]))
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        dirs += path.split(separator: ":").map { $0.isEmpty ? "." : String($0) }
        for dir in dirs {
            let candidate = dir + "/" + name
            if access(candidate, X_OK) == 0, FileSystem.isRegularFile(candidate) { return candidate }
        }
        return nil
    }

    /// Replaces this process with `argv` (argv[0] is the path); returns only by throwing.
    static func exec(_ argv: [String]) throws -> Never {
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        execv(argv[0], &cArgs)
        let err = errno
        for p in cArgs { free(p) }
        throw CLIError("cannot run \(argv[0]): \(String(cString: strerror(err)))")
    }
}
