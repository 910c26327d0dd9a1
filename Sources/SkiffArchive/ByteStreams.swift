import Glibc

/// A pull-based stream of bytes: a file, a decompressor, a tee.
///
/// Stages compose by wrapping: `DecompressingSource(ObservingSource(FileDescriptorSource(fd)))`
/// hands out uncompressed bytes while the observer sees the compressed ones.
public protocol ByteSource {
    /// Reads up to `buffer.count` bytes into `buffer` and returns how many; 0 only at the end of
    /// the stream (never for an empty `buffer`, which callers must not pass).
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A push-based stream of bytes: a file, a compressor, a tee.
public protocol ByteSink {
    /// Takes all of `bytes`.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Ends the stream: flushes buffers and writes trailers (a compressor's), then finishes the
    /// stage below. Closes no file descriptor.
    mutating func finish() throws
}

/// Reads a file descriptor (a file, a pipe, a socket) with read(2). Does not close it.
public struct FileDescriptorSource: ByteSource, Sendable {
    public let fd: Int32

    public init(fd: Int32) { self.fd = fd }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw ArchiveError.system("file descriptor \(fd)", "read")
        }
    }
}

/// Writes to a file descriptor with write(2), retrying short writes. Does not close it.
public struct FileDescriptorSink: ByteSink {
    public let fd: Int32

    public init(fd: Int32) { self.fd = fd }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        try writeAll(fd, bytes, subject: "file descriptor \(fd)")
    }

    public mutating func finish() throws {}
}

/// Passes a source's bytes through unchanged, showing each chunk to `observer` first: a hash of
/// the compressed blob, a byte count, a progress bar.
public struct ObservingSource<Base: ByteSource>: ByteSource {
    public var base: Base
    /// Called with every chunk read, in order, before it is handed on.
    public var observer: (UnsafeRawBufferPointer) throws -> Void
    /// Bytes passed through so far.
    public private(set) var byteCount: Int64 = 0

    public init(_ base: Base, observer: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.base = base
        self.observer = observer
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try base.read(into: buffer)
        if count > 0 {
            try observer(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            byteCount += Int64(count)
        }
        return count
    }
}

/// Passes bytes through to a sink unchanged, showing each chunk to `observer` first.
public struct ObservingSink<Base: ByteSink>: ByteSink {
    public var base: Base
    /// Called with every chunk written, in order, before it is handed on.
    public var observer: (UnsafeRawBufferPointer) throws -> Void
    /// Bytes passed through so far.
    public private(set) var byteCount: Int64 = 0

    public init(_ base: Base, observer: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.base = base
        self.observer = observer
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.isEmpty { return }
        try observer(bytes)
        byteCount += Int64(bytes.count)
        try base.write(bytes)
    }

    public mutating func finish() throws { try base.finish() }
}

/// Bytes held in memory as a source: small archives, headers, tests.
public struct MemorySource: ByteSource {
    public let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset)
        if count > 0 {
            bytes.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
            }
            offset += count
        }
        return count
    }
}

/// Collects what is written in memory: small archives, tests.
public struct MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    /// Whether `finish()` was called.
    public private(set) var isFinished = false

    public init() {}

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes.append(contentsOf: bytes) }
    public mutating func finish() throws { isFinished = true }
}

/// Reads until `buffer` is full or the source ends; returns the count.
func readFully<S: ByteSource>(_ source: inout S, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    var filled = 0
    while filled < buffer.count {
        let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
        if count == 0 { break }
        filled += count
    }
    return filled
}

/// write(2) until all of `bytes` is written, retrying EINTR and short writes.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, subject: @autoclosure () -> String) throws {
    guard var pointer = bytes.baseAddress else { return }
    var left = bytes.count
    while left > 0 {
        let count = Glibc.write(fd, pointer, left)
        if count < 0 {
            if errno == EINTR { continue }
            throw ArchiveError.system(subject(), "write")
        }
        if count == 0 { throw ArchiveError.system(subject(), "write", errno: EIO) }
        pointer += count
        left -= count
    }
}
