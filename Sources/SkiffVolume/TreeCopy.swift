import CZlib
import Glibc
import SkiffSystem

/// Copies a directory's content, and the directory's own owner, mode,
/// times and xattrs, onto another: files, directories, symlinks, devices,
/// fifos and hard links (sockets are skipped), as containerd's fs.CopyDir
/// does for dockerd's copy-up. Everything is reached through directory fds
/// and `*at` calls with no symlink followed, so the source tree (an image)
/// cannot point the copy anywhere else.
struct TreeCopy {
    private struct FileID: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private let destinationRoot: Int32
    /// Files with more than one link, by source identity → their first copy (below the destination root).
    private var copies: [FileID: [UInt8]] = [:]
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)

    private init(destinationRoot: Int32) {
        self.destinationRoot = destinationRoot
    }

    /// Copies everything in `source` into `destination` (both open directories).
    static func copy(from source: Int32, to destination: Int32) throws(SystemError) {
        var copier = TreeCopy(destinationRoot: destination)
        try copier.copyChildren(of: source, into: destination, path: [])
        var st = stat()
        guard fstat(source, &st) == 0 else { throw SystemError("stat the source directory") }
        guard fchown(destination, st.st_uid, st.st_gid) == 0, fchmod(destination, st.st_mode & 0o7777) == 0 else {
            throw SystemError("set the owner and mode of the volume")
        }
        try copyXattrs(from: procPath(source, "."), to: procPath(destination, "."), subject: ".")
        var times = [st.st_atim, st.st_mtim]
        guard futimens(destination, &times) == 0 else { throw SystemError("set the times of the volume") }
    }

    private mutating func copyChildren(of source: Int32, into destination: Int32, path: [UInt8]) throws(SystemError) {
        for name in try Self.names(in: source, subject: path) {
            let relative = path.isEmpty ? name : path + [UInt8(ascii: "/")] + name
            let subject = String(decoding: relative, as: UTF8.self)
            var st = stat()
            guard Self.at(name, { fstatat(source, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else {
                throw SystemError("stat \(subject)")
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                guard Self.at(name, { mkdirat(destination, $0, 0o700) }) == 0 else { throw SystemError("mkdir \(subject)") }
                let from = Self.at(name) { openat(source, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                guard from >= 0 else { throw SystemError("open \(subject)") }
                defer { close(from) }
                let to = Self.at(name) { openat(destination, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                guard to >= 0 else { throw SystemError("open the copy of \(subject)") }
                defer { close(to) }
                try copyChildren(of: from, into: to, path: relative)
            case S_IFREG:
                let id = FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
                if st.st_nlink > 1, let first = copies[id] {
                    try link(first, as: name, in: destination, subject: subject)
                    continue
                }
                try copyFile(name, from: source, to: destination, mode: st.st_mode, subject: subject)
                if st.st_nlink > 1 { copies[id] = relative }
            case S_IFLNK:
                var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = Self.at(name) { readlinkat(source, $0, &target, target.count - 1) }
                guard n >= 0 else { throw SystemError("readlink \(subject)") }
                target[n] = 0
                guard Self.at(name, { symlinkat(target, destination, $0) }) == 0 else { throw SystemError("symlink \(subject)") }
            case S_IFCHR, S_IFBLK, S_IFIFO:
                guard Self.at(name, { mknodat(destination, $0, st.st_mode, st.st_rdev) }) == 0 else {
                    throw SystemError("mknod \(subject)")
                }
            default:
                continue
            }
            try Self.applyMetadata(st, name: name, source: source, destination: destination, subject: subject)
        }
    }

    /// A hard link to the copy at `first` (below the destination root). Its
    /// directory is opened inside the destination root: whatever a container
    /// sharing the volume did to the tree meanwhile, the link stays in it.
    private func link(_ first: [UInt8], as name: [UInt8], in destination: Int32, subject: String) throws(SystemError) {
        let slash = first.lastIndex(of: UInt8(ascii: "/"))
        let parent = slash.map { Array(first[..<$0]) } ?? [UInt8(ascii: ".")]
        let file = slash.map { Array(first[($0 + 1)...]) } ?? first
        let dir = Self.at(parent) { czlib_openat2_in_root(destinationRoot, $0, Self.directoryPath, 0) }
        guard dir >= 0 else { throw SystemError("open the directory of \(String(decoding: first, as: UTF8.self))") }
        defer { close(dir) }
        guard Self.at(file, { old in Self.at(name) { linkat(dir, old, destination, $0, 0) } }) == 0 else {
            throw SystemError("link \(subject)")
        }
    }

    /// `O_PATH | O_DIRECTORY` (Swift's Glibc module has no O_PATH).
    private static let directoryPath: Int32 = 0o10000000 | O_DIRECTORY | O_CLOEXEC

    private mutating func copyFile(_ name: [UInt8], from source: Int32, to destination: Int32, mode: mode_t, subject: String) throws(SystemError) {
        let input = Self.at(name) { openat(source, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard input >= 0 else { throw SystemError("open \(subject)") }
        defer { close(input) }
        let output = Self.at(name) { openat(destination, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard output >= 0 else { throw SystemError("create \(subject)") }
        defer { close(output) }
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw SystemError("read \(subject)") }
            if n == 0 { break }
            var offset = 0
            while offset < n {
                let written = buffer.withUnsafeBytes { write(output, $0.baseAddress! + offset, n - offset) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw SystemError("write \(subject)") }
                offset += written
            }
        }
    }

    /// Owner, then mode (a chown clears set-id bits), xattrs, times; none
    /// follows a symlink, should one have replaced the copy meanwhile.
    private static func applyMetadata(_ st: stat, name: [UInt8], source: Int32, destination: Int32, subject: String) throws(SystemError) {
        let isLink = st.st_mode & S_IFMT == S_IFLNK
        guard at(name, { fchownat(destination, $0, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) }) == 0 else {
            throw SystemError("chown \(subject)")
        }
        if !isLink {
            guard at(name, { fchmodat(destination, $0, st.st_mode & 0o7777, AT_SYMLINK_NOFOLLOW) }) == 0 else {
                throw SystemError("chmod \(subject)")
            }
        }
        try copyXattrs(from: procPath(source, name), to: procPath(destination, name), subject: subject)
        var times = [st.st_atim, st.st_mtim]
        guard at(name, { utimensat(destination, $0, &times, AT_SYMLINK_NOFOLLOW) }) == 0 else {
            throw SystemError("set times of \(subject)")
        }
    }

    /// Every xattr the source has; one the destination's file system does not support is skipped.
    private static func copyXattrs(from source: [UInt8], to destination: [UInt8], subject: String) throws(SystemError) {
        let names: [String] = at(source) { path in
            let size = llistxattr(path, nil, 0)
            guard size > 0 else { return [] }
            var list = [CChar](repeating: 0, count: size)
            let n = llistxattr(path, &list, size)
            guard n > 0 else { return [] }
            return list[0..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        }
        for name in names {
            let value: [UInt8]? = at(source) { path in
                let size = lgetxattr(path, name, nil, 0)
                guard size >= 0 else { return nil }
                var value = [UInt8](repeating: 0, count: size)
                let n = value.withUnsafeMutableBytes { lgetxattr(path, name, $0.baseAddress, size) }
                return n >= 0 ? Array(value.prefix(n)) : nil
            }
            guard let value else { continue }
            let rc = at(destination) { path in value.withUnsafeBytes { lsetxattr(path, name, $0.baseAddress, value.count, 0) } }
            if rc != 0 && errno != ENOTSUP && errno != EOPNOTSUPP {
                throw SystemError("set xattr \(name) of \(subject)")
            }
        }
    }

    /// The names in a directory, `.` and `..` left out.
    private static func names(in directory: Int32, subject: [UInt8]) throws(SystemError) -> [[UInt8]] {
        let copy = fcntl(directory, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw SystemError("read directory \(String(decoding: subject, as: UTF8.self))")
        }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [0x2e] && name != [0x2e, 0x2e] { names.append(name) }
        }
        return names
    }

    /// `/proc/self/fd/N/name`: `name` in the directory open as `fd`, for the calls that take only paths.
    private static func procPath(_ fd: Int32, _ name: [UInt8]) -> [UInt8] {
        Array("/proc/self/fd/\(fd)/".utf8) + name
    }

    private static func procPath(_ fd: Int32, _ name: String) -> [UInt8] {
        procPath(fd, Array(name.utf8))
    }

    /// Calls `body` with `bytes` as a C string.
    private static func at<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }
}
