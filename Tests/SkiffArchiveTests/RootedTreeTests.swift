import Foundation
import Glibc
import SkiffArchive
import Testing

/// `docker cp`'s paths (Go's filepath rules) and RootedTree: stat, resolve, archive names and
/// extraction, with a root full of hostile symlinks that must never lead outside it.
@Suite struct RootedTreeTests {
    @Test(arguments: [
        ("", "."), ("/", "/"), ("a/b/", "a/b"), ("/a/./b/../c", "/a/c"), ("../a", "../a"), ("/../a", "/a"),
        ("a/../..", ".."), ("//a//b", "/a/b"), (".", "."),
    ])
    func clean(input: String, expected: String) {
        #expect(CopyPath.clean(input) == expected)
    }

    @Test func baseDirAndSplit() {
        #expect(CopyPath.base("/a/b/") == "b")
        #expect(CopyPath.base("/") == "/")
        #expect(CopyPath.base("") == ".")
        #expect(CopyPath.dir("/a/b") == "/a")
        #expect(CopyPath.dir("a") == ".")
        #expect(CopyPath.dir("/a") == "/")
        #expect(CopyPath.splitDirectoryEntry("/tmp/d/.") == ("/tmp/d", "."))
        #expect(CopyPath.splitDirectoryEntry("/tmp/d/") == ("/tmp", "d"))
        #expect(CopyPath.splitDirectoryEntry("/") == ("/", "/"))
        #expect(CopyPath.join("/", "etc/../x") == "/x")
        #expect(CopyPath.join("", "") == "")
    }

    @Test func trailingDotOrSeparator() {
        #expect(CopyPath.preserveTrailingDotOrSeparator("/a/b", "a/b/.") == "/a/b/.")
        #expect(CopyPath.preserveTrailingDotOrSeparator("/a/b", "a/b/") == "/a/b/")
        #expect(CopyPath.preserveTrailingDotOrSeparator("/", "/.") == "/.")
        #expect(CopyPath.preserveTrailingDotOrSeparator("/a", "a") == "/a")
        #expect(CopyPath.assertsDirectory("x/") && CopyPath.assertsDirectory("x/.") && !CopyPath.assertsDirectory("x"))
    }

    @Test func rebaseReplacesTheFirstOccurrence() {
        #expect(PathRebase(from: "src", to: "dst").apply(Array("src/a/src".utf8)) == Array("dst/a/src".utf8))
        #expect(PathRebase(from: ".", to: "new").apply(Array("./a".utf8)) == Array("new/a".utf8))
        #expect(PathRebase(from: "/", to: "new").apply(Array("/a".utf8)) == Array("new/a".utf8))
        #expect(PathRebase(from: "zz", to: "y").apply(Array("abc".utf8)) == Array("abc".utf8))
    }

    /// A root whose links point everywhere: `etc -> /`, `escape -> ../../../..`, `host ->` a
    /// real host directory (absolute), `up -> ..`, plus ordinary files and links.
    static func hostileRoot(_ dir: TempDir) throws -> (root: String, host: String) {
        let root = try dir.dir("root")
        let host = try dir.dir("host")
        try writeFile(host + "/secret", Array("HOST".utf8))
        try FileManager.default.createDirectory(atPath: root + "/data/sub", withIntermediateDirectories: true)
        try writeFile(root + "/data/file", Array("file".utf8))
        try writeFile(root + "/data/sub/deep", Array("deep".utf8))
        try writeFile(root + "/secret", Array("CONTAINER".utf8))
        symlink("/", root + "/etc")
        symlink("../../../..", root + "/escape")
        symlink(host, root + "/host")
        symlink("..", root + "/up")
        symlink("file", root + "/data/link")
        symlink("../nowhere/x", root + "/data/dangling")
        return (root, host)
    }

    @Test func statFollowsEverythingButTheLastLink() throws {
        let dir = try TempDir()
        let (root, host) = try Self.hostileRoot(dir)
        let tree = RootedTree(root: root)
        let file = try tree.stat("/data/file")
        #expect(file.name == "file" && file.size == 4 && file.mode & S_IFMT == S_IFREG && file.linkTarget == "")
        let link = try tree.stat("data/link")
        #expect(link.isSymbolicLink && link.linkTarget == "/data/file")
        #expect(try tree.stat("/data/dangling").linkTarget == "/nowhere/x")
        #expect(try tree.stat("/etc").linkTarget == "/")
        #expect(try tree.stat("/escape").linkTarget == "/")
        #expect(try tree.stat("/host").linkTarget == host)  // the path, inside the root
        #expect(try tree.stat("/etc/").isDirectory)
        #expect(try tree.stat("/data/.").name == ".")
        #expect(try tree.stat("/").name == "/")
        // Through the links: the root's own files, never the host's.
        #expect(try tree.stat("/escape/secret").size == 9)
        #expect(try tree.stat("/up/up/etc/escape/secret").size == 9)
        #expect(throws: ArchiveError.self) { try tree.stat("/host/secret") }
        #expect(throws: ArchiveError.self) { try tree.stat("/escape\(host)/secret") }
        let missing = try #require(throws: ArchiveError.self) { try tree.stat("/nope") }
        #expect(missing.errno == ENOENT && missing.subject == "/nope")
        let notDirectory = try #require(throws: ArchiveError.self) { try tree.stat("/data/file/") }
        #expect(notDirectory.errno == ENOTDIR && notDirectory.subject == "/data/file/")
    }

    @Test func resolveExpandsLinksInsideTheRoot() throws {
        let dir = try TempDir()
        let (root, host) = try Self.hostileRoot(dir)
        let tree = RootedTree(root: root)
        #expect(try tree.resolve("/etc/escape/data/link") == "/data/file")
        #expect(try tree.resolve("/escape/../../data/") == "/data")
        #expect(try tree.resolve("/host/secret") == host + "/secret")
        #expect(try tree.resolve("/data/dangling") == "/nowhere/x")
    }

    static func names(_ tar: [UInt8]) throws -> [String] {
        try readAll(tar).map { $0.0.path }
    }

    @Test func archiveNamesAsDockerCp() throws {
        let dir = try TempDir()
        let (root, _) = try Self.hostileRoot(dir)
        let tree = RootedTree(root: root)
        func archive(_ path: String) throws -> [UInt8] {
            try makeTar { writer in try tree.archive(path, to: writer, options: .init(subsecondTimes: false)) }
        }
        #expect(try Self.names(archive("/data")) == ["data/", "data/dangling", "data/file", "data/link", "data/sub/", "data/sub/deep"])
        #expect(try Self.names(archive("/data/.")) == ["./", "./dangling", "./file", "./link", "./sub/", "./sub/deep"])
        #expect(try Self.names(archive("/data/link")) == ["link"])
        #expect(try Self.names(archive("/escape/secret")) == ["secret"])
        let viaLink = try readAll(try archive("/etc/escape/secret"))
        #expect(viaLink.count == 1 && viaLink[0].1 == Array("CONTAINER".utf8))
        #expect(try Self.names(archive("/")).prefix(3) == ["/", "/data/", "/data/dangling"])
        #expect(throws: ArchiveError.self) { try archive("/host/secret") }
    }

    @Test func extractRenamesAndStaysInside() throws {
        let dir = try TempDir()
        let (root, host) = try Self.hostileRoot(dir)
        let tree = RootedTree(root: root)
        let tar = try makeTar { writer in
            try writer.append(TarEntry(kind: .directory, path: "./", mode: 0o700))
            try writer.append(TarEntry(kind: .directory, path: "src/", mode: 0o750, uid: 7, gid: 8))
            try writer.append(TarEntry(kind: .regular, path: "src/a", mode: 0o640), contents: Array("a".utf8))
            try writer.append(TarEntry(kind: .hardLink, path: "src/b", linkTarget: "src/a"))
            try writer.append(TarEntry(kind: .symbolicLink, path: "src/out", linkTarget: host))
            try writer.append(TarEntry(kind: .regular, path: "src/out/pwned"), contents: Array("x".utf8))
        }
        // Into a directory reached through `etc -> /`, the entries renamed src -> copy.
        try tree.extract(MemorySource(tar), into: "/etc/data/sub", options: .init(rebases: [PathRebase(from: "src", to: "copy")]))
        #expect(try readFile(root + "/data/sub/copy/a") == Array("a".utf8))
        var a = stat(), b = stat(), sub = stat()
        #expect(stat(root + "/data/sub/copy/a", &a) == 0 && stat(root + "/data/sub/copy/b", &b) == 0 && a.st_ino == b.st_ino)
        #expect(a.st_mode & 0o7777 == 0o640)
        #expect(stat(root + "/data/sub/copy", &sub) == 0 && sub.st_uid == 7 && sub.st_mode & 0o777 == 0o750)
        // The archive's "." did not touch the destination.
        #expect(stat(root + "/data/sub", &sub) == 0 && sub.st_mode & 0o777 == 0o755)
        // The file written through the absolute link landed inside the root.
        #expect(try readFile(root + host + "/pwned") == Array("x".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: host) == ["secret"])
    }

    @Test func extractRefusesWhatDockerRefuses() throws {
        let dir = try TempDir()
        let (root, _) = try Self.hostileRoot(dir)
        let tree = RootedTree(root: root)
        let escaping = try makeTar { try $0.append(TarEntry(kind: .regular, path: "../../x"), contents: []) }
        let outside = try #require(throws: ArchiveError.self) { try tree.extract(MemorySource(escaping), into: "/data") }
        #expect(outside.message == "\"../../x\" is outside of \"/data\"")

        let fileOverDirectory = try makeTar { try $0.append(TarEntry(kind: .regular, path: "sub"), contents: []) }
        let noOverwrite = RootedTree.CopyOptions(noOverwriteDirNonDir: true)
        let error = try #require(throws: ArchiveError.self) {
            try tree.extract(MemorySource(fileOverDirectory), into: "/data", options: noOverwrite)
        }
        #expect(error.kind == .conflict && error.message == "cannot overwrite directory \"/data/sub\" with non-directory \"/data\"")
        let directoryOverFile = try makeTar { try $0.append(TarEntry(kind: .directory, path: "file/")) }
        let other = try #require(throws: ArchiveError.self) {
            try RootedTree(root: root, displayRoot: "/local").extract(MemorySource(directoryOverFile), into: "/data", options: noOverwrite)
        }
        #expect(other.message == "cannot overwrite non-directory \"/local/data/file\" with directory \"/local/data\"")
        // Without the option, Docker replaces what is there.
        try tree.extract(MemorySource(fileOverDirectory), into: "/data")
        var st = stat()
        #expect(lstat(root + "/data/sub", &st) == 0 && st.st_mode & S_IFMT == S_IFREG)

        let garbage = Array(repeating: UInt8(ascii: "x"), count: 2048)
        #expect(throws: ArchiveError.self) { try tree.extract(MemorySource(garbage), into: "/") }
    }
}
