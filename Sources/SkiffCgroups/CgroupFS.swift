import Glibc

/// Every file-system call the module makes, each failure reported with its path and errno.
///
/// The hooks let tests play the kernel on a plain directory tree: on cgroupfs `mkdir` fills the new
/// directory with control files and `rmdir` removes a directory that still has them; plain
/// directories do neither.
struct CgroupFS: Sendable {
    /// Called after a directory is made.
    var didMakeDirectory: (@Sendable (_ path: String) -> Void)?
    /// Called before a directory is removed.
    var willRemoveDirectory: (@Sendable (_ path: String) -> Void)?
    /// Called after each successful write.
    var didWrite: (@Sendable (_ path: String, _ value: String) -> Void)?

    init(
        didMakeDirectory: (@Sendable (String) -> Void)? = nil,
        willRemoveDirectory: (@Sendable (String) -> Void)? = nil,
        didWrite: (@Sendable (String, String) -> Void)? = nil
    ) {
        self.didMakeDirectory = didMakeDirectory
        self.willRemoveDirectory = willRemoveDirectory
        self.didWrite = didWrite
    }

    /// Writes `value` with one write(2), as cgroup files want; never creates the file.
    func write(_ path: String, _ value: String) throws(CgroupError) {
        let fd = retrying { open(path, O_WRONLY | O_TRUNC | O_CLOEXEC) }
        if fd < 0 { throw CgroupError(stage: "write", path: path, errno: Glibc.errno) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let count = bytes.count
        let written = bytes.withUnsafeBytes { buffer in
            retrying { Glibc.write(fd, buffer.baseAddress, count) }
        }
        if written < 0 { throw CgroupError(stage: "write", path: path, errno: Glibc.errno) }
        if written != count {
            throw CgroupError(stage: "write", path: path, detail: "short write (\(written) of \(count) bytes)")
        }
        didWrite?(path, value)
    }

    /// The whole file as text.
    func read(_ path: String) throws(CgroupError) -> String {
        guard let text = try readIfPresent(path) else {
            throw CgroupError(stage: "read", path: path, errno: ENOENT)
        }
        return text
    }

    /// The whole file as text, or nil if it does not exist.
    func readIfPresent(_ path: String) throws(CgroupError) -> String? {
        let fd = retrying { open(path, O_RDONLY | O_CLOEXEC) }
        if fd < 0 {
            let code = Glibc.errno
            if code == ENOENT { return nil }
            throw CgroupError(stage: "read", path: path, errno: code)
        }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { buffer in
                retrying { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            }
            if n < 0 { throw CgroupError(stage: "read", path: path, errno: Glibc.errno) }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The file's content without surrounding whitespace, or nil if it does not exist.
    func value(_ path: String) throws(CgroupError) -> String? {
        try readIfPresent(path).map(trimmed)
    }

    func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// `mkdir -p`: returns the directories it made, outermost first.
    func makeDirectories(_ path: String) throws(CgroupError) -> [String] {
        var missing: [String] = []
        var dir = path
        while !dir.isEmpty, dir != "/", !isDirectory(dir) {
            missing.append(dir)
            dir = parent(of: dir)
        }
        var made: [String] = []
        for dir in missing.reversed() {
            if mkdir(dir, 0o755) == 0 {
                made.append(dir)
                didMakeDirectory?(dir)
            } else if Glibc.errno != EEXIST {
                throw CgroupError(stage: "mkdir", path: dir, errno: Glibc.errno)
            }
        }
        return made
    }

    /// rmdir(2); returns the errno instead of throwing so callers can decide what is fine.
    func removeDirectory(_ path: String) -> Int32 {
        willRemoveDirectory?(path)
        return rmdir(path) == 0 ? 0 : Glibc.errno
    }

    /// The child cgroups of `path` (its subdirectories, by d_type: cgroupfs
    /// reports it, so no stat per file), or [] if it cannot be listed.
    func subdirectories(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let type = entry.pointee.d_type
            guard type == UInt8(DT_DIR) || (type == UInt8(DT_UNKNOWN) && isDirectory(path + "/" + name(entry))) else { continue }
            let name = name(entry)
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private func name(_ entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}

/// Retries a system call interrupted by a signal.
@inline(__always)
func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result >= 0 || Glibc.errno != EINTR { return result }
    }
}

func trimmed(_ text: String) -> String {
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
          let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[first...last])
}

/// The directory holding `path` (`/a/b` → `/a`, `/a` → `/`).
func parent(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// Joins path components onto `base` with single slashes.
func join(_ base: String, _ components: [String]) -> String {
    var result = base
    while result.count > 1, result.hasSuffix("/") { result.removeLast() }
    for component in components where !component.isEmpty {
        result += result.hasSuffix("/") ? component : "/" + component
    }
    return result
}

/// Waits a few milliseconds between polls.
func pause(milliseconds: Int) {
    var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0, Glibc.errno == EINTR { request = remaining }
}
