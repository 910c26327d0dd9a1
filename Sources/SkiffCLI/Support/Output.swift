import Glibc

/// Writes to file descriptors without stdio buffering surprises: every call writes all
/// its bytes (retrying short writes and EINTR).
enum Output {
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write(fd, $0) }
    }

    static func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { write(fd, $0) }
    }

    static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { write(fd, UnsafeRawBufferPointer($0)) }
    }

    /// Writes `text` and a newline to stdout.
    static func line(_ text: String) { write(1, text + "\n") }

    /// Writes `text` and a newline to stderr.
    static func error(_ text: String) { write(2, text + "\n") }
}
