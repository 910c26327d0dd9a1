import Foundation

/// Compose's output: progress lines and warnings on stderr, results on stdout, one writer
/// at a time (log followers write from several threads).
enum Console {
    private static let lock = NSLock()

    static func out(_ text: String) { write(1, text + "\n") }
    static func err(_ text: String) { write(2, text + "\n") }

    static func warn(_ text: String) { err("WARN[0000] \(text)") }

    /// A resource's progress line, as compose's plain progress prints it: ` Container web-1  Started`.
    static func event(_ kind: String, _ name: String, _ status: String) {
        err(" \(kind) \(name)  \(status)")
    }

    static func write(_ fd: Int32, _ text: String) {
        lock.lock()
        defer { lock.unlock() }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue } else { return } }
            bytes = bytes.dropFirst(n)
        }
    }

    static var stdoutIsTerminal: Bool { isatty(1) == 1 }
    static var stdinIsTerminal: Bool { isatty(0) == 1 }
}

/// An error that ends a compose command with its message.
struct ComposeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
