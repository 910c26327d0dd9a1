import Glibc

/// Writes a tar stream: ustar headers, with a PAX extended header in front of an entry whose
/// name or link is too long (or not ASCII), whose ids, size or mtime do not fit (or the mtime has
/// a fraction), or that has xattrs. Output is a function of the entries alone: no host names,
/// times or pids leak in (PAX headers are named `dir/PaxHeaders.0/name`, as Go writes them).
///
/// For a regular file, `append` the header and then write exactly `size` bytes of contents.
/// `finish()` writes the two zero blocks and finishes the sink.
public final class TarWriter<Sink: ByteSink> {
    /// The stage below.
    public private(set) var sink: Sink
    /// Bytes of tar stream produced so far (buffered ones included).
    public private(set) var bytesWritten: Int64 = 0

    private let buffer: UnsafeMutableRawBufferPointer
    private var count = 0
    private var remaining: Int64 = 0
    private var padding = 0
    private var currentPath = ""
    private var finished = false

    public init(_ sink: Sink, bufferSize: Int = 1 << 20) {
        self.sink = sink
        buffer = .allocate(byteCount: max(bufferSize, 64 << 10), alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Writes the header(s) of `entry`. A regular file's `size` bytes of contents must follow
    /// (`writeContents`) before the next `append`.
    public func append(_ entry: TarEntry) throws {
        precondition(!finished, "TarWriter: append after finish")
        try checkComplete()
        var entry = entry
        if entry.kind == .directory, entry.pathBytes.last != UInt8(ascii: "/") { entry.pathBytes.append(UInt8(ascii: "/")) }
        if entry.kind != .regular { entry.size = 0 }
        let subject = ArchiveError.entry(entry.path)
        if entry.pathBytes.isEmpty { throw ArchiveError(.corrupt, subject, "empty path") }
        if entry.pathBytes.contains(0) || entry.linkTargetBytes.contains(0) {
            throw ArchiveError(.corrupt, subject, "path or link target contains NUL")
        }
        if entry.size < 0 { throw ArchiveError(.corrupt, subject, "negative size") }

        var records: [(String, [UInt8])] = []
        var name: (name: ArraySlice<UInt8>, prefix: ArraySlice<UInt8>)
        if let split = Self.splitUSTAR(entry.pathBytes) {
            name = split
        } else {
            records.append(("path", entry.pathBytes))
            name = (entry.pathBytes.prefix(100), [])
        }
        var link = entry.linkTargetBytes[...]
        if link.count > 100 || !Self.isASCII(link) {
            records.append(("linkpath", entry.linkTargetBytes))
            link = link.prefix(100)
        }
        let maxSize: Int64 = 0o77777777777
        let maxID: UInt32 = 0o7777777
        if entry.size > maxSize { records.append(("size", Array(String(entry.size).utf8))) }
        if entry.uid > maxID { records.append(("uid", Array(String(entry.uid).utf8))) }
        if entry.gid > maxID { records.append(("gid", Array(String(entry.gid).utf8))) }
        var userName = Array(entry.userName.utf8)[...]
        if userName.count > 32 || !Self.isASCII(userName) {
            records.append(("uname", Array(userName)))
            userName = []
        }
        var groupName = Array(entry.groupName.utf8)[...]
        if groupName.count > 32 || !Self.isASCII(groupName) {
            records.append(("gname", Array(groupName)))
            groupName = []
        }
        let time = entry.modificationTime
        if time.nanoseconds != 0 || time.seconds < 0 || time.seconds > maxSize {
            records.append(("mtime", Array(time.description.utf8)))
        }
        if entry.deviceMajor > maxID || entry.deviceMinor > maxID {
            throw ArchiveError(.unsupported, subject, "device number \(entry.deviceMajor):\(entry.deviceMinor) does not fit a tar header")
        }
        for key in entry.xattrs.keys.sorted() {
            records.append(("SCHILY.xattr." + key, entry.xattrs[key]!))
        }

        if !records.isEmpty {
            var body: [UInt8] = []
            for (key, value) in records { Self.appendRecord(key, value, to: &body) }
            let base = entry.pathBytes.last == UInt8(ascii: "/") ? entry.pathBytes.dropLast() : entry.pathBytes[...]
            let slash = base.lastIndex(of: UInt8(ascii: "/"))
            let directory = slash.map { Array(base[...$0]) } ?? []
            let file = slash.map { Array(base[($0 + 1)...]) } ?? Array(base)
            let paxName = Array((directory + Array("PaxHeaders.0/".utf8) + file).prefix(100))
            try writeHeader(
                name: paxName[...], prefix: [], typeflag: UInt8(ascii: "x"), size: Int64(body.count), mode: 0o644,
                uid: 0, gid: 0, mtime: 0, link: [], userName: [], groupName: [], major: 0, minor: 0)
            try body.withUnsafeBytes { try put($0) }
            try putZeros((512 - body.count % 512) % 512)
        }

        let typeflag: UInt8 = switch entry.kind {
        case .regular: UInt8(ascii: "0")
        case .hardLink: UInt8(ascii: "1")
        case .symbolicLink: UInt8(ascii: "2")
        case .characterDevice: UInt8(ascii: "3")
        case .blockDevice: UInt8(ascii: "4")
        case .directory: UInt8(ascii: "5")
        case .fifo: UInt8(ascii: "6")
        }
        try writeHeader(
            name: name.name, prefix: name.prefix, typeflag: typeflag, size: entry.size > maxSize ? 0 : entry.size,
            mode: entry.mode & 0o7777, uid: Int64(entry.uid > maxID ? 0 : entry.uid),
            gid: Int64(entry.gid > maxID ? 0 : entry.gid),
            mtime: time.seconds < 0 || time.seconds > maxSize ? 0 : time.seconds, link: link,
            userName: userName, groupName: groupName,
            major: Int64(entry.deviceMajor), minor: Int64(entry.deviceMinor))
        remaining = entry.size
        padding = Int((512 - entry.size % 512) % 512)
        currentPath = entry.path
        if remaining == 0 { try putZeros(padding); padding = 0 }
    }

    /// Writes contents of the current regular file; the total must come to its `size`.
    public func writeContents(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count > remaining {
            throw ArchiveError(.limit, ArchiveError.entry(currentPath), "\(bytes.count) content bytes written where \(remaining) remained")
        }
        try put(bytes)
        remaining -= Int64(bytes.count)
        if remaining == 0 { try putZeros(padding); padding = 0 }
    }

    /// Writes the rest of the current regular file's contents by reading `fd`, straight into the
    /// output buffer. A file that ends early is an error (it changed while being archived).
    public func writeContents(fromFileDescriptor fd: Int32) throws {
        while remaining > 0 {
            if count == buffer.count { try flush() }
            let room = Int(min(Int64(buffer.count - count), remaining))
            let read = Glibc.read(fd, buffer.baseAddress! + count, room)
            if read < 0 {
                if errno == EINTR { continue }
                throw ArchiveError.system(ArchiveError.entry(currentPath), "read")
            }
            if read == 0 {
                throw ArchiveError(.truncated, ArchiveError.entry(currentPath), "file shrank while being archived (\(remaining) bytes short)")
            }
            count += read
            bytesWritten += Int64(read)
            remaining -= Int64(read)
        }
        try putZeros(padding)
        padding = 0
    }

    /// Appends an entry and its whole contents.
    public func append(_ entry: TarEntry, contents: [UInt8]) throws {
        var entry = entry
        if entry.kind == .regular { entry.size = Int64(contents.count) }
        try append(entry)
        if entry.kind == .regular { try contents.withUnsafeBytes { try writeContents($0) } }
    }

    /// Writes the end-of-archive blocks, flushes, and finishes the sink.
    public func finish() throws {
        if finished { return }
        try checkComplete()
        try putZeros(1024)
        try flush()
        finished = true
        try sink.finish()
    }

    // MARK: Internals

    private func checkComplete() throws {
        if remaining > 0 {
            throw ArchiveError(.truncated, ArchiveError.entry(currentPath), "\(remaining) content bytes not written")
        }
    }

    private func flush() throws {
        if count > 0 {
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            count = 0
        }
    }

    private func put(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            if count == buffer.count { try flush() }
            let step = min(bytes.count - offset, buffer.count - count)
            (buffer.baseAddress! + count).copyMemory(from: bytes.baseAddress! + offset, byteCount: step)
            count += step
            offset += step
        }
        bytesWritten += Int64(bytes.count)
    }

    private func putZeros(_ total: Int) throws {
        var left = total
        while left > 0 {
            if count == buffer.count { try flush() }
            let step = min(left, buffer.count - count)
            (buffer.baseAddress! + count).initializeMemory(as: UInt8.self, repeating: 0, count: step)
            count += step
            left -= step
        }
        bytesWritten += Int64(total)
    }

    private func writeHeader(
        name: ArraySlice<UInt8>, prefix: ArraySlice<UInt8>, typeflag: UInt8, size: Int64, mode: UInt32,
        uid: Int64, gid: Int64, mtime: Int64, link: ArraySlice<UInt8>, userName: ArraySlice<UInt8>,
        groupName: ArraySlice<UInt8>, major: Int64, minor: Int64
    ) throws {
        var block = [UInt8](repeating: 0, count: 512)
        func text(_ bytes: ArraySlice<UInt8>, _ offset: Int) {
            for (index, byte) in bytes.enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int64, _ offset: Int, _ length: Int) {
            var value = value
            for index in stride(from: offset + length - 2, through: offset, by: -1) {
                block[index] = UInt8(ascii: "0") + UInt8(value & 7)
                value >>= 3
            }
        }
        text(name, 0)
        octal(Int64(mode), 100, 8)
        octal(uid, 108, 8)
        octal(gid, 116, 8)
        octal(size, 124, 12)
        octal(mtime, 136, 12)
        block[156] = typeflag
        text(link, 157)
        text(Array("ustar\0".utf8)[...], 257)
        text(Array("00".utf8)[...], 263)
        text(userName, 265)
        text(groupName, 297)
        octal(major, 329, 8)
        octal(minor, 337, 8)
        text(prefix, 345)
        for index in 148..<156 { block[index] = UInt8(ascii: " ") }
        var sum: Int64 = 0
        for byte in block { sum += Int64(byte) }
        octal(sum, 148, 7)
        try block.withUnsafeBytes { try put($0) }
    }

    /// (name, prefix) fitting ustar's 100 + 155 bytes, or nil.
    static func splitUSTAR(_ path: [UInt8]) -> (name: ArraySlice<UInt8>, prefix: ArraySlice<UInt8>)? {
        guard isASCII(path[...]) else { return nil }
        if path.count <= 100 { return (path[...], []) }
        if path.count > 256 { return nil }
        guard let slash = path[..<min(path.count, 156)].lastIndex(of: UInt8(ascii: "/")), slash > 0 else { return nil }
        let nameLength = path.count - slash - 1
        if nameLength == 0 || nameLength > 100 { return nil }
        return (path[(slash + 1)...], path[..<slash])
    }

    static func isASCII(_ bytes: ArraySlice<UInt8>) -> Bool { !bytes.contains { $0 >= 0x80 } }

    /// `LEN key=value\n`, LEN counting itself.
    static func appendRecord(_ key: String, _ value: [UInt8], to body: inout [UInt8]) {
        let base = key.utf8.count + value.count + 3
        var length = base + String(base).count
        if String(length).count != String(base).count { length = base + String(length).count }
        body.append(contentsOf: Array("\(length) \(key)=".utf8))
        body.append(contentsOf: value)
        body.append(0x0a)
    }
}
