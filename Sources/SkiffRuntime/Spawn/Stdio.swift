import Glibc

/// The container process's fds 0, 1 and 2. Each given fd is duplicated onto
/// its number in the child just before exec; -1 keeps the caller's.
public struct Stdio: Sendable, Equatable {
    public var input: Int32
    public var output: Int32
    public var error: Int32

    public init(input: Int32 = -1, output: Int32 = -1, error: Int32 = -1) {
        self.input = input
        self.output = output
        self.error = error
    }

    /// The caller's own stdio, as runc passes it.
    public static let inherited = Stdio()

    /// Copies of the given fds numbered 3 or above (close-on-exec), so that
    /// the child's dup2 onto 0..2 never overwrites one it still needs.
    /// The caller closes them with `closeAll()`.
    func raised() throws(RuntimeError) -> Stdio {
        func raise(_ fd: Int32) throws(RuntimeError) -> Int32 {
            guard fd >= 0 else { return -1 }
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, 3)
            guard copy >= 0 else { throw .system("stdio", "dup \(fd)") }
            return copy
        }
        var result = Stdio()
        do {
            result.input = try raise(input)
            result.output = try raise(output)
            result.error = try raise(error)
        } catch {
            result.closeAll()
            throw error
        }
        return result
    }

    func closeAll() {
        for fd in [input, output, error] where fd >= 0 { close(fd) }
    }
}
