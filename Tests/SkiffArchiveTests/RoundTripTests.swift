import CZlib
import Foundation
import Glibc
import SkiffArchive
import Testing

@Suite struct RoundTripTests {
    /// A version 2 security.capability value granting CAP_NET_BIND_SERVICE (effective).
    static let capability: [UInt8] = [0x01, 0, 0, 0x02, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    static let longComponent = String(repeating: "n", count: 120)
    static let deepPath = (0..<5).map { "level-\($0)-" + String(repeating: "p", count: 60) }.joined(separator: "/")

    /// A tree with every kind of entry and the metadata worth keeping.
    static func makeTree(_ root: String) throws {
        func mkdir(_ path: String, _ mode: mode_t) throws {
            try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
            chmod(root + "/" + path, mode)
        }
        try mkdir("etc", 0o755)
        try writeFile(root + "/etc/passwd", Array("root:x:0:0::/root:/bin/sh\n".utf8))
        try mkdir("bin", 0o755)
        var big = [UInt8](repeating: 0, count: 3 << 20 + 12345)
        for index in stride(from: 0, to: big.count, by: 97) { big[index] = UInt8(truncatingIfNeeded: index) }
        try writeFile(root + "/bin/big", big)
        try writeFile(root + "/bin/empty", [])
        try writeFile(root + "/bin/setuid", Array("#!/bin/sh\n".utf8))
        chmod(root + "/bin/setuid", 0o4755)
        try writeFile(root + "/bin/setgid", Array("x".utf8))
        chmod(root + "/bin/setgid", 0o2711)
        try writeFile(root + "/bin/ping", Array("ping".utf8))
        chmod(root + "/bin/ping", 0o755)
        try setXattr(root + "/bin/ping", "security.capability", capability)
        try setXattr(root + "/bin/ping", "user.note", [0, 1, 2, 3, 0xff, 0x0a, 0x3d])
        try mkdir("tmp", 0o1777)
        try setXattr(root + "/tmp", "user.dir", Array("yes".utf8))
        try mkdir("owned", 0o750)
        try writeFile(root + "/owned/file", Array("mine".utf8))
        lchown(root + "/owned/file", 1234, 5678)
        lchown(root + "/owned", 1234, 5678)
        symlink("../etc/passwd", root + "/bin/link")
        symlink("/nonexistent/target", root + "/bin/dangling")
        lchown(root + "/bin/dangling", 42, 43)
        try setXattr(root + "/bin/dangling", "trusted.symlink", Array("on a link".utf8))
        link(root + "/bin/big", root + "/bin/big-again")
        link(root + "/etc/passwd", root + "/etc/passwd-hard")
        mkfifo(root + "/tmp/fifo", 0o620)
        #expect(mknod(root + "/tmp/null", S_IFCHR | 0o666, __dev_t(czlib_makedev(1, 3))) == 0)
        #expect(mknod(root + "/tmp/sda", S_IFBLK | 0o660, __dev_t(czlib_makedev(8, 0))) == 0)
        try mkdir(longComponent, 0o700)
        try writeFile(root + "/" + longComponent + "/" + longComponent, Array("long".utf8))
        try mkdir(deepPath, 0o755)
        try writeFile(root + "/" + deepPath + "/leaf", Array("deep".utf8))
        symlink(deepPath + "/leaf", root + "/deep-link")
        // Fractional mtimes everywhere, directories last.
        var counter = 0
        let enumerator = FileManager.default.enumerator(atPath: root)!
        var paths: [String] = []
        while let path = enumerator.nextObject() as? String { paths.append(path) }
        for path in paths.sorted(by: >) {
            counter += 1
            try setMtime(root + "/" + path, seconds: 1_600_000_000 + counter * 1000, nanoseconds: counter * 12_345_679 % 1_000_000_000)
        }
    }

    @Test(.enabled(if: isRoot), arguments: [Compression.gzip, .zstd, .none])
    func treeToLayerToTree(format: Compression) throws {
        let dir = try TempDir()
        let tree = try dir.dir("tree")
        try Self.makeTree(tree)
        let expected = try snapshot(tree)

        let sink = try FileSink(dir.sub("layer"))
        var blobBytes: Int64 = 0
        var tarBytes: Int64 = 0
        var observed = ObservingSink(sink) { blobBytes += Int64($0.count) }
        let result = try LayerWriter.write(directory: tree, to: &observed, format: format) { tarBytes += Int64($0.count) }
        #expect(result.uncompressedSize == tarBytes && result.compressedSize == blobBytes)
        #expect(blobBytes == Int64(try readFile(dir.sub("layer")).count))

        let out = try dir.dir("out")
        var seenCompressed: Int64 = 0
        let applied = try LayerApplier.apply(
            layer: ObservingSource(FileDescriptorSourceBox(try FileSource(dir.sub("layer")))) { seenCompressed += Int64($0.count) },
            to: out, mode: .merged)
        #expect(applied.uncompressedSize == tarBytes)
        #expect(seenCompressed == blobBytes)
        #expect(applied.entryCount == result.entryCount)
        expectSameTrees(expected, try snapshot(out))

        // The same without openat2 and without the decompression thread.
        let manual = try dir.dir("manual")
        let options = ExtractOptions(decompressInBackground: false, useOpenat2: false)
        #expect(try applyFile(dir.sub("layer"), to: manual, mode: .merged, options: options).uncompressedSize == tarBytes)
        expectSameTrees(expected, try snapshot(manual))
    }

    @Test(.enabled(if: isRoot)) func entriesAreSortedWithHardLinksByInode() throws {
        let dir = try TempDir()
        let tree = try dir.dir("tree")
        try Self.makeTree(tree)
        var sink = MemorySink()
        try LayerWriter.write(directory: tree, to: &sink, format: .none)
        let entries = try readAll(sink.bytes).map(\.0)
        let top = entries.map(\.path).filter { !$0.dropLast().contains("/") }
        #expect(top == top.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        // "bin/big" sorts before "bin/big-again": the first name carries the contents.
        #expect(entries.first { $0.path == "bin/big" }?.kind == .regular)
        #expect(entries.first { $0.path == "bin/big" }?.size == Int64(3 << 20 + 12345))
        let again = entries.first { $0.path == "bin/big-again" }
        #expect(again?.kind == .hardLink && again?.linkTarget == "bin/big")
        #expect(entries.first { $0.path == "bin/" }?.kind == .directory)
        #expect(entries.first { $0.path == "bin/ping" }?.xattrs["security.capability"] == Self.capability)
    }

    @Test(.enabled(if: isRoot)) func gnuTarAndPythonExtractOurLayer() throws {
        let dir = try TempDir()
        let tree = try dir.dir("tree")
        try Self.makeTree(tree)
        let expected = try snapshot(tree)
        var sink = try FileSink(dir.sub("layer.tar.gz"))
        try LayerWriter.write(directory: tree, to: &sink, format: .gzip)

        let gnu = try dir.dir("gnu")
        try run(["tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpzf", dir.sub("layer.tar.gz"), "-C", gnu])
        expectSameTrees(expected, try snapshot(gnu))

        let py = try dir.dir("python")
        try python("""
        import sys, tarfile
        with tarfile.open(sys.argv[1]) as t:
            t.extractall(sys.argv[2], numeric_owner=True)
        """, [dir.sub("layer.tar.gz"), py])
        // Python keeps neither xattrs nor nanoseconds: compare the rest.
        var pyExpected = expected
        var pyActual = try snapshot(py)
        for key in pyExpected.keys {
            pyExpected[key]?.xattrs = [:]
            pyExpected[key]?.mtimeNanoseconds = 0
            pyActual[key]?.xattrs = [:]
            pyActual[key]?.mtimeNanoseconds = 0
            if pyExpected[key]?.type == S_IFLNK {
                pyExpected[key]?.mtimeSeconds = 0
                pyActual[key]?.mtimeSeconds = 0
                pyActual[key]?.uid = pyExpected[key]!.uid
                pyActual[key]?.gid = pyExpected[key]!.gid
            }
            if pyExpected[key]?.xattrs.isEmpty == false || key == "bin/ping" {
                pyActual[key]?.mode = pyExpected[key]!.mode
            }
        }
        expectSameTrees(pyExpected, pyActual)
    }

    @Test(.enabled(if: isRoot)) func weExtractGNUTarLayers() throws {
        let dir = try TempDir()
        let tree = try dir.dir("tree")
        try Self.makeTree(tree)
        let expected = try snapshot(tree)
        for (name, flags) in [("pax.tar.gz", ["--format=pax", "-z"]), ("gnu.tar.zst", ["--format=gnu", "--zstd"])] {
            var arguments = ["tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-C", tree, "-cf", dir.sub(name)] + flags + ["."]
            if flags[0] == "--format=gnu" { arguments.removeSubrange(1...2) }
            try run(arguments)
            let out = try dir.dir("out-" + name)
            try applyFile(dir.sub(name), to: out, mode: .merged)
            var want = expected
            if flags[0] == "--format=gnu" {
                // GNU format carries neither xattrs nor sub-second times.
                for key in want.keys {
                    want[key]?.xattrs = [:]
                    want[key]?.mtimeNanoseconds = 0
                    if key == "bin/ping" { want[key]?.mode = 0o755 }
                }
            }
            expectSameTrees(want, try snapshot(out))
        }
    }

    @Test func extractionWithoutOwnership() throws {
        let dir = try TempDir()
        let archive = try makeTar { writer in
            try writer.append(TarEntry(kind: .directory, path: "d", mode: 0o750, uid: 4321, gid: 4321))
            try writer.append(TarEntry(kind: .regular, path: "d/f", mode: 0o640, uid: 4321, gid: 4321), contents: Array("x".utf8))
        }
        let out = try dir.dir("out")
        try applyBytes(archive, to: out, options: ExtractOptions(ownership: .ignore))
        var status = stat()
        #expect(stat(out + "/d/f", &status) == 0 && status.st_uid == geteuid() && status.st_mode & 0o777 == 0o640)
        let shifted = try dir.dir("shifted")
        try applyBytes(archive, to: shifted, options: ExtractOptions(ownership: .remap { uid, gid in (uid + 100_000, gid + 100_000) }))
        if isRoot { #expect(stat(shifted + "/d/f", &status) == 0 && status.st_uid == 104_321 && status.st_gid == 104_321) }
    }

    @Test func laterEntriesReplaceEarlierOnes() throws {
        let dir = try TempDir()
        let archive = try makeTar { writer in
            try writer.append(TarEntry(kind: .directory, path: "a/b", mode: 0o755))
            try writer.append(TarEntry(kind: .regular, path: "a/b/c"), contents: Array("1".utf8))
            try writer.append(TarEntry(kind: .regular, path: "a/b"), contents: Array("file now".utf8))
            try writer.append(TarEntry(kind: .symbolicLink, path: "x", linkTarget: "a"))
            try writer.append(TarEntry(kind: .directory, path: "x", mode: 0o700))
            try writer.append(TarEntry(kind: .regular, path: "x/f"), contents: Array("in x".utf8))
            try writer.append(TarEntry(kind: .regular, path: "y"), contents: Array("old".utf8))
            try writer.append(TarEntry(kind: .hardLink, path: "z", linkTarget: "y"))
            try writer.append(TarEntry(kind: .regular, path: "y"), contents: Array("new".utf8))
            try writer.append(TarEntry(kind: .directory, path: "./", mode: 0o711, modificationTime: .init(seconds: 1234)))
        }
        let out = try dir.dir("out")
        try applyBytes(archive, to: out)
        #expect(try readFile(out + "/a/b") == Array("file now".utf8))
        #expect(try readFile(out + "/x/f") == Array("in x".utf8))
        #expect(try readFile(out + "/z") == Array("old".utf8))
        #expect(try readFile(out + "/y") == Array("new".utf8))
        var status = stat()
        #expect(lstat(out + "/x", &status) == 0 && status.st_mode & S_IFMT == S_IFDIR)
        #expect(stat(out, &status) == 0 && status.st_mode & 0o7777 == 0o711 && status.st_mtim.tv_sec == 1234)
    }
}
