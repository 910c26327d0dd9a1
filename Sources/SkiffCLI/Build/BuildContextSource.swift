import Glibc
import SkiffArchive
import SkiffBuild

/// What the context argument names, ready to be streamed: a local directory (with its
/// .dockerignore and maybe a Dockerfile from elsewhere), or stdin.
enum BuildContextSource {
    /// A local directory, walked while it is sent.
    case directory(ContextArchive)
    /// A tar (compressed or not) on stdin, sent as it is read.
    case stdinArchive(StdinContext)
    /// A Dockerfile alone on stdin, as the one-file tar docker makes of it.
    case bytes([UInt8])

    /// runBuild up to the request: which context, and where its Dockerfile is inside it.
    static func prepare(_ argument: String, dockerfile: String) throws(CLIError) -> (source: BuildContextSource, dockerfile: String) {
        if argument == "-" { return try fromStdin(dockerfile: dockerfile) }
        var st = stat()
        if stat(argument, &st) == 0 { return try fromDirectory(argument, dockerfile: dockerfile) }
        if BuildContextSource.isGitURL(argument) || argument.hasPrefix("http://") || argument.hasPrefix("https://") {
            throw CLIError("unable to prepare context: remote build contexts (\(argument)) are not supported by skiff: clone or download it and build the local directory")
        }
        throw CLIError("unable to prepare context: path \(goQuote(argument)) not found")
    }

    private static func fromStdin(dockerfile: String) throws(CLIError) -> (source: BuildContextSource, dockerfile: String) {
        let input = try StdinContext(fd: 0)
        if input.isArchive { return (.stdinArchive(input), dockerfile) }
        if dockerfile == "-" { throw CLIError("unable to prepare context: build context is not an archive") }
        if !dockerfile.isEmpty {
            throw CLIError("unable to prepare context: ambiguous Dockerfile source: both stdin and flag correspond to Dockerfiles")
        }
        let contents = try input.readAll()
        do {
            return (.bytes(try StdinContext.dockerfileArchive(contents, time: Int64(Clock.now()))), "Dockerfile")
        } catch {
            throw CLIError(errorText(error))
        }
    }

    private static func fromDirectory(_ path: String, dockerfile: String) throws(CLIError) -> (source: BuildContextSource, dockerfile: String) {
        let local: LocalContext
        do { local = try LocalContext(path: path, dockerfile: dockerfile) } catch {
            throw CLIError("unable to prepare context: \(error.message)")
        }
        var added: [UInt8]?
        if local.dockerfileIsOutside {
            do { added = try FileSystem.read(dockerfile) } catch {
                throw CLIError("unable to open Dockerfile: \(errorText(error))")
            }
        }
        let ignore = try local.readIgnoreFile()
        try local.validate(ignore)
        if dockerfile == "-" {
            do { added = try FileSystem.readAll(fd: 0, what: "/dev/stdin") } catch { throw CLIError(errorText(error)) }
        }
        let kept = ignore.keepingBuildFiles(dockerfile == "-" ? [".dockerignore"] : [".dockerignore", local.dockerfile])
        var archive = ContextArchive(directory: local.directory, ignore: kept)
        guard let added else { return (.directory(archive), local.dockerfile) }
        let file = ContextArchive.AddedDockerfile(contents: added, time: Int64(Clock.now()))
        archive.addedDockerfile = file
        return (.directory(archive), file.name)
    }

    /// urlutil.IsGitURL: `git://`, `git@`, `github.com/`, or an http(s) URL of a `.git` repository.
    static func isGitURL(_ text: String) -> Bool {
        if text.hasPrefix("git://") || text.hasPrefix("git@") || text.hasPrefix("github.com/") { return true }
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else { return false }
        let path = text.split(separator: "#", maxSplits: 1).first.map(String.init) ?? text
        return path.hasSuffix(".git")
    }

    /// Streams the context into `sink` as a tar (finishing it).
    func write<S: ByteSink>(to sink: inout S) throws {
        switch self {
        case .directory(let archive):
            let tar = TarWriter(sink, bufferSize: 64 << 10)
            try archive.write(to: tar)
            sink = tar.sink
        case .stdinArchive(let input):
            try input.copy { try sink.write($0) }
            try sink.finish()
        case .bytes(let bytes):
            try bytes.withUnsafeBytes { try sink.write($0) }
            try sink.finish()
        }
    }
}
