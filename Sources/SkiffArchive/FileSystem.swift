import CZlib
import Glibc

/// `O_PATH` (not exported by Swift's Glibc module).
let O_PATH_FLAG: Int32 = 0o10000000
/// `AT_EMPTY_PATH` (likewise).
let AT_EMPTY_PATH_FLAG: Int32 = 0x1000

/// Calls `body` with `bytes` as a NUL-terminated C string.
@inline(__always)
func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
    var terminated = bytes
    terminated.append(0)
    return try terminated.withUnsafeBufferPointer { buffer in
        try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
    }
}

/// Archive paths, cleaned lexically as Go's `filepath.Clean` does before Docker joins them to
/// the root.
enum TarPath {
    /// The path relative to the root (`a/b`, or empty for the root itself): `/` and `.`
    /// components dropped, `..` applied; nil if a `..` would climb above the root.
    static func clean(_ bytes: [UInt8]) -> [UInt8]? {
        var components: [ArraySlice<UInt8>] = []
        for component in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if component.count == 1, component.first == UInt8(ascii: ".") { continue }
            if component.count == 2, component.first == UInt8(ascii: "."), component.last == UInt8(ascii: ".") {
                if components.isEmpty { return nil }
                components.removeLast()
                continue
            }
            components.append(component)
        }
        return Array(components.joined(separator: [UInt8(ascii: "/")]))
    }

    /// (parent, name) of a cleaned, non-empty path.
    static func split(_ path: [UInt8]) -> (parent: [UInt8], name: [UInt8]) {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return ([], path) }
        return (Array(path[..<slash]), Array(path[(slash + 1)...]))
    }

    static func join(_ parent: [UInt8], _ name: [UInt8]) -> [UInt8] {
        parent.isEmpty ? name : parent + [UInt8(ascii: "/")] + name
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}

/// The names in a directory (not `.` and `..`), in the order readdir gives them.
public func listDirectory(_ fd: Int32, subject: @autoclosure () -> String) throws -> [[UInt8]] {
    let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
    if copy < 0 { throw ArchiveError.system(subject(), "dup") }
    guard let stream = fdopendir(copy) else {
        let code = errno
        close(copy)
        throw ArchiveError.system(subject(), "fdopendir", errno: code)
    }
    defer { closedir(stream) }
    rewinddir(stream)
    var names: [[UInt8]] = []
    while true {
        errno = 0
        guard let entry = readdir(stream) else {
            if errno != 0 { throw ArchiveError.system(subject(), "readdir") }
            break
        }
        let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
            pointer.withMemoryRebound(to: UInt8.self, capacity: 256) { bytes in
                Array(UnsafeBufferPointer(start: bytes, count: strlen(UnsafeRawPointer(bytes).assumingMemoryBound(to: CChar.self))))
            }
        }
        if name == [0x2e] || name == [0x2e, 0x2e] { continue }
        names.append(name)
    }
    return names
}

/// Removes `name` in `directory` and, if it is a directory, everything below it, without
/// following symlinks. A missing `name` is not an error.
func removeAll(in directory: Int32, _ name: [UInt8], subject: @autoclosure () -> String) throws {
    try withCString(name) { cName in
        if unlinkat(directory, cName, 0) == 0 || errno == ENOENT { return }
        guard errno == EISDIR || errno == EPERM else { throw ArchiveError.system(subject(), "unlink") }
        let fd = openat(directory, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { throw ArchiveError.system(subject(), "open for removal") }
        do {
            for child in try listDirectory(fd, subject: subject()) {
                try removeAll(in: fd, child, subject: subject())
            }
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        if unlinkat(directory, cName, AT_REMOVEDIR) != 0, errno != ENOENT {
            throw ArchiveError.system(subject(), "rmdir")
        }
    }
}

/// `/proc/self/fd/N/name`: a path naming `name` in the directory open as `fd` without a symlink
/// walk of its own (the magic link is the directory), for calls that only take paths
/// (`lsetxattr`, `llistxattr`).
func procPath(_ fd: Int32, _ name: [UInt8]) -> [UInt8] {
    Array("/proc/self/fd/\(fd)/".utf8) + name
}

/// Extended attributes of the file at `path` (not following a final symlink), names sorted.
func readXattrs(path: [UInt8], subject: @autoclosure () -> String) throws -> [(String, [UInt8])] {
    try withCString(path) { cPath in
        var size = llistxattr(cPath, nil, 0)
        if size < 0 {
            if errno == ENOTSUP || errno == ENODATA { return [] }
            throw ArchiveError.system(subject(), "llistxattr")
        }
        if size == 0 { return [] }
        var names = [CChar](repeating: 0, count: size)
        size = llistxattr(cPath, &names, size)
        if size < 0 { throw ArchiveError.system(subject(), "llistxattr") }
        var result: [(String, [UInt8])] = []
        var start = 0
        while start < size {
            let nameEnd = names[start..<size].firstIndex(of: 0) ?? size
            let name = String(decoding: names[start..<nameEnd].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            start = nameEnd + 1
            if name.isEmpty { continue }
            var valueSize = lgetxattr(cPath, name, nil, 0)
            if valueSize < 0 {
                if errno == ENODATA { continue }
                throw ArchiveError.system(subject(), "lgetxattr \(name)")
            }
            var value = [UInt8](repeating: 0, count: valueSize)
            valueSize = value.withUnsafeMutableBytes { lgetxattr(cPath, name, $0.baseAddress, valueSize) }
            if valueSize < 0 { throw ArchiveError.system(subject(), "lgetxattr \(name)") }
            result.append((name, Array(value.prefix(valueSize))))
        }
        return result.sorted { $0.0 < $1.0 }
    }
}

/// Whether an xattr belongs to overlayfs itself (`trusted.overlay.*`, and `user.overlay.*`
/// of `userxattr` mounts): never archived, never extracted.
func isOverlayPrivateXattr(_ name: String) -> Bool {
    name.hasPrefix("trusted.overlay.") || name.hasPrefix("user.overlay.")
}
