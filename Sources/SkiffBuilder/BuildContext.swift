import Glibc
import SkiffArchive
import SkiffBuild
import SkiffSystem

/// The build context on disk, as COPY and ADD see it: the Dockerfile read, `.dockerignore`
/// applied (whatever it excludes is deleted from the daemon's copy, so no step can read it
/// and no change to it can invalidate the cache).
struct BuildContext: Sendable {
    let directory: String
    let dockerfileBytes: [UInt8]

    /// Reads the Dockerfile (`dockerfile` is a path inside the context; it cannot name a
    /// file outside) and applies `.dockerignore`.
    init(directory: String, dockerfile: String) throws(BuildError) {
        self.directory = directory
        let tree = RootedTree(root: directory)
        guard let resolved = try? tree.resolve(dockerfile), let bytes = Self.read(directory + resolved) else {
            throw BuildError("Cannot locate specified Dockerfile: \(dockerfile)")
        }
        dockerfileBytes = bytes
        guard let ignoreBytes = Self.read(directory + "/.dockerignore") else { return }
        let ignore: DockerIgnore
        do {
            ignore = try DockerIgnore(contents: ignoreBytes)
        } catch {
            throw BuildError("failed to parse .dockerignore: \(error)")
        }
        Self.prune(directory, relative: "", ignore: ignore, parent: nil)
    }

    /// Deletes what `ignore` excludes below `directory`.
    private static func prune(_ directory: String, relative: String, ignore: DockerIgnore, parent: DockerIgnore.Match?) {
        for name in Directories.list(directory) {
            let path = relative.isEmpty ? name : relative + "/" + name
            let host = directory + "/" + name
            let match = ignore.match(path, parent: parent)
            var entry = stat()
            guard lstat(host, &entry) == 0 else { continue }
            let isDirectory = entry.st_mode & S_IFMT == S_IFDIR
            if match.isExcluded && (!isDirectory || ignore.canSkipContents(of: path, match)) {
                Directories.removeTree(host)
                continue
            }
            if isDirectory {
                prune(host, relative: path, ignore: ignore, parent: match)
                if match.isExcluded { rmdir(host) }  // kept only for exceptions below it: gone if none was
            }
        }
    }

    private static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var entry = stat()
        guard fstat(fd, &entry) == 0, entry.st_mode & S_IFMT == S_IFREG else { return nil }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return bytes
    }
}
