import CZlib
import CZstd
import Glibc

/// How a layer's tar stream is compressed, with the level used when writing.
public struct Compression: Sendable, Hashable, CustomStringConvertible {
    public enum Algorithm: Sendable, Hashable {
        case none, gzip, zstd
    }

    public var algorithm: Algorithm
    /// gzip: zlib's 0...9, or -1 for its default (6, what Docker's `gzip.DefaultCompression` is);
    /// zstd: 1...22 (or negative for the fast levels); ignored for `none`.
    public var level: Int32

    public init(_ algorithm: Algorithm, level: Int32) {
        self.algorithm = algorithm
        self.level = level
    }

    /// An uncompressed tar stream (`application/vnd.oci.image.layer.v1.tar`).
    public static let none = Compression(.none, level: 0)
    /// gzip at zlib's default level, as Docker writes layers (`...layer.v1.tar+gzip`).
    public static let gzip = Compression(.gzip, level: -1)
    /// zstd at level 3, libzstd's and containerd's default (`...layer.v1.tar+zstd`).
    public static let zstd = Compression(.zstd, level: 3)
    public static func gzip(level: Int32) -> Compression { Compression(.gzip, level: level) }
    public static func zstd(level: Int32) -> Compression { Compression(.zstd, level: level) }

    /// The algorithm whose magic number starts `prefix` (gzip `1f 8b`, zstd `28 b5 2f fd`),
    /// else `.none`. Four bytes are enough; fewer can only be `.none` or gzip.
    public static func detect(_ prefix: UnsafeRawBufferPointer) -> Algorithm {
        if prefix.count >= 2, prefix[0] == 0x1f, prefix[1] == 0x8b { return .gzip }
        if prefix.count >= 4, prefix[0] == 0x28, prefix[1] == 0xb5, prefix[2] == 0x2f, prefix[3] == 0xfd {
            return .zstd
        }
        return .none
    }

    public var description: String {
        switch algorithm {
        case .none: "none"
        case .gzip: level < 0 ? "gzip" : "gzip(level: \(level))"
        case .zstd: "zstd(level: \(level))"
        }
    }
}

// MARK: - Decompression

/// Decompresses a gzip or zstd stream, or passes a plain one through, choosing by the magic
/// bytes at its start.
///
/// Concatenated gzip members and zstd frames are read as one stream; zeros after the last gzip
/// member are skipped. A stream that ends early, or is corrupt, is an error naming the format.
public final class DecompressingSource<Base: ByteSource>: ByteSource {
    /// The stage below, holding compressed bytes.
    public private(set) var base: Base
    /// What the first bytes said.
    public let algorithm: Compression.Algorithm

    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var baseEnded = false
    private var finished = false

    private var gzip: (any GzipInflater)?
    private var gzipBetweenMembers = false
    private var zstd: OpaquePointer?
    private var zstdFrameDone = true

    /// Reads the first bytes of `base` to tell the format. A gzip stream is inflated by
    /// `inflater` (zlib's unless a faster one is given).
    public init(_ base: Base, bufferSize: Int = 1 << 20, inflater: any GzipInflater.Type = ZlibInflater.self) throws {
        self.base = base
        input = .allocate(byteCount: max(bufferSize, 4096), alignment: 16)
        do {
            inputEnd = try readFully(&self.base, into: UnsafeMutableRawBufferPointer(rebasing: input[..<4]))
            if inputEnd < 4 { baseEnded = true }
        } catch {
            input.deallocate()
            throw error
        }
        algorithm = Compression.detect(UnsafeRawBufferPointer(rebasing: input[..<inputEnd]))
        switch algorithm {
        case .none:
            break
        case .gzip:
            do {
                gzip = try inflater.init()
            } catch {
                input.deallocate()
                throw error
            }
        case .zstd:
            guard let context = ZSTD_createDStream() else {
                input.deallocate()
                throw ArchiveError(.system, "zstd stream", "ZSTD_createDStream failed", errno: ENOMEM)
            }
            ZSTD_initDStream(context)
            zstd = context
        }
    }

    deinit {
        if let zstd { ZSTD_freeDStream(zstd) }
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if buffer.isEmpty || finished { return 0 }
        switch algorithm {
        case .none: return try readPlain(into: buffer)
        case .gzip: return try readGzip(into: buffer)
        case .zstd: return try readZstd(into: buffer)
        }
    }

    /// Refills the (drained) input buffer with one read; false at the end of `base`.
    private func refill() throws -> Bool {
        if baseEnded { return false }
        inputStart = 0
        inputEnd = try base.read(into: input)
        if inputEnd == 0 { baseEnded = true }
        return inputEnd > 0
    }

    private func readPlain(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if inputStart < inputEnd {
            let count = min(buffer.count, inputEnd - inputStart)
            buffer.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: count)
            inputStart += count
            return count
        }
        if baseEnded { return 0 }
        let count = try base.read(into: buffer)
        if count == 0 { baseEnded = true }
        return count
    }

    private func readGzip(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let inflater = gzip!
        while true {
            if gzipBetweenMembers {
                guard try startNextGzipMember() else {
                    finished = true
                    return 0
                }
            }
            if inputStart == inputEnd { _ = try refill() }
            // Called even on no input: an inflater may hold decoded bytes the last output lacked room for.
            let step = try inflater.inflate(
                UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]),
                into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, Int(UInt32.max))]))
            inputStart += step.consumed
            if step.memberEnded { gzipBetweenMembers = true }
            if step.produced > 0 { return step.produced }
            if step.memberEnded { continue }
            if inputStart == inputEnd {
                if !(try refill()) { throw ArchiveError(.truncated, "gzip stream", "unexpected end of data") }
            } else if step.consumed == 0 {
                // It needs more input than is buffered.
                guard inputEnd - inputStart < input.count else { throw ArchiveError(.corrupt, "gzip stream", "inflater made no progress") }
                if !(try refillKeeping()) { throw ArchiveError(.truncated, "gzip stream", "unexpected end of data") }
            }
        }
    }

    /// After a member's end: true if another member follows (the inflater is reset for it), false
    /// at the end of the stream (only zeros may follow the last member).
    private func startNextGzipMember() throws -> Bool {
        while true {
            if inputStart == inputEnd, !(try refill()) { return false }
            if input[inputStart] == 0x1f {
                if inputEnd - inputStart < 2 {
                    if try refillKeeping() { continue }
                    throw ArchiveError(.truncated, "gzip stream", "unexpected end of data")
                }
                guard input[inputStart + 1] == 0x8b else {
                    throw ArchiveError(.corrupt, "gzip stream", "garbage after a gzip member")
                }
                gzip!.reset()
                gzipBetweenMembers = false
                return true
            }
            if UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]).contains(where: { $0 != 0 }) {
                throw ArchiveError(.corrupt, "gzip stream", "garbage after a gzip member")
            }
            inputStart = inputEnd
        }
    }

    /// Moves unread input to the front and appends one read; false at the end of `base`.
    private func refillKeeping() throws -> Bool {
        if baseEnded { return false }
        let pending = inputEnd - inputStart
        input.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: pending)
        inputStart = 0
        inputEnd = pending
        let count = try base.read(into: UnsafeMutableRawBufferPointer(rebasing: input[pending...]))
        if count == 0 { baseEnded = true }
        inputEnd += count
        return count > 0
    }

    private func readZstd(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let context = zstd!
        while true {
            if inputStart == inputEnd, !baseEnded { _ = try refill() }
            if inputStart == inputEnd, baseEnded, zstdFrameDone {
                finished = true
                return 0
            }
            var inBuffer = ZSTD_inBuffer(
                src: input.baseAddress! + inputStart, size: inputEnd - inputStart, pos: 0)
            var outBuffer = ZSTD_outBuffer(dst: buffer.baseAddress!, size: buffer.count, pos: 0)
            let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
            if ZSTD_isError(hint) != 0 {
                let name = String(cString: ZSTD_getErrorName(hint))
                throw ArchiveError(.corrupt, "zstd stream", "corrupt data (\(name))")
            }
            inputStart += inBuffer.pos
            zstdFrameDone = hint == 0
            if outBuffer.pos > 0 { return outBuffer.pos }
            if inputStart == inputEnd, baseEnded {
                if !zstdFrameDone { throw ArchiveError(.truncated, "zstd stream", "unexpected end of data") }
                finished = true
                return 0
            }
        }
    }
}

// MARK: - gzip inflaters

/// Inflates one gzip member at a time for `DecompressingSource`: header, deflate data, and the
/// trailer's CRC-32 and length checked. zlib's is the default; the daemon passes ISA-L's
/// (`SkiffIgzip`), which a static executable cannot link.
public protocol GzipInflater: AnyObject {
    init() throws
    /// Inflates from `input` into `output` (at least one of them used up, or the member ended).
    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> GzipStep
    /// Makes ready for the next member, after one ended.
    func reset()
}

/// What one `GzipInflater.inflate` call did.
public struct GzipStep: Sendable {
    public var consumed: Int
    public var produced: Int
    /// The member's trailer was read and matched: the next bytes are another member or the end.
    public var memberEnded: Bool

    public init(consumed: Int, produced: Int, memberEnded: Bool) {
        self.consumed = consumed
        self.produced = produced
        self.memberEnded = memberEnded
    }
}

/// zlib's inflate (`inflateInit2` with gzip framing).
public final class ZlibInflater: GzipInflater {
    private let stream: UnsafeMutablePointer<z_stream>

    public init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        if czlib_inflate_init2(stream, 15 + 16) != Z_OK {
            stream.deallocate()
            throw ArchiveError(.system, "gzip stream", "inflateInit2 failed", errno: ENOMEM)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    public func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> GzipStep {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let status = CZlib.inflate(stream, Z_NO_FLUSH)
        let step = GzipStep(
            consumed: input.count - Int(stream.pointee.avail_in), produced: output.count - Int(stream.pointee.avail_out),
            memberEnded: status == Z_STREAM_END)
        switch status {
        case Z_STREAM_END, Z_OK, Z_BUF_ERROR:
            return step
        default:
            let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
            throw ArchiveError(.corrupt, "gzip stream", "corrupt data (\(detail))")
        }
    }

    public func reset() {
        inflateReset(stream)
    }
}

// MARK: - Compression

/// Compresses what is written to it with gzip or zstd (or passes it through for `.none`) and
/// writes the result to `base` in large chunks. `finish()` ends the stream and then `base`.
public final class CompressingSink<Base: ByteSink>: ByteSink {
    /// The stage below, receiving compressed bytes.
    public private(set) var base: Base
    public let compression: Compression

    private let output: UnsafeMutableRawBufferPointer
    private var outputCount = 0
    private var zstream: UnsafeMutablePointer<z_stream>?
    private var zstd: OpaquePointer?
    private var finished = false

    public init(_ base: Base, compression: Compression, bufferSize: Int = 1 << 20) throws {
        self.base = base
        self.compression = compression
        output = .allocate(byteCount: max(bufferSize, 4096), alignment: 16)
        switch compression.algorithm {
        case .none:
            break
        case .gzip:
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            let status = czlib_deflate_init2(stream, compression.level, 15 + 16)
            if status != Z_OK {
                stream.deallocate()
                output.deallocate()
                throw ArchiveError(.system, "gzip stream", "deflateInit2 (level \(compression.level)) failed: \(status)", errno: status == Z_MEM_ERROR ? ENOMEM : EINVAL)
            }
            zstream = stream
        case .zstd:
            guard let context = ZSTD_createCCtx() else {
                output.deallocate()
                throw ArchiveError(.system, "zstd stream", "ZSTD_createCCtx failed", errno: ENOMEM)
            }
            let status = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, compression.level)
            if ZSTD_isError(status) != 0 {
                ZSTD_freeCCtx(context)
                output.deallocate()
                throw ArchiveError(.corrupt, "zstd stream", "level \(compression.level): \(String(cString: ZSTD_getErrorName(status)))")
            }
            // A content checksum per frame, as the zstd tool and containerd write.
            _ = ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
            zstd = context
        }
    }

    deinit {
        if let zstream {
            deflateEnd(zstream)
            zstream.deallocate()
        }
        if let zstd { ZSTD_freeCCtx(zstd) }
        output.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.isEmpty { return }
        precondition(!finished, "CompressingSink: write after finish")
        switch compression.algorithm {
        case .none: try base.write(bytes)
        case .gzip: try deflateChunk(bytes, flush: Z_NO_FLUSH)
        case .zstd: try zstdChunk(bytes, end: false)
        }
    }

    public func finish() throws {
        if finished { return }
        finished = true
        switch compression.algorithm {
        case .none: break
        case .gzip: try deflateChunk(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH)
        case .zstd: try zstdChunk(UnsafeRawBufferPointer(start: nil, count: 0), end: true)
        }
        try flushOutput()
        try base.finish()
    }

    private func flushOutput() throws {
        if outputCount > 0 {
            try base.write(UnsafeRawBufferPointer(rebasing: output[..<outputCount]))
            outputCount = 0
        }
    }

    private func deflateChunk(_ bytes: UnsafeRawBufferPointer, flush: Int32) throws {
        let stream = zstream!
        var offset = 0
        while true {
            let chunk = min(bytes.count - offset, Int(UInt32.max))
            stream.pointee.next_in = chunk > 0
                ? UnsafeMutablePointer(mutating: (bytes.baseAddress! + offset).assumingMemoryBound(to: Bytef.self))
                : nil
            stream.pointee.avail_in = uInt(chunk)
            let room = output.count - outputCount
            stream.pointee.next_out = (output.baseAddress! + outputCount).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(room)
            let status = deflate(stream, flush)
            offset += chunk - Int(stream.pointee.avail_in)
            outputCount += room - Int(stream.pointee.avail_out)
            if status == Z_STREAM_ERROR {
                throw ArchiveError(.corrupt, "gzip stream", "deflate failed")
            }
            if outputCount == output.count { try flushOutput() }
            if flush == Z_FINISH {
                if status == Z_STREAM_END { return }
            } else if offset == bytes.count, stream.pointee.avail_out > 0 {
                return
            }
        }
    }

    private func zstdChunk(_ bytes: UnsafeRawBufferPointer, end: Bool) throws {
        let context = zstd!
        var inBuffer = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while true {
            var outBuffer = ZSTD_outBuffer(
                dst: output.baseAddress! + outputCount, size: output.count - outputCount, pos: 0)
            let remaining = ZSTD_compressStream2(context, &outBuffer, &inBuffer, end ? ZSTD_e_end : ZSTD_e_continue)
            if ZSTD_isError(remaining) != 0 {
                throw ArchiveError(.corrupt, "zstd stream", "compression failed (\(String(cString: ZSTD_getErrorName(remaining))))")
            }
            outputCount += outBuffer.pos
            if outputCount == output.count { try flushOutput() }
            if end {
                if remaining == 0 { return }
            } else if inBuffer.pos == inBuffer.size {
                return
            }
        }
    }
}
