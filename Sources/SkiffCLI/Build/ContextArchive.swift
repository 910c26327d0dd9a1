import Glibc
import SkiffArchive
import SkiffBuild
import SkiffSystem

/// A context directory as the tar stream the docker CLI sends (go-archive's TarWithOptions
/// with the .dockerignore patterns and owners 0:0): entries in walk order, each directory's
/// names sorted bytewise, relative names (directories ending in `/`), modes with the setuid,
/// setgid and sticky bits, whole-second mtimes, symlinks as they are (never followed), a
/// file's later names as hard links, fifos and devices as entries, sockets left out.
///
/// An excluded file is left out; an excluded directory is not entered, unless an exception
/// pattern starts with its path (then its non-excluded contents are sent, without the
/// directory's own entry), as go-archive's walk decides it.
///
/// The stream is written as it is read from the disk: nothing is held in memory but one
/// directory's names.
struct ContextArchive {
    /// A Dockerfile from outside the context or stdin (AddDockerfileToBuildContext): added
    /// under a random name, which the context's .dockerignore (made if missing) then names,
    /// so that the daemon leaves it out of what COPY sees.
    struct AddedDockerfile {
        /// `.dockerfile.` and 20 random hex digits.
        let name: String
        let contents: [UInt8]
        /// The entries' mtime (seconds).
        let time: Int64

        init(contents: [UInt8], time: Int64, name: String = AddedDockerfile.randomName()) {
            self.name = name
            self.contents = contents
            self.time = time
        }

        /// stringid.GenerateRandomID()[:20]: random hex, never all digits.
        static func randomName() -> String {
            var text: Substring
            repeat {
                text = RandomID.make().prefix(20)
            } while text.allSatisfy(\.isNumber)
            return ".dockerfile." + text
        }

        /// The .dockerignore sent in its place: the original and the added name.
        func ignoreFile(original: [UInt8]?) -> [UInt8] {
            (original ?? Array(".dockerignore".utf8)) + Array("\n\(name)\n".utf8)
        }
    }

    /// The context directory (absolute).
    let directory: String
    /// The patterns, with the build files already kept (`keepingBuildFiles`).
    let ignore: DockerIgnore
    var addedDockerfile: AddedDockerfile?

    /// Appends the context's entries to `tar` (and finishes it).
    func write<S: ByteSink>(to tar: TarWriter<S>) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIError("open \(directory): \(errnoText(errno))") }
        defer { close(fd) }
        let walker = ContextWalker(directory: directory, tar: tar, ignore: ignore, addedDockerfile: addedDockerfile)
        try walker.walk(fd, prefix: (bytes: [], text: ""), parent: nil)
        if let added = addedDockerfile {
            if !walker.wroteIgnoreFile {
                try tar.append(Self.file(".dockerignore", time: added.time), contents: added.ignoreFile(original: nil))
            }
            try tar.append(Self.file(added.name, time: added.time), contents: added.contents)
        }
        try tar.finish()
    }

    /// A regular file entry as the docker CLI makes the added ones (0600, owned by 0:0).
    static func file(_ name: String, time: Int64, mode: UInt32 = 0o600) -> TarEntry {
        TarEntry(kind: .regular, path: name, mode: mode, modificationTime: TarTimestamp(seconds: time))
    }

    /// Whether go-archive's walk may skip the excluded directory `path` whole: no exception
    /// pattern starts with `path/`. (Exceptions that match below it without starting with
    /// it, such as `!*/keep`, do not stop the skip.)
    static func skipsExcludedDirectory(_ path: String, _ ignore: DockerIgnore) -> Bool {
        guard ignore.hasExceptions else { return true }
        let prefix = path + "/"
        return !ignore.lines.contains { $0.hasPrefix("!") && ($0.dropFirst() + "/").hasPrefix(prefix) }
    }
}

/// One walk of a context directory into a tar stream.
private final class ContextWalker<S: ByteSink> {
    struct Inode: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    let directory: String
    let tar: TarWriter<S>
    let ignore: DockerIgnore
    let addedDockerfile: ContextArchive.AddedDockerfile?
    /// The first name archived of each file with several links.
    var links: [Inode: [UInt8]] = [:]
    private(set) var wroteIgnoreFile = false

    init(directory: String, tar: TarWriter<S>, ignore: DockerIgnore, addedDockerfile: ContextArchive.AddedDockerfile?) {
        self.directory = directory
        self.tar = tar
        self.ignore = ignore
        self.addedDockerfile = addedDockerfile
    }

    /// The entries below the directory open as `fd`, whose path is `prefix` (empty at the top)
    /// and whose match is `parent`.
    func walk(_ fd: Int32, prefix: (bytes: [UInt8], text: String), parent: DockerIgnore.Match?) throws {
        // A directory that cannot be listed is left out, as go-archive logs and goes on.
        guard let names = try? ContextDirectory.names(fd) else { return }
        for name in names {
            let path = (bytes: prefix.bytes.isEmpty ? name : prefix.bytes + [UInt8(ascii: "/")] + name,
                        text: ContextDirectory.join(prefix.text, name))
            var st = stat()
            guard ContextDirectory.lstat(fd, name, &st) == 0 else { continue }
            let isDirectory = st.st_mode & S_IFMT == S_IFDIR
            let match = ignore.match(path.text, parent: parent)
            if match.isExcluded {
                guard isDirectory, !ContextArchive.skipsExcludedDirectory(path.text, ignore) else { continue }
                try descend(fd, name, path, match)
                continue
            }
            try emit(fd, name, path.bytes, st)
            if isDirectory { try descend(fd, name, path, match) }
        }
    }

    private func descend(_ fd: Int32, _ name: [UInt8], _ path: (bytes: [UInt8], text: String), _ match: DockerIgnore.Match) throws {
        let child = ContextDirectory.open(fd, name, directory: true)
        guard child >= 0 else { return }
        defer { close(child) }
        try walk(child, prefix: path, parent: match)
    }

    /// One entry; one that cannot be read is left out (go-archive logs it and goes on).
    private func emit(_ fd: Int32, _ name: [UInt8], _ path: [UInt8], _ st: stat) throws {
        var entry = TarEntry(
            kind: .regular, pathBytes: path, linkTargetBytes: [], size: 0, mode: st.st_mode & 0o7777, uid: 0, gid: 0,
            userName: "", groupName: "", modificationTime: TarTimestamp(seconds: Int64(st.st_mtim.tv_sec)),
            deviceMajor: 0, deviceMinor: 0, xattrs: [:])
        let type = st.st_mode & S_IFMT
        var inode: Inode?
        if type != S_IFDIR, st.st_nlink > 1 {
            let key = Inode(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
            if let first = links[key] {
                entry.kind = .hardLink
                entry.linkTargetBytes = first
                try tar.append(entry)
                return
            }
            inode = key
        }
        guard try write(&entry, fd, name, type, st) else { return }
        if let inode { links[inode] = path }
    }

    /// Writes the entry of a file of this type; false when it could not be read (or is a socket).
    private func write(_ entry: inout TarEntry, _ fd: Int32, _ name: [UInt8], _ type: mode_t, _ st: stat) throws -> Bool {
        switch type {
        case S_IFREG:
            let file = ContextDirectory.open(fd, name, directory: false)
            guard file >= 0 else { return false }
            defer { close(file) }
            if let added = addedDockerfile, entry.pathBytes == Array(".dockerignore".utf8) {
                guard let original = try? FileSystem.readAll(fd: file, what: ".dockerignore") else { return false }
                wroteIgnoreFile = true
                try tar.append(entry, contents: added.ignoreFile(original: original))
                return true
            }
            entry.size = Int64(st.st_size)
            try tar.append(entry)
            try tar.writeContents(fromFileDescriptor: file)
        case S_IFDIR:
            entry.kind = .directory
            try tar.append(entry)
        case S_IFLNK:
            guard let target = ContextDirectory.readLink(fd, name, size: Int(st.st_size)) else { return false }
            entry.kind = .symbolicLink
            entry.linkTargetBytes = target
            try tar.append(entry)
        case S_IFCHR, S_IFBLK:
            entry.kind = type == S_IFCHR ? .characterDevice : .blockDevice
            let device = UInt64(st.st_rdev)
            entry.deviceMajor = UInt32(truncatingIfNeeded: ((device >> 8) & 0xFFF) | ((device >> 32) & ~0xFFF))
            entry.deviceMinor = UInt32(truncatingIfNeeded: (device & 0xFF) | ((device >> 12) & ~0xFF))
            try tar.append(entry)
        case S_IFIFO:
            entry.kind = .fifo
            try tar.append(entry)
        default:
            // A socket: archive/tar cannot write one, and the docker CLI logs it.
            let path = directory + "/" + String(decoding: entry.pathBytes, as: UTF8.self)
            GoLog.error("Can't add file \(path) to tar: archive/tar: sockets not supported")
            return false
        }
        return true
    }
}
