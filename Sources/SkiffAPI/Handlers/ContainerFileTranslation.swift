import FoundationEssentials
import Glibc
import SkiffArchive
import SkiffOCI
import SkiffSystem

/// Docker's JSON for a container's files, to and from the engine's types.
enum ContainerFileTranslation {
    /// The `X-Docker-Container-Path-Stat` header: the stat as base64 JSON.
    static func pathStatHeader(_ entry: RootedTree.Entry) throws -> String {
        let stat = ContainerPathStat(
            name: entry.name, size: entry.size, mode: goFileMode(entry.mode),
            mtime: Timestamp.format(
                seconds: entry.modificationTime.seconds, nanoseconds: Int(entry.modificationTime.nanoseconds), fraction: .trimmed),
            linkTarget: entry.linkTarget)
        var json = try encodeJSON(stat)
        json.removeLast()  // the newline
        return Data(json).base64EncodedString()
    }

    /// `st_mode` as Go's `os.FileMode`: type bits high, then setuid, setgid, sticky, permissions.
    static func goFileMode(_ mode: UInt32) -> UInt32 {
        var result = mode & 0o777
        switch mode & S_IFMT {
        case S_IFDIR: result |= 1 << 31
        case S_IFLNK: result |= 1 << 27
        case S_IFBLK: result |= 1 << 26
        case S_IFCHR: result |= 1 << 26 | 1 << 21
        case S_IFIFO: result |= 1 << 25
        case S_IFSOCK: result |= 1 << 24
        default: break
        }
        if mode & S_ISUID != 0 { result |= 1 << 23 }
        if mode & S_ISGID != 0 { result |= 1 << 22 }
        if mode & S_ISVTX != 0 { result |= 1 << 20 }
        return result
    }

    /// `docker diff`'s list; dockerd answers `null` when nothing changed.
    static func changes(_ changes: [LayerChange]) -> [FilesystemChange]? {
        changes.isEmpty ? nil : changes.map { FilesystemChange(path: $0.path, kind: $0.kind.rawValue) }
    }

    /// A commit's body (a `ContainerConfig`) as the image configuration it asks for.
    static func imageConfig(_ c: ContainerConfig) -> ImageConfig.Config {
        ImageConfig.Config(
            user: c.user, exposedPorts: c.exposedPorts, env: c.env, entrypoint: c.entrypoint, cmd: c.cmd,
            volumes: c.volumes, workingDir: c.workingDir, labels: c.labels, stopSignal: c.stopSignal,
            argsEscaped: c.argsEscaped,
            healthcheck: c.healthcheck.map {
                ImageConfig.Healthcheck(
                    test: $0.test, interval: $0.interval, timeout: $0.timeout, startPeriod: $0.startPeriod,
                    startInterval: $0.startInterval, retries: $0.retries)
            },
            onBuild: c.onBuild, shell: c.shell)
    }

    /// dockerd's RepoTagReference: `repo` (and `tag`, default `latest`) as one name; nil
    /// without a repository.
    static func commitReference(repo: String, tag: String) throws(APIError) -> String? {
        guard !repo.isEmpty else { return nil }
        let reference: ImageReference
        do {
            reference = try ImageReference(repo)
        } catch {
            let message = error.dockerMessage
            throw .badRequest(message.hasPrefix("invalid reference format") ? message : "invalid reference format: \(message)")
        }
        if reference.digest != nil { throw .badRequest("cannot import digest reference") }
        guard !tag.isEmpty else { return reference.withDefaultTag().fullName }
        guard ImageReference.isValidTag(tag) else { throw .badRequest("invalid tag format") }
        return reference.name + ":" + tag
    }
}
