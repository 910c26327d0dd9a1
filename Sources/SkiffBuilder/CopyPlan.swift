import Glibc
import SkiffArchive
import SkiffImage
import SkiffOCI
import SkiffSystem

/// What a COPY or ADD puts into the image, worked out before anything is written: every
/// file, directory and symlink with its destination (relative to the image's `/`), and the
/// archives ADD unpacks. Its `digest` covers names, kinds, modes, link targets and
/// contents (not times), so the cache can tell whether the step would do the same again.
struct CopyPlan: Sendable {
    enum Item: Sendable {
        case directory(destination: String, mode: UInt32, time: TarTimestamp)
        case file(destination: String, source: String, mode: UInt32, size: Int64, time: TarTimestamp)
        case symlink(destination: String, target: String, time: TarTimestamp)
        case inline(destination: String, contents: [UInt8], mode: UInt32)
        /// A local tar archive ADD unpacks into `directory`.
        case archive(source: String, directory: String)
    }

    var items: [Item] = []
    /// Directories of the destination path the image lacks: made first, owned like the copies.
    var missingDirectories: [String] = []

    /// The plan's content digest (see the type's comment).
    func digest() async throws(BuildError) -> String {
        let sources = items.compactMap { item -> String? in
            switch item {
            case .file(_, let source, _, _, _), .archive(let source, _): source
            default: nil
            }
        }
        var contents = try await Self.contentDigests(sources).makeIterator()
        var hasher = DigestHasher()
        func add(_ text: String) { hasher.update(Array(text.utf8) + [0]) }
        for item in items {
            switch item {
            case .directory(let destination, let mode, _):
                add("d"); add(destination); add(String(mode, radix: 8))
            case .file(let destination, _, let mode, let size, _):
                add("f"); add(destination); add(String(mode, radix: 8)); add(String(size)); add(contents.next()!)
            case .symlink(let destination, let target, _):
                add("l"); add(destination); add(target)
            case .inline(let destination, let contents, let mode):
                add("i"); add(destination); add(String(mode, radix: 8)); hasher.update(contents)
            case .archive(_, let directory):
                add("a"); add(directory); add(contents.next()!)
            }
        }
        return hasher.finalize().description
    }

    /// The files' content digests, in order, read on one thread per processor (a COPY of a
    /// source tree reads thousands of files; its cache key waits for them).
    static func contentDigests(_ paths: [String]) async throws(BuildError) -> [String] {
        let workers = max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), paths.count / 64 + 1))
        let shares: [Result<[String], BuildError>] = await withTaskGroup(of: (Int, Result<[String], BuildError>).self) { group in
            for worker in 0..<workers {
                let mine = Array(paths[worker...].enumerated().filter { $0.offset % workers == 0 }.map(\.element))
                group.addTask {
                    let result: Result<[String], BuildError> = await withCheckedContinuation { continuation in
                        detachThread {
                            continuation.resume(returning: Result { () throws(BuildError) -> [String] in
                                var digests: [String] = []
                                for path in mine {
                                    var hasher = DigestHasher()
                                    try hashContents(of: path, into: &hasher)
                                    digests.append(hasher.finalize().description)
                                }
                                return digests
                            })
                        }
                    }
                    return (worker, result)
                }
            }
            var shares = Array(repeating: Result<[String], BuildError>.success([]), count: workers)
            for await (worker, result) in group { shares[worker] = result }
            return shares
        }
        // Worker w hashed paths w, w + workers, w + 2 * workers, ...: interleave them back.
        var perWorker: [[String]] = []
        for share in shares { perWorker.append(try share.get()) }
        var digests: [String] = []
        digests.reserveCapacity(paths.count)
        for index in paths.indices { digests.append(perWorker[index % workers][index / workers]) }
        return digests
    }

    private static func hashContents(of path: String, into hasher: inout DigestHasher) throws(BuildError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw BuildError("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw BuildError("read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    /// The plan as a tar stream (names relative to the image's `/`), every entry owned by
    /// `owner`; archives are not in it (`unpack` does them).
    func write<S: ByteSink>(to writer: TarWriter<S>, owner: (uid: UInt32, gid: UInt32)) throws {
        for directory in missingDirectories {
            try writer.append(TarEntry(kind: .directory, path: directory + "/", mode: 0o755, uid: owner.uid, gid: owner.gid,
                                       modificationTime: Self.now()))
        }
        for item in items {
            switch item {
            case .directory(let destination, let mode, let time):
                try writer.append(TarEntry(kind: .directory, path: destination + "/", mode: mode, uid: owner.uid, gid: owner.gid,
                                           modificationTime: time))
            case .file(let destination, let source, let mode, let size, let time):
                let fd = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                guard fd >= 0 else { throw BuildError("open \(source): \(String(cString: strerror(errno)))") }
                defer { close(fd) }
                try writer.append(TarEntry(kind: .regular, path: destination, size: size, mode: mode, uid: owner.uid, gid: owner.gid,
                                           modificationTime: time))
                try writer.writeContents(fromFileDescriptor: fd)
            case .symlink(let destination, let target, let time):
                try writer.append(TarEntry(kind: .symbolicLink, path: destination, linkTarget: target, mode: 0o777,
                                           uid: owner.uid, gid: owner.gid, modificationTime: time))
            case .inline(let destination, let contents, let mode):
                try writer.append(TarEntry(kind: .regular, path: destination, mode: mode, uid: owner.uid, gid: owner.gid,
                                           modificationTime: Self.now()), contents: contents)
            case .archive:
                continue
            }
        }
    }

    /// Puts the plan into the root file system at `rootfs`: everything resolved inside it (a
    /// symlink in the image cannot send a write outside), archives unpacked with their own owners.
    func apply(to rootfs: String, owner: (uid: UInt32, gid: UInt32)) throws {
        var sink = MemorySink()
        let writer = TarWriter(sink)
        try write(to: writer, owner: owner)
        try writer.finish()
        sink = writer.sink
        let tree = RootedTree(root: rootfs)
        try tree.extract(MemorySource(sink.bytes), into: "/")
        for item in items {
            guard case .archive(let source, let directory) = item else { continue }
            let fd = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { throw BuildError("open \(source): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            // As an extraction chrooted into the directory: names and links stay inside it.
            let inside = try tree.resolve("/" + directory)
            try RootedTree(root: rootfs + inside).extract(FileDescriptorSource(fd: fd), into: "/", options: .init(confineNames: true))
        }
    }

    static func now() -> TarTimestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return TarTimestamp(seconds: Int64(now.tv_sec), nanoseconds: Int32(now.tv_nsec))
    }
}
