import Glibc
import SkiffArchive

/// `docker build -`: stdin is the context as a tar archive (compressed or not, sent as it
/// is), or else a Dockerfile, sent as a context holding only it (the docker CLI's
/// GetContextFromReader). Which one is told from the first 1024 bytes, as docker tells it.
struct StdinContext {
    /// How many bytes docker peeks at (two tar blocks).
    static let peekSize = 1024

    let fd: Int32
    /// The bytes read to tell (all of the input when it is shorter).
    let head: [UInt8]

    /// Reads the head of `fd`.
    init(fd: Int32) throws(CLIError) {
        self.fd = fd
        var head = [UInt8](repeating: 0, count: Self.peekSize)
        var count = 0
        while count < head.count {
            let n = head.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("failed to peek context header from STDIN: read /dev/stdin: \(errnoText(errno))")
            }
            if n == 0 { break }
            count += n
        }
        self.head = Array(head[..<count])
    }

    var isArchive: Bool { Self.isArchive(head) }

    /// Writes the whole input (the head, then the rest) to `sink`.
    func copy(to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try head.withUnsafeBytes { try sink($0) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("read /dev/stdin: \(errnoText(errno))")
            }
            if n == 0 { return }
            try chunk.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// The rest of the input after the head: the Dockerfile's text.
    func readAll() throws(CLIError) -> [UInt8] {
        do { return try head + FileSystem.readAll(fd: fd, what: "/dev/stdin") } catch { throw CLIError(errorText(error)) }
    }

    /// build.IsArchive: a compression's magic number, or a tar header archive/tar accepts
    /// within these bytes.
    static func isArchive(_ header: [UInt8]) -> Bool {
        let magics: [[UInt8]] = [[0x42, 0x5A, 0x68], [0x1F, 0x8B, 0x08], [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], [0x28, 0xB5, 0x2F, 0xFD]]
        if magics.contains(where: { header.starts(with: $0) }) { return true }
        if header.count >= 8 {
            let magic = UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24
            if magic & 0xFFFF_FFF0 == 0x184D_2A50 { return true }  // a zstd skippable frame
        }
        return firstTarHeader(header)
    }

    /// Whether `tar.Reader.Next` finds a header in `bytes` alone: a block with a valid
    /// checksum and size, after any PAX or GNU long-name headers (whose data must be there).
    static func firstTarHeader(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset + 512 <= bytes.count {
            let block = bytes[offset..<(offset + 512)]
            guard block.contains(where: { $0 != 0 }), checksumMatches(block),
                  let size = octal(block[(offset + 124)..<(offset + 136)]) else { return false }
            let data = offset + 512
            switch block[offset + 156] {
            case UInt8(ascii: "g"):
                return data + size <= bytes.count
            case UInt8(ascii: "x"), UInt8(ascii: "L"), UInt8(ascii: "K"):
                guard data + size <= bytes.count else { return false }
                offset = data + (size + 511) / 512 * 512
            default:
                return true
            }
        }
        return false
    }

    /// The stored checksum equals the unsigned or the signed sum of the block (its own
    /// field counted as spaces).
    private static func checksumMatches(_ block: ArraySlice<UInt8>) -> Bool {
        let start = block.startIndex
        guard let stored = octal(block[(start + 148)..<(start + 156)]) else { return false }
        var unsigned = 0, signed = 0
        for (index, byte) in block.enumerated() {
            let value = (148..<156).contains(index) ? UInt8(ascii: " ") : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        return stored == unsigned || stored == signed
    }

    /// archive/tar's parseOctal on a numeric field (NULs and spaces trimmed; base-256
    /// fields taken as valid).
    private static func octal(_ field: ArraySlice<UInt8>) -> Int? {
        if let first = field.first, first & 0x80 != 0 { return 0 }
        let trimmed = field.drop { $0 == 0 || $0 == 0x20 }.reversed().drop { $0 == 0 || $0 == 0x20 }.reversed()
        if trimmed.isEmpty { return 0 }
        return Int(String(decoding: trimmed, as: UTF8.self), radix: 8)
    }

    /// The context docker makes of a Dockerfile read from stdin: a tar of one file,
    /// `Dockerfile`, as written in a temporary directory (mode 0666 less the umask, owned
    /// by the user, mtime now).
    static func dockerfileArchive(_ contents: [UInt8], time: Int64) throws -> [UInt8] {
        let mask = umask(0)
        umask(mask)
        let entry = TarEntry(
            kind: .regular, path: "Dockerfile", mode: 0o666 & ~UInt32(mask), uid: getuid(), gid: getgid(),
            modificationTime: TarTimestamp(seconds: time))
        let tar = TarWriter(MemorySink(), bufferSize: 64 << 10)
        try tar.append(entry, contents: contents)
        try tar.finish()
        return tar.sink.bytes
    }
}
