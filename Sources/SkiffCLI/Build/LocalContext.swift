import Glibc
import SkiffArchive
import SkiffBuild

/// A local directory as `docker build`'s context (the docker CLI's GetContextFromLocalDir,
/// ReadDockerignore and ValidateContextDirectory): its absolute path with symlinks
/// resolved, where the Dockerfile is relative to it, and its .dockerignore patterns.
struct LocalContext {
    /// Absolute, symlinks resolved.
    let directory: String
    /// The Dockerfile relative to `directory` (`../x` when outside it, `-` for stdin).
    let dockerfile: String

    /// The Dockerfile is outside the context: it is read by itself and added to the context.
    var dockerfileIsOutside: Bool { dockerfile.hasPrefix("../") }

    /// Resolves `path` (which exists) and the `-f` value (`""` for the default, `-` for
    /// stdin; relative to the working directory, not to the context). Errors are worded as
    /// docker's, without its "unable to prepare context: " prefix.
    init(path: String, dockerfile given: String) throws(CLIError) {
        let absolute = LocalPath.absolute(path)
        let resolved: String
        do { resolved = try LocalPath.evalSymlinks(absolute) } catch {
            throw CLIError("unable to evaluate symlinks in context path: \(error.message)")
        }
        var st = stat()
        guard lstat(resolved, &st) == 0 else {
            throw CLIError("unable to stat context directory \(goQuote(resolved)): lstat \(resolved): \(errnoText(errno))")
        }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw CLIError("context must be a directory: \(resolved)") }
        directory = resolved
        dockerfile = try Self.dockerfilePath(in: resolved, given: given == "" || given == "-" ? given : LocalPath.absolute(given))
    }

    /// getDockerfileRelPath: `Dockerfile` (else `dockerfile` if only that exists) by default,
    /// symlinks followed, relative to the context directory.
    static func dockerfilePath(in directory: String, given: String) throws(CLIError) -> String {
        if given == "-" { return given }
        var path = given
        if path.isEmpty {
            path = CopyPath.join(directory, "Dockerfile")
            var st = stat()
            if lstat(path, &st) != 0 && errno == ENOENT {
                let lower = CopyPath.join(directory, "dockerfile")
                if lstat(lower, &st) == 0 { path = lower }
            }
        }
        if !path.hasPrefix("/") { path = CopyPath.join(directory, path) }
        do { path = try LocalPath.evalSymlinks(path) } catch {
            throw CLIError("unable to evaluate symlinks in Dockerfile path: \(error.message)")
        }
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { throw CLIError("Cannot locate Dockerfile: \(goQuote(path))") }
            throw CLIError("unable to stat Dockerfile: lstat \(path): \(errnoText(errno))")
        }
        return relative(path, to: directory)
    }

    /// filepath.Rel for two clean absolute paths.
    static func relative(_ target: String, to base: String) -> String {
        let from = base.split(separator: "/"), to = target.split(separator: "/")
        var common = 0
        while common < from.count, common < to.count, from[common] == to[common] { common += 1 }
        let parts = Array(repeating: "..", count: from.count - common) + to[common...].map(String.init)
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// ReadDockerignore: the patterns of `.dockerignore` in the context (none without one).
    func readIgnoreFile() throws(CLIError) -> DockerIgnore {
        let path = CopyPath.join(directory, ".dockerignore")
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return try Self.ignore([]) }
            throw CLIError("open \(path): \(errnoText(errno))")
        }
        defer { close(fd) }
        let contents: [UInt8]
        do { contents = try FileSystem.readAll(fd: fd, what: path) } catch {
            throw CLIError("error reading .dockerignore: \(errorText(error))")
        }
        do { return try DockerIgnore(contents: contents) } catch {
            // The patterns are compiled when the context is checked (patternmatcher.New).
            throw CLIError("error checking context: \(error.message)")
        }
    }

    private static func ignore(_ patterns: [String]) throws(CLIError) -> DockerIgnore {
        do { return try DockerIgnore(patterns: patterns) } catch { throw CLIError(error.message) }
    }

    /// ValidateContextDirectory: every file that will be sent can be read (excluded
    /// directories are not entered; symlinks and fifos are not opened). Fails with
    /// docker's "error checking context: ..." messages.
    func validate(_ ignore: DockerIgnore) throws(CLIError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIError("error checking context: can't stat '\(directory)'") }
        defer { close(fd) }
        try validate(fd, relative: "", ignore: ignore)
    }

    private func validate(_ fd: Int32, relative prefix: String, ignore: DockerIgnore) throws(CLIError) {
        let names: [[UInt8]]
        do { names = try ContextDirectory.names(fd) } catch {
            throw CLIError("error checking context: can't stat '\(CopyPath.join(directory, prefix))'")
        }
        for name in names {
            let relative = ContextDirectory.join(prefix, name)
            let full = CopyPath.join(directory, relative)
            var st = stat()
            if ContextDirectory.lstat(fd, name, &st) != 0 {
                if errno == EACCES { throw CLIError("error checking context: can't stat '\(full)'") }
                if errno == ENOENT { throw CLIError("error checking context: file ('\(full)') not found or excluded by .dockerignore") }
                throw CLIError("error checking context: lstat \(full): \(errnoText(errno))")
            }
            // filepathMatches: MatchesOrParentMatches, excluded directories skipped whole.
            if ignore.excludes(relative) { continue }
            let type = st.st_mode & S_IFMT
            if type == S_IFLNK || type == S_IFIFO { continue }
            if type == S_IFDIR {
                let child = ContextDirectory.open(fd, name, directory: true)
                guard child >= 0 else { throw CLIError("error checking context: can't stat '\(full)'") }
                defer { close(child) }
                try validate(child, relative: relative, ignore: ignore)
                continue
            }
            let file = ContextDirectory.open(fd, name, directory: false)
            if file >= 0 { close(file) } else if errno == EACCES {
                throw CLIError("error checking context: no permission to read from '\(full)'")
            }
        }
    }
}

/// The *at calls the context walks share, on names as bytes.
enum ContextDirectory {
    /// The directory's entries, sorted bytewise (filepath.Walk's order).
    static func names(_ fd: Int32) throws(CLIError) -> [[UInt8]] {
        do {
            return try listDirectory(fd, subject: "context").sorted { $0.lexicographicallyPrecedes($1) }
        } catch {
            throw CLIError("\(error)")
        }
    }

    static func lstat(_ directory: Int32, _ name: [UInt8], _ st: inout stat) -> Int32 {
        withName(name) { fstatat(directory, $0, &st, AT_SYMLINK_NOFOLLOW) }
    }

    /// Opens an entry without following a symlink (or blocking on a fifo or device).
    static func open(_ directory: Int32, _ name: [UInt8], directory isDirectory: Bool) -> Int32 {
        let flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (isDirectory ? O_DIRECTORY : O_NONBLOCK | O_NOCTTY)
        return withName(name) { openat(directory, $0, flags) }
    }

    static func readLink(_ directory: Int32, _ name: [UInt8], size: Int) -> [UInt8]? {
        var capacity = max(size, 255) + 1
        while true {
            var target = [UInt8](repeating: 0, count: capacity)
            let length = withName(name) { cName in
                target.withUnsafeMutableBytes { readlinkat(directory, cName, $0.baseAddress!.assumingMemoryBound(to: CChar.self), capacity) }
            }
            if length < 0 { return nil }
            if length < capacity { return Array(target[..<length]) }
            capacity *= 2
        }
    }

    /// `prefix/name` (just `name` at the top), as text for matching.
    static func join(_ prefix: String, _ name: [UInt8]) -> String {
        let text = String(decoding: name, as: UTF8.self)
        return prefix.isEmpty ? text : prefix + "/" + text
    }

    static func withName<R>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (name + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
    }
}
