import Glibc
import SkiffArchive
import SkiffBuild
import Testing

@testable import SkiffCLI

/// A temporary directory removed at the end of the test.
private final class TempTree {
    let root: String

    init() {
        var template = Array("/tmp/skiff-cli-build-XXXXXX".utf8CString)
        root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit { _ = remove(root) }

    private func remove(_ path: String) -> Int32 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        if st.st_mode & S_IFMT == S_IFDIR {
            if let dir = opendir(path) {
                while let entry = readdir(dir) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    if name != "." && name != ".." { _ = remove(path + "/" + name) }
                }
                closedir(dir)
            }
            return rmdir(path)
        }
        return unlink(path)
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    func file(_ relative: String, _ text: String = "", mode: mode_t = 0o644) {
        directory(String(relative.split(separator: "/").dropLast().joined(separator: "/")))
        let fd = open(path(relative), O_WRONLY | O_CREAT | O_TRUNC, mode)
        Output.write(fd, text)
        fchmod(fd, mode)
        close(fd)
    }

    func directory(_ relative: String) {
        guard !relative.isEmpty else { return }
        FileSystem.makeDirectories(path(relative))
    }

    func symlink(_ relative: String, to target: String) { _ = Glibc.symlink(target, path(relative)) }

    func hardlink(_ relative: String, to existing: String) { _ = link(path(existing), path(relative)) }
}

/// One entry as read back from a tar stream.
private struct Entry: Equatable {
    var path: String
    var kind: TarEntry.Kind
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var link: String
    var contents: String
}

private func entries(_ bytes: [UInt8]) throws -> [Entry] {
    let reader = TarReader(MemorySource(bytes))
    var out: [Entry] = []
    while let entry = try reader.next() {
        var contents = [UInt8](repeating: 0, count: Int(entry.size))
        var filled = 0
        while filled < contents.count {
            let n = try contents.withUnsafeMutableBytes { try reader.readContents(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if n == 0 { break }
            filled += n
        }
        out.append(Entry(path: entry.path, kind: entry.kind, mode: entry.mode, uid: entry.uid, gid: entry.gid,
                         link: entry.linkTarget, contents: String(decoding: contents, as: UTF8.self)))
    }
    return out
}

/// The context of `tree` as `skiff build` sends it, with its .dockerignore and the build files kept.
private func contextTar(_ tree: TempTree, dockerfile: String = "Dockerfile", added: ContextArchive.AddedDockerfile? = nil) throws -> [Entry] {
    // A Dockerfile added from elsewhere: the context has none of its own (as with `-f -`).
    let local = try LocalContext(path: tree.root, dockerfile: added == nil ? "" : "-")
    let ignore = try local.readIgnoreFile().keepingBuildFiles([".dockerignore", dockerfile])
    var archive = ContextArchive(directory: local.directory, ignore: ignore)
    archive.addedDockerfile = added
    let tar = TarWriter(MemorySink(), bufferSize: 64 << 10)
    try archive.write(to: tar)
    return try entries(tar.sink.bytes)
}

private func paths(_ list: [Entry]) -> [String] { list.map(\.path) }

/// The message of the CLIError `body` throws (nil when it does not throw one).
private func failure(_ body: () throws -> Void) -> String? {
    do { try body() } catch { return (error as? CLIError)?.message }
    return nil
}

@Test func contextTarHasDockersEntries() throws {
    let tree = TempTree()
    tree.file("Dockerfile", "FROM busybox\n")
    tree.file("b/c", "see")
    tree.symlink("b/d", to: "c")
    tree.symlink("dangling", to: "/nonexistent")
    tree.file("a", "aaa", mode: 0o4755)
    tree.hardlink("e", to: "a")
    mkfifo(tree.path("f"), 0o600)
    tree.directory("g")
    let list = try contextTar(tree)
    #expect(paths(list) == ["Dockerfile", "a", "b/", "b/c", "b/d", "dangling", "e", "f", "g/"])
    let byPath = Dictionary(uniqueKeysWithValues: list.map { ($0.path, $0) })
    #expect(byPath["a"]?.mode == 0o4755 && byPath["a"]?.contents == "aaa")
    #expect(byPath["b/d"]?.kind == .symbolicLink && byPath["b/d"]?.link == "c")
    #expect(byPath["dangling"]?.link == "/nonexistent")
    #expect(byPath["e"]?.kind == .hardLink && byPath["e"]?.link == "a")
    #expect(byPath["f"]?.kind == .fifo)
    #expect(byPath["g/"]?.kind == .directory)
    #expect(list.allSatisfy { $0.uid == 0 && $0.gid == 0 })
}

@Test func dockerignoreLeavesFilesOut() throws {
    let tree = TempTree()
    tree.file("Dockerfile")
    tree.file(".dockerignore", "# comment\n*.log\n!keep.log\ndir\n!dir/sub\n**/tmp\n")
    for name in ["a.log", "keep.log", "dir/x", "dir/sub/y", "src/tmp/z", "src/main", "tmp/w"] { tree.file(name) }
    let list = try contextTar(tree)
    #expect(paths(list) == [".dockerignore", "Dockerfile", "dir/sub/", "dir/sub/y", "keep.log", "src/", "src/main"])
}

@Test func excludedDirectoriesAreSkippedAsGoArchiveSkipsThem() throws {
    let tree = TempTree()
    tree.file("Dockerfile")
    tree.file("dir/keep")
    tree.file("other/keep")
    // `!*/keep` matches dir/keep, but go-archive only enters an excluded directory when an
    // exception starts with its path.
    tree.file(".dockerignore", "dir\n!*/keep\n")
    #expect(paths(try contextTar(tree)) == [".dockerignore", "Dockerfile", "other/", "other/keep"])
    tree.file(".dockerignore", "dir\n!dir/keep\n")
    #expect(paths(try contextTar(tree)) == [".dockerignore", "Dockerfile", "dir/keep", "other/", "other/keep"])
}

@Test func buildFilesAreSentEvenWhenIgnored() throws {
    let tree = TempTree()
    tree.file("Dockerfile")
    tree.file("sub/Dockerfile.dev")
    tree.file("sub/other")
    tree.file("x")
    tree.file(".dockerignore", "*\n")
    #expect(paths(try contextTar(tree)) == [".dockerignore", "Dockerfile"])
    #expect(paths(try contextTar(tree, dockerfile: "sub/Dockerfile.dev")) == [".dockerignore", "sub/Dockerfile.dev"])
}

@Test func anAddedDockerfileIsNamedInTheDockerignore() throws {
    let tree = TempTree()
    tree.file("f", "data")
    let added = ContextArchive.AddedDockerfile(contents: Array("FROM scratch\n".utf8), time: 1_700_000_000, name: ".dockerfile.0123456789abcdef0123")
    var list = try contextTar(tree, added: added)
    #expect(paths(list) == ["f", ".dockerignore", ".dockerfile.0123456789abcdef0123"])
    #expect(list[1].contents == ".dockerignore\n.dockerfile.0123456789abcdef0123\n" && list[1].mode == 0o600)
    #expect(list[2].contents == "FROM scratch\n" && list[2].mode == 0o600)
    tree.file(".dockerignore", "*.tmp", mode: 0o640)
    list = try contextTar(tree, added: added)
    #expect(paths(list) == [".dockerignore", "f", ".dockerfile.0123456789abcdef0123"])
    #expect(list[0].contents == "*.tmp\n.dockerfile.0123456789abcdef0123\n" && list[0].mode == 0o640)
}

@Test func randomDockerfileNamesLookLikeDockers() {
    let name = ContextArchive.AddedDockerfile.randomName()
    #expect(name.hasPrefix(".dockerfile.") && name.count == 32)
    #expect(name.dropFirst(12).allSatisfy { $0.isHexDigit && !$0.isUppercase })
    #expect(name != ContextArchive.AddedDockerfile.randomName())
}

@Test func contextTarSizesMatchGoArchive() throws {
    // Two ustar entries of 512 + 512 bytes and the end blocks: docker says 3.072kB.
    let tree = TempTree()
    tree.file("Dockerfile", "FROM busybox\n")
    tree.file("a", "hello\n")
    let local = try LocalContext(path: tree.root, dockerfile: "")
    let tar = TarWriter(MemorySink(), bufferSize: 64 << 10)
    try ContextArchive(directory: local.directory, ignore: try DockerIgnore(patterns: [])).write(to: tar)
    #expect(tar.sink.bytes.count == 3072)
    #expect(UploadProgress.line(3072) == "Sending build context to Docker daemon  3.072kB\r")
}

@Test func localContextResolvesTheDockerfileAsDockerDoes() throws {
    let tree = TempTree()
    tree.file("ctx/dockerfile")
    tree.file("elsewhere/Df")
    tree.symlink("link", to: "ctx")
    let local = try LocalContext(path: tree.path("link"), dockerfile: "")
    #expect(local.directory.hasSuffix("/ctx") && local.dockerfile == "dockerfile")
    let outside = try LocalContext(path: tree.path("ctx"), dockerfile: tree.path("elsewhere/Df"))
    #expect(outside.dockerfile == "../elsewhere/Df" && outside.dockerfileIsOutside)
    #expect(try LocalContext(path: tree.path("ctx"), dockerfile: "-").dockerfile == "-")
    #expect(failure { _ = try LocalContext(path: tree.path("ctx"), dockerfile: tree.path("elsewhere/nope")) }
        == "unable to evaluate symlinks in Dockerfile path: lstat \(tree.path("elsewhere/nope")): no such file or directory")
    #expect(failure { _ = try LocalContext(path: tree.path("ctx/dockerfile"), dockerfile: "") }
        == "context must be a directory: \(tree.path("ctx/dockerfile"))")
    #expect(LocalContext.relative("/a/b/c", to: "/a/b") == "c")
    #expect(LocalContext.relative("/a/x/Dockerfile", to: "/a/b") == "../x/Dockerfile")
    #expect(LocalContext.relative("/a", to: "/a") == ".")
    #expect(LocalContext.relative("/Dockerfile", to: "/") == "Dockerfile")
}

@Test func badIgnorePatternsFailAsDockerSays() throws {
    let tree = TempTree()
    tree.file("Dockerfile")
    tree.file(".dockerignore", "[\n")
    let local = try LocalContext(path: tree.root, dockerfile: "")
    #expect(failure { _ = try local.readIgnoreFile() } == "error checking context: syntax error in pattern")
    tree.file(".dockerignore", "!\n")
    #expect(failure { _ = try local.readIgnoreFile() } == "error checking context: illegal exclusion pattern: \"!\"")
}

@Test func stdinIsATarOrADockerfile() throws {
    let tar = TarWriter(MemorySink(), bufferSize: 64 << 10)
    try tar.append(TarEntry(kind: .regular, path: "Dockerfile"), contents: Array("FROM busybox\n".utf8))
    try tar.finish()
    #expect(StdinContext.isArchive(Array(tar.sink.bytes.prefix(1024))))
    #expect(StdinContext.isArchive([0x1F, 0x8B, 0x08, 0x00]))
    #expect(StdinContext.isArchive([0x28, 0xB5, 0x2F, 0xFD, 0, 0]))
    #expect(StdinContext.isArchive(Array("BZh91AY".utf8)))
    #expect(!StdinContext.isArchive(Array("FROM busybox\nRUN true\n".utf8)))
    #expect(!StdinContext.isArchive([UInt8](repeating: 0, count: 1024)))
    #expect(!StdinContext.isArchive(Array(tar.sink.bytes.prefix(511))))
    var corrupt = Array(tar.sink.bytes.prefix(1024))
    corrupt[0] ^= 1
    #expect(!StdinContext.isArchive(corrupt))
    // A PAX header first: archive/tar needs the next header too, past the 1024 bytes docker peeks.
    let pax = TarWriter(MemorySink(), bufferSize: 64 << 10)
    try pax.append(TarEntry(kind: .regular, path: String(repeating: "n", count: 120)), contents: [])
    try pax.finish()
    #expect(!StdinContext.isArchive(Array(pax.sink.bytes.prefix(1024))))
}

@Test func aDockerfileOnStdinBecomesAOneFileContext() throws {
    let list = try entries(try StdinContext.dockerfileArchive(Array("FROM busybox\n".utf8), time: 1_700_000_000))
    #expect(list.count == 1 && list[0].path == "Dockerfile" && list[0].contents == "FROM busybox\n")
    #expect(list[0].uid == getuid())
}
