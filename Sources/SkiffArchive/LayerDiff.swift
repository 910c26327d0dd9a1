import CZlib
import Glibc

/// A path a container changed in its root file system, as `docker diff` lists it.
public struct LayerChange: Sendable, Equatable {
    /// Docker's `Kind`: 0 modified, 1 added, 2 deleted.
    public enum Kind: Int, Sendable {
        case modified = 0
        case added = 1
        case deleted = 2
    }

    /// Absolute: `/etc/passwd`.
    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }
}

/// The changes of an overlayfs upper directory against the lower layers it covers (each in
/// overlay-lower format: 0:0 character devices for deletions, `trusted.overlay.opaque=y` on
/// directories that hide what is below), compared as Docker's naive diff compares the two file
/// systems: an entry of the upper that the layers lack is added (and so is everything below an
/// added directory); one they have is modified when its type, mode, owner or device differ, or
/// (not for directories) its size or mtime; a whiteout is a deletion; an opaque directory
/// deletes every lower entry it does not hold again; a directory holding any change is
/// modified too. The root is never listed.
public enum LayerDiff {
    public struct Result: Sendable, Equatable {
        /// Sorted by path.
        public var changes: [LayerChange]
        /// The `mountPoints` found as runtime leftovers (relative paths): left out of `changes`.
        public var ignored: [String]
    }

    /// Compares `upper` with `lowers` (top-most first). `mountPoints` (relative: `etc/hosts`,
    /// `proc`) are where a runtime makes empty mount points when the image lacks them: an empty
    /// file or directory there that the layers lack is not a change.
    public static func changes(upper: String, lowers: [String], mountPoints: Set<String> = []) throws -> Result {
        let upperFD = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if upperFD < 0 { throw ArchiveError.system("directory \"\(upper)\"", "open") }
        defer { close(upperFD) }
        var lowerFDs: [Int32] = []
        defer { for fd in lowerFDs { close(fd) } }
        for lower in lowers {
            let fd = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd < 0 { throw ArchiveError.system("directory \"\(lower)\"", "open") }
            lowerFDs.append(fd)
        }
        let walk = DiffWalk(mountPoints: mountPoints)
        _ = try walk.compare(upperFD, old: lowerFDs, path: "", opaque: false)
        let changes = walk.changes.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        return Result(changes: changes, ignored: walk.ignored.sorted())
    }
}

private final class DiffWalk {
    let mountPoints: Set<String>
    var changes: [LayerChange] = []
    var ignored: [String] = []

    init(mountPoints: Set<String>) { self.mountPoints = mountPoints }

    /// An entry as the lower layers show it: its status and, for a directory, the directories
    /// of the layers merged at it (top first; the caller closes them).
    struct Old {
        var status: stat
        var directories: [Int32]
    }

    /// Compares the upper directory `upper` with the old directory made of `old` (lower
    /// directories, top first); `opaque`: the upper hides them. Returns whether anything changed.
    func compare(_ upper: Int32, old: [Int32], path: String, opaque: Bool) throws -> Bool {
        let names = try listDirectory(upper, subject: "directory \"/\(path)\"")
        var changed = false
        for name in names {
            let text = String(decoding: name, as: UTF8.self)
            let child = path.isEmpty ? text : path + "/" + text
            var status = stat()
            if withCString(name, { fstatat(upper, $0, &status, AT_SYMLINK_NOFOLLOW) }) != 0 {
                if errno == ENOENT { continue }
                throw ArchiveError.system("/" + child, "lstat")
            }
            let before = try lookUp(name, in: old, path: child)
            defer { for fd in before?.directories ?? [] { close(fd) } }
            if Self.isWhiteout(status) {
                if before != nil {
                    record(child, .deleted)
                    changed = true
                }
                continue
            }
            let isDirectory = status.st_mode & S_IFMT == S_IFDIR
            guard let before else {
                if mountPoints.contains(child), try isEmpty(name, in: upper, status) {
                    ignored.append(child)
                    continue
                }
                record(child, .added)
                changed = true
                if isDirectory { try withDirectory(name, in: upper, path: child) { try addAll($0, path: child) } }
                continue
            }
            let differs = Self.differ(before.status, status)
            guard isDirectory else {
                if differs {
                    record(child, .modified)
                    changed = true
                }
                continue
            }
            let mark = changes.count
            let wasDirectory = before.status.st_mode & S_IFMT == S_IFDIR
            let below = try withDirectory(name, in: upper, path: child) { fd in
                try compare(fd, old: wasDirectory ? before.directories : [], path: child, opaque: wasDirectory && Self.isOpaque(fd))
            }
            if differs || below {
                changes.insert(LayerChange(path: "/" + child, kind: .modified), at: mark)
                changed = true
            }
        }
        if opaque {
            let kept = Set(names)
            for name in try visibleNames(old) where !kept.contains(name) {
                record(path.isEmpty ? String(decoding: name, as: UTF8.self) : path + "/" + String(decoding: name, as: UTF8.self), .deleted)
                changed = true
            }
        }
        return changed
    }

    /// Everything below an added directory is added.
    func addAll(_ directory: Int32, path: String) throws {
        for name in try listDirectory(directory, subject: "directory \"/\(path)\"") {
            let child = path + "/" + String(decoding: name, as: UTF8.self)
            var status = stat()
            if withCString(name, { fstatat(directory, $0, &status, AT_SYMLINK_NOFOLLOW) }) != 0 { continue }
            if Self.isWhiteout(status) { continue }
            record(child, .added)
            if status.st_mode & S_IFMT == S_IFDIR {
                try withDirectory(name, in: directory, path: child) { try addAll($0, path: child) }
            }
        }
    }

    private func record(_ path: String, _ kind: LayerChange.Kind) {
        changes.append(LayerChange(path: "/" + path, kind: kind))
    }

    /// `name` in the merged lower directories: nil if no layer has it or a whiteout hides it.
    func lookUp(_ name: [UInt8], in directories: [Int32], path: String) throws -> Old? {
        var found: Old?
        for directory in directories {
            var status = stat()
            if withCString(name, { fstatat(directory, $0, &status, AT_SYMLINK_NOFOLLOW) }) != 0 {
                if errno == ENOENT { continue }
                throw ArchiveError.system("/" + path, "lstat in a lower layer")
            }
            if Self.isWhiteout(status) { break }
            let isDirectory = status.st_mode & S_IFMT == S_IFDIR
            if found == nil {
                found = Old(status: status, directories: [])
                if !isDirectory { break }
            } else if !isDirectory {
                break  // a file in a lower layer under a directory of an upper one: hidden
            }
            let fd = withCString(name) { openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if fd < 0 { throw ArchiveError.system("/" + path, "open directory in a lower layer") }
            found!.directories.append(fd)
            if Self.isOpaque(fd) { break }
        }
        return found
    }

    /// The names a merged lower directory shows.
    func visibleNames(_ directories: [Int32]) throws -> [[UInt8]] {
        var decided = Set<[UInt8]>()
        var visible: [[UInt8]] = []
        for directory in directories {
            for name in try listDirectory(directory, subject: "lower directory") where !decided.contains(name) {
                decided.insert(name)
                var status = stat()
                guard withCString(name, { fstatat(directory, $0, &status, AT_SYMLINK_NOFOLLOW) }) == 0 else { continue }
                if !Self.isWhiteout(status) { visible.append(name) }
            }
        }
        return visible.sorted { $0.lexicographicallyPrecedes($1) }
    }

    private func withDirectory<T>(_ name: [UInt8], in parent: Int32, path: String, _ body: (Int32) throws -> T) throws -> T {
        let fd = withCString(name) { openat(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        if fd < 0 { throw ArchiveError.system("/" + path, "open directory") }
        defer { close(fd) }
        return try body(fd)
    }

    /// An empty regular file, or a directory with nothing in it.
    private func isEmpty(_ name: [UInt8], in parent: Int32, _ status: stat) throws -> Bool {
        switch status.st_mode & S_IFMT {
        case S_IFREG: return status.st_size == 0
        case S_IFDIR:
            let fd = withCString(name) { openat(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if fd < 0 { return false }
            defer { close(fd) }
            return try listDirectory(fd, subject: "directory").isEmpty
        default: return false
        }
    }

    static func isWhiteout(_ status: stat) -> Bool {
        status.st_mode & S_IFMT == S_IFCHR && status.st_rdev == 0
    }

    static func isOpaque(_ fd: Int32) -> Bool {
        var value: [UInt8] = [0, 0]
        let length = value.withUnsafeMutableBytes { fgetxattr(fd, "trusted.overlay.opaque", $0.baseAddress, 2) }
        return length == 1 && value[0] == UInt8(ascii: "y")
    }

    /// Docker's statDifferent: type and mode, owner, device; size and mtime for non-directories
    /// (the same second counts as the same time when either has no fraction).
    static func differ(_ a: stat, _ b: stat) -> Bool {
        if a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid || a.st_rdev != b.st_rdev { return true }
        if a.st_mode & S_IFMT == S_IFDIR { return false }
        let sameTime = (a.st_mtim.tv_sec == b.st_mtim.tv_sec)
            && (a.st_mtim.tv_nsec == b.st_mtim.tv_nsec || a.st_mtim.tv_nsec == 0 || b.st_mtim.tv_nsec == 0)
        return !sameTime || a.st_size != b.st_size
    }
}
