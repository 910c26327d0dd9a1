/// Reads a tar stream entry by entry, without holding more than one buffer of it.
///
/// Understands ustar, PAX (`path`, `linkpath`, `size`, `uid`, `gid`, `uname`, `gname`, `mtime`
/// with fractions, `SCHILY.xattr.*`, global headers) and GNU (`L`/`K` long names, base-256
/// numbers); verifies header checksums. Two zero blocks end the archive; one, or a clean end of
/// the stream at a header boundary, is accepted too. Errors name the entry concerned.
///
/// ```swift
/// let reader = TarReader(try DecompressingSource(FileDescriptorSource(fd: fd)))
/// while let entry = try reader.next() {
///     while case let chunk = try reader.contentChunk(), !chunk.isEmpty { ... }
/// }
/// ```
public final class TarReader<Source: ByteSource> {
    /// The stage below.
    public private(set) var source: Source
    /// The largest PAX or GNU long-name header accepted (default 8 MiB).
    public var maxExtensionSize = 8 << 20

    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// Stream offset of `buffer[0]`.
    private var bufferBase: Int64 = 0
    private var sourceEnded = false
    private var remaining: Int64 = 0
    private var padding = 0
    private var ended = false
    private var globals: [String: [UInt8]] = [:]
    private var currentPath = ""
    private var currentSize: Int64 = 0

    /// `bufferSize` (at least 64 KiB) is also the largest chunk `contentChunk` returns.
    public init(_ source: Source, bufferSize: Int = 1 << 20) {
        self.source = source
        buffer = .allocate(byteCount: max(bufferSize, 64 << 10), alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Bytes of the tar stream consumed so far.
    public var position: Int64 { bufferBase + Int64(start) }

    /// The next entry, skipping whatever is left of the current one's contents; nil at the end.
    public func next() throws -> TarEntry? {
        if ended { return nil }
        if remaining > 0 {
            try skip(remaining, truncated: truncatedContents)
            remaining = 0
        }
        if padding > 0 {
            // As Go's reader (docker's): a stream that ends right after an entry's contents,
            // without padding or end blocks, has ended (the docker CLI sends such contexts).
            guard try ensure(1) else {
                ended = true
                return nil
            }
            try skip(Int64(padding), truncated: truncatedContents)
            padding = 0
        }
        var local: [String: [UInt8]] = [:]
        var longName: [UInt8]?
        var longLink: [UInt8]?
        while true {
            let headerOffset = position
            guard try ensure(512) else {
                if end == start, local.isEmpty, longName == nil, longLink == nil {
                    ended = true
                    return nil
                }
                throw ArchiveError(.truncated, headerSubject(headerOffset, longName, local), "archive ends inside a header")
            }
            let header = UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: 512)
            if Self.isZeroBlock(header) {
                start += 512
                if try ensure(512), Self.isZeroBlock(UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: 512)) {
                    start += 512
                }
                ended = true
                return nil
            }
            let raw = try RawHeader(header, offset: headerOffset)
            let subjectName = local["path"].map { String(decoding: $0, as: UTF8.self) }
                ?? longName.map { String(decoding: $0, as: UTF8.self) }
                ?? String(decoding: raw.name, as: UTF8.self)
            let subject = ArchiveError.entry(subjectName)
            try raw.verifyChecksum(subject: subject)
            let size = try raw.number(124, 12, "size", subject: subject)
            if size < 0 { throw ArchiveError(.corrupt, subject, "negative size \(size)") }
            start += 512
            switch raw.typeflag {
            case UInt8(ascii: "x"):
                try Self.parsePAX(try readExtension(size, subject: subject), into: &local, subject: subject)
                continue
            case UInt8(ascii: "g"):
                var records: [String: [UInt8]] = [:]
                try Self.parsePAX(try readExtension(size, subject: subject), into: &records, subject: subject)
                for (key, value) in records {
                    if value.isEmpty { globals[key] = nil } else { globals[key] = value }
                }
                continue
            case UInt8(ascii: "L"):
                longName = Self.trimmedAtNUL(try readExtension(size, subject: subject))
                continue
            case UInt8(ascii: "K"):
                longLink = Self.trimmedAtNUL(try readExtension(size, subject: subject))
                continue
            default:
                break
            }
            var entry = try raw.entry(size: size, subject: subject)
            if let longName { entry.pathBytes = longName }
            if let longLink { entry.linkTargetBytes = longLink }
            if !globals.isEmpty || !local.isEmpty {
                var records = globals
                for (key, value) in local where !value.isEmpty { records[key] = value }
                try Self.apply(records, to: &entry, subject: subject)
            }
            if raw.typeflag == 0, entry.pathBytes.last == UInt8(ascii: "/") {
                entry.kind = .directory  // old (v7) archives mark directories by the slash alone
            }
            // Only regular files have contents; other types' size fields are ignored.
            let bodySize = entry.kind == .regular ? entry.size : 0
            if entry.kind != .regular { entry.size = 0 }
            remaining = bodySize
            padding = Int((512 - bodySize % 512) % 512)
            currentPath = entry.path
            currentSize = bodySize
            return entry
        }
    }

    /// The next piece of the current entry's contents, straight from the read buffer: valid until
    /// the next call on this reader; empty once the contents are all read.
    public func contentChunk(maxCount: Int = .max) throws -> UnsafeRawBufferPointer {
        if remaining == 0 || maxCount <= 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
        if start == end {
            bufferBase += Int64(end)
            start = 0
            end = sourceEnded ? 0 : try source.read(into: buffer)
            if end == 0 {
                sourceEnded = true
                throw truncatedContents()
            }
        }
        let count = Int(min(remaining, Int64(min(end - start, maxCount))))
        let chunk = UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: count)
        start += count
        remaining -= Int64(count)
        return chunk
    }

    /// Copies up to `destination.count` bytes of the current entry's contents; 0 at their end.
    public func readContents(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        var copied = 0
        while copied < destination.count {
            let chunk = try contentChunk(maxCount: destination.count - copied)
            if chunk.isEmpty { break }
            (destination.baseAddress! + copied).copyMemory(from: chunk.baseAddress!, byteCount: chunk.count)
            copied += chunk.count
        }
        return copied
    }

    /// Reads the source to its end (so observers below see every byte) and returns the length of
    /// the whole stream, end-of-archive blocks and anything after them included.
    @discardableResult
    public func drain() throws -> Int64 {
        ended = true
        remaining = 0
        padding = 0
        while !sourceEnded {
            bufferBase += Int64(end)
            start = 0
            end = try source.read(into: buffer)
            if end == 0 { sourceEnded = true }
        }
        start = end
        return bufferBase + Int64(end)
    }

    // MARK: Buffer

    /// Makes `count` bytes available at `start`; false if the stream ends first.
    private func ensure(_ count: Int) throws -> Bool {
        if end - start >= count { return true }
        if start > 0 {
            let pending = end - start
            if pending > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: pending) }
            bufferBase += Int64(start)
            start = 0
            end = pending
        }
        while end < count, !sourceEnded {
            let read = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
            if read == 0 { sourceEnded = true }
            end += read
        }
        return end - start >= count
    }

    private func skip(_ count: Int64, truncated: () -> ArchiveError) throws {
        var left = count
        while left > 0 {
            if start == end { try refill(or: truncated) }
            let step = Int(min(left, Int64(end - start)))
            start += step
            left -= Int64(step)
        }
    }

    /// Refills the emptied buffer from the source; `truncated` when the source has ended.
    private func refill(or truncated: () -> ArchiveError) throws {
        bufferBase += Int64(end)
        start = 0
        end = sourceEnded ? 0 : try source.read(into: buffer)
        if end == 0 {
            sourceEnded = true
            throw truncated()
        }
    }

    private func truncatedContents() -> ArchiveError {
        let missing = remaining > 0 ? "\(remaining) of \(currentSize) content bytes missing" : "padding missing"
        return ArchiveError(.truncated, ArchiveError.entry(currentPath), "archive truncated (\(missing))")
    }

    /// The body of a PAX or GNU long-name header, whole, then its padding.
    private func readExtension(_ size: Int64, subject: String) throws -> [UInt8] {
        if size > Int64(maxExtensionSize) {
            throw ArchiveError(.limit, subject, "extended header of \(size) bytes is over the \(maxExtensionSize)-byte limit")
        }
        let truncated = { ArchiveError(.truncated, subject, "archive ends inside an extended header") }
        var bytes = [UInt8]()
        bytes.reserveCapacity(Int(size))
        var left = Int(size)
        while left > 0 {
            if start == end { try refill(or: truncated) }
            let step = min(left, end - start)
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: step))
            start += step
            left -= step
        }
        try skip((512 - size % 512) % 512, truncated: truncated)
        return bytes
    }

    private func headerSubject(_ offset: Int64, _ longName: [UInt8]?, _ local: [String: [UInt8]]) -> String {
        if let path = local["path"] ?? longName { return ArchiveError.entry(String(decoding: path, as: UTF8.self)) }
        return "tar header at byte \(offset)" + (currentPath.isEmpty ? "" : " (after entry \"\(currentPath)\")")
    }

    // MARK: Parsing

    static func isZeroBlock(_ block: UnsafeRawBufferPointer) -> Bool {
        var accumulated: UInt64 = 0
        for index in stride(from: 0, to: 512, by: 8) {
            accumulated |= block.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        }
        return accumulated == 0
    }

    static func trimmedAtNUL(_ bytes: [UInt8]) -> [UInt8] {
        if let nul = bytes.firstIndex(of: 0) { return Array(bytes[..<nul]) }
        return bytes
    }

    /// Parses `LEN KEY=VALUE\n` records (values binary-safe); later records replace earlier ones.
    static func parsePAX(_ body: [UInt8], into records: inout [String: [UInt8]], subject: String) throws {
        var index = 0
        while index < body.count {
            if body[index] == 0 { break }  // some writers pad with NULs
            let recordStart = index
            var length = 0
            while index < body.count, body[index] >= 0x30, body[index] <= 0x39, length < 1 << 30 {
                length = length * 10 + Int(body[index] - 0x30)
                index += 1
            }
            guard index < body.count, body[index] == 0x20, length > index - recordStart + 1,
                  recordStart + length <= body.count, body[recordStart + length - 1] == 0x0a
            else { throw ArchiveError(.corrupt, subject, "bad PAX record at byte \(recordStart) of its header") }
            let keyStart = index + 1
            let recordEnd = recordStart + length - 1
            guard let equals = body[keyStart..<recordEnd].firstIndex(of: UInt8(ascii: "=")), equals > keyStart else {
                throw ArchiveError(.corrupt, subject, "bad PAX record at byte \(recordStart) of its header (no key)")
            }
            let key = String(decoding: body[keyStart..<equals], as: UTF8.self)
            records[key] = Array(body[(equals + 1)..<recordEnd])
            index = recordStart + length
        }
    }

    static func apply(_ records: [String: [UInt8]], to entry: inout TarEntry, subject: String) throws {
        for (key, value) in records {
            switch key {
            case "path": entry.pathBytes = value
            case "linkpath": entry.linkTargetBytes = value
            case "size": entry.size = try decimal(value, key, subject: subject, max: Int64.max)
            case "uid": entry.uid = UInt32(try decimal(value, key, subject: subject, max: Int64(UInt32.max)))
            case "gid": entry.gid = UInt32(try decimal(value, key, subject: subject, max: Int64(UInt32.max)))
            case "uname": entry.userName = String(decoding: value, as: UTF8.self)
            case "gname": entry.groupName = String(decoding: value, as: UTF8.self)
            case "mtime": entry.modificationTime = try timestamp(value, subject: subject)
            case "SCHILY.devmajor":
                entry.deviceMajor = UInt32(try decimal(value, key, subject: subject, max: Int64(UInt32.max)))
            case "SCHILY.devminor":
                entry.deviceMinor = UInt32(try decimal(value, key, subject: subject, max: Int64(UInt32.max)))
            default:
                if key.hasPrefix("SCHILY.xattr.") {
                    entry.xattrs[String(key.dropFirst("SCHILY.xattr.".count))] = value
                } else if key.hasPrefix("GNU.sparse.") {
                    throw ArchiveError(.unsupported, subject, "GNU sparse files are not supported")
                }
            }
        }
    }

    static func decimal(_ value: [UInt8], _ key: String, subject: String, max: Int64) throws -> Int64 {
        var result: Int64 = 0
        for byte in value {
            guard byte >= 0x30, byte <= 0x39, result <= (max - Int64(byte - 0x30)) / 10 else {
                throw ArchiveError(.corrupt, subject, "bad PAX \(key) \"\(String(decoding: value, as: UTF8.self))\"")
            }
            result = result * 10 + Int64(byte - 0x30)
        }
        if value.isEmpty { throw ArchiveError(.corrupt, subject, "empty PAX \(key)") }
        return result
    }

    /// `[-]seconds[.fraction]`.
    static func timestamp(_ value: [UInt8], subject: String) throws -> TarTimestamp {
        let bad = ArchiveError(.corrupt, subject, "bad PAX mtime \"\(String(decoding: value, as: UTF8.self))\"")
        var index = 0
        let negative = value.first == UInt8(ascii: "-")
        if negative { index = 1 }
        var seconds: Int64 = 0
        var digits = 0
        while index < value.count, value[index] != UInt8(ascii: ".") {
            let digit = value[index]
            guard digit >= 0x30, digit <= 0x39, seconds < Int64.max / 10 - 9 else { throw bad }
            seconds = seconds * 10 + Int64(digit - 0x30)
            index += 1
            digits += 1
        }
        var nanoseconds: Int32 = 0
        if index < value.count {
            index += 1
            var scale: Int32 = 100_000_000
            while index < value.count {
                let digit = value[index]
                guard digit >= 0x30, digit <= 0x39 else { throw bad }
                nanoseconds += Int32(digit - 0x30) * scale
                scale /= 10
                index += 1
                digits += 1
            }
        }
        if digits == 0 { throw bad }
        if negative {
            if nanoseconds > 0 { return TarTimestamp(seconds: -seconds - 1, nanoseconds: 1_000_000_000 - nanoseconds) }
            return TarTimestamp(seconds: -seconds)
        }
        return TarTimestamp(seconds: seconds, nanoseconds: nanoseconds)
    }
}

/// The fixed 512-byte header, before extensions are applied.
struct RawHeader {
    let block: UnsafeRawBufferPointer
    let offset: Int64
    let typeflag: UInt8
    let name: [UInt8]
    let isUstar: Bool
    let isGNU: Bool

    init(_ block: UnsafeRawBufferPointer, offset: Int64) throws {
        self.block = block
        self.offset = offset
        typeflag = block[156]
        let magic = Array(block[257..<263])
        isUstar = magic == Array("ustar\0".utf8)
        isGNU = magic == Array("ustar ".utf8)
        var name = RawHeader.field(block, 0, 100)
        if isUstar {
            let starTrailer = Array(block[508..<512]) == Array("tar\0".utf8)
            let prefix = RawHeader.field(block, 345, starTrailer ? 131 : 155)
            if !prefix.isEmpty { name = prefix + [UInt8(ascii: "/")] + name }
        }
        self.name = name
    }

    static func field(_ block: UnsafeRawBufferPointer, _ offset: Int, _ length: Int) -> [UInt8] {
        let slice = block[offset..<(offset + length)]
        if let nul = slice.firstIndex(of: 0) { return Array(block[offset..<nul]) }
        return Array(slice)
    }

    func verifyChecksum(subject: String) throws {
        guard let stored = RawHeader.octal(block, 148, 8) else {
            throw ArchiveError(.corrupt, subject, "bad header checksum field \(RawHeader.quoted(block, 148, 8))")
        }
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for index in 0..<512 {
            let byte = (148..<156).contains(index) ? UInt8(ascii: " ") : block[index]
            unsigned += Int64(byte)
            signed += Int64(Int8(bitPattern: byte))
        }
        if stored != unsigned, stored != signed {
            throw ArchiveError(.corrupt, subject, "header checksum mismatch (stored \(stored), computed \(unsigned))")
        }
    }

    /// An octal or base-256 number field.
    func number(_ offset: Int, _ length: Int, _ what: String, subject: String) throws -> Int64 {
        let first = block[offset]
        if first & 0x80 != 0 {
            // GNU base-256: big-endian two's complement, the top bit of the first byte a marker.
            let negative = first & 0x40 != 0
            var value: Int64 = 0
            for index in offset..<(offset + length) {
                var byte = block[index]
                if index == offset { byte &= 0x7f }
                if negative { byte = ~byte; if index == offset { byte &= 0x7f } }
                guard value <= Int64.max >> 8 else {
                    throw ArchiveError(.corrupt, subject, "\(what) field out of range")
                }
                value = value << 8 | Int64(byte)
            }
            return negative ? -value - 1 : value
        }
        guard let value = RawHeader.octal(block, offset, length) else {
            throw ArchiveError(.corrupt, subject, "bad \(what) field \(RawHeader.quoted(block, offset, length))")
        }
        return value
    }

    /// Octal digits, optionally surrounded by spaces and NULs; nil if anything else is there.
    static func octal(_ block: UnsafeRawBufferPointer, _ offset: Int, _ length: Int) -> Int64? {
        var index = offset
        let end = offset + length
        while index < end, block[index] == 0x20 || block[index] == 0 { index += 1 }
        var value: Int64 = 0
        while index < end, block[index] >= 0x30, block[index] <= 0x37 {
            if value > Int64.max >> 3 { return nil }
            value = value << 3 | Int64(block[index] - 0x30)
            index += 1
        }
        while index < end {
            if block[index] != 0x20, block[index] != 0 { return nil }
            index += 1
        }
        return value
    }

    static func quoted(_ block: UnsafeRawBufferPointer, _ offset: Int, _ length: Int) -> String {
        var text = "\""
        for byte in block[offset..<(offset + length)] {
            if byte >= 0x20, byte < 0x7f, byte != UInt8(ascii: "\"") {
                text.append(Character(Unicode.Scalar(byte)))
            } else if byte == 0 {
                text += "\\0"
            } else {
                let hex = String(byte, radix: 16)
                text += "\\x" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return text + "\""
    }

    func entry(size: Int64, subject: String) throws -> TarEntry {
        let kind: TarEntry.Kind
        switch typeflag {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .regular
        case UInt8(ascii: "1"): kind = .hardLink
        case UInt8(ascii: "2"): kind = .symbolicLink
        case UInt8(ascii: "3"): kind = .characterDevice
        case UInt8(ascii: "4"): kind = .blockDevice
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "6"): kind = .fifo
        case UInt8(ascii: "S"):
            throw ArchiveError(.unsupported, subject, "GNU sparse files are not supported")
        default:
            let shown = typeflag >= 0x20 && typeflag < 0x7f ? "'\(Character(Unicode.Scalar(typeflag)))'" : "\(typeflag)"
            throw ArchiveError(.unsupported, subject, "unsupported entry type \(shown)")
        }
        let mode = try number(100, 8, "mode", subject: subject)
        let uid = try number(108, 8, "uid", subject: subject)
        let gid = try number(116, 8, "gid", subject: subject)
        guard uid >= 0, uid <= Int64(UInt32.max), gid >= 0, gid <= Int64(UInt32.max) else {
            throw ArchiveError(.corrupt, subject, "uid/gid \(uid)/\(gid) out of range")
        }
        let mtime = try number(136, 12, "mtime", subject: subject)
        var major: Int64 = 0
        var minor: Int64 = 0
        if (isUstar || isGNU), kind == .characterDevice || kind == .blockDevice {
            major = try number(329, 8, "devmajor", subject: subject)
            minor = try number(337, 8, "devminor", subject: subject)
            guard major >= 0, major <= Int64(UInt32.max), minor >= 0, minor <= Int64(UInt32.max) else {
                throw ArchiveError(.corrupt, subject, "device number \(major):\(minor) out of range")
            }
        }
        let hasNames = isUstar || isGNU
        return TarEntry(
            kind: kind, pathBytes: name, linkTargetBytes: RawHeader.field(block, 157, 100), size: size,
            mode: UInt32(truncatingIfNeeded: mode) & 0o7777, uid: UInt32(uid), gid: UInt32(gid),
            userName: hasNames ? String(decoding: RawHeader.field(block, 265, 32), as: UTF8.self) : "",
            groupName: hasNames ? String(decoding: RawHeader.field(block, 297, 32), as: UTF8.self) : "",
            modificationTime: TarTimestamp(seconds: mtime), deviceMajor: UInt32(major), deviceMinor: UInt32(minor),
            xattrs: [:])
    }
}
