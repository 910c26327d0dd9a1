import Foundation
import Glibc
import SkiffArchive
import Testing

@Suite struct TarFormatTests {
    static let longName = String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 70) + "/file-with-a-name-longer-than-a-hundred-bytes-" + String(repeating: "f", count: 60)
    static let veryLongName = (0..<6).map { "directory-\($0)-" + String(repeating: "x", count: 40) }.joined(separator: "/") + "/leaf"

    static func sampleArchive() throws -> [UInt8] {
        try makeTar { writer in
            try writer.append(TarEntry(kind: .directory, path: "dir", mode: 0o755, uid: 1000, gid: 1000, userName: "user", groupName: "group", modificationTime: .init(seconds: 1_700_000_000)))
            try writer.append(TarEntry(kind: .regular, path: "dir/hello.txt", mode: 0o4755, modificationTime: .init(seconds: 1_700_000_001, nanoseconds: 123_456_789)), contents: Array("hello\n".utf8))
            try writer.append(TarEntry(kind: .symbolicLink, path: "dir/link", linkTarget: "hello.txt"))
            try writer.append(TarEntry(kind: .hardLink, path: "dir/hard", linkTarget: "dir/hello.txt"))
            try writer.append(TarEntry(kind: .regular, path: longName, mode: 0o600), contents: Array("long".utf8))
            try writer.append(TarEntry(kind: .regular, path: veryLongName), contents: Array("very long".utf8))
            try writer.append(TarEntry(kind: .symbolicLink, path: "dir/longlink", linkTarget: veryLongName))
            try writer.append(TarEntry(kind: .regular, path: "dir/big-ids", uid: 3_000_000, gid: 4_000_000), contents: [])
            try writer.append(TarEntry(kind: .regular, path: "dir/caps", mode: 0o755, xattrs: [
                "security.capability": [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                "user.comment": Array("naïve\n=1 2".utf8),
            ]), contents: [0, 1, 2])
            try writer.append(TarEntry(kind: .fifo, path: "dir/fifo", mode: 0o644))
            try writer.append(TarEntry(kind: .characterDevice, path: "dir/null", mode: 0o666, deviceMajor: 1, deviceMinor: 3))
            try writer.append(TarEntry(kind: .blockDevice, path: "dir/loop0", mode: 0o660, deviceMajor: 7, deviceMinor: 0))
            try writer.append(TarEntry(kind: .regular, path: "dir/ünïcödé"), contents: Array("u".utf8))
            try writer.append(TarEntry(kind: .regular, path: "dir/old", modificationTime: .init(seconds: -86_400 * 365, nanoseconds: 250_000_000)), contents: [])
        }
    }

    @Test func weReadWhatWeWrite() throws {
        let entries = try readAll(Self.sampleArchive())
        #expect(entries.map(\.0.path) == ["dir/", "dir/hello.txt", "dir/link", "dir/hard", Self.longName, Self.veryLongName, "dir/longlink", "dir/big-ids", "dir/caps", "dir/fifo", "dir/null", "dir/loop0", "dir/ünïcödé", "dir/old"])
        let byPath = Dictionary(entries.map { ($0.0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let dir = byPath["dir/"]!.0
        #expect(dir.kind == .directory && dir.uid == 1000 && dir.userName == "user" && dir.groupName == "group")
        let hello = byPath["dir/hello.txt"]!
        #expect(hello.0.mode == 0o4755 && hello.0.size == 6 && hello.1 == Array("hello\n".utf8))
        #expect(hello.0.modificationTime == TarTimestamp(seconds: 1_700_000_001, nanoseconds: 123_456_789))
        #expect(byPath["dir/link"]!.0.kind == .symbolicLink && byPath["dir/link"]!.0.linkTarget == "hello.txt")
        #expect(byPath["dir/hard"]!.0.kind == .hardLink && byPath["dir/hard"]!.0.linkTarget == "dir/hello.txt")
        #expect(byPath[Self.veryLongName]!.1 == Array("very long".utf8))
        #expect(byPath["dir/longlink"]!.0.linkTarget == Self.veryLongName)
        #expect(byPath["dir/big-ids"]!.0.uid == 3_000_000 && byPath["dir/big-ids"]!.0.gid == 4_000_000)
        #expect(byPath["dir/caps"]!.0.xattrs["security.capability"]?.count == 20)
        #expect(byPath["dir/caps"]!.0.xattrs["user.comment"] == Array("naïve\n=1 2".utf8))
        #expect(byPath["dir/null"]!.0.kind == .characterDevice && byPath["dir/null"]!.0.deviceMajor == 1 && byPath["dir/null"]!.0.deviceMinor == 3)
        #expect(byPath["dir/loop0"]!.0.kind == .blockDevice && byPath["dir/loop0"]!.0.deviceMajor == 7)
        #expect(byPath["dir/fifo"]!.0.kind == .fifo)
        #expect(byPath["dir/old"]!.0.modificationTime == TarTimestamp(seconds: -86_400 * 365, nanoseconds: 250_000_000))
    }

    @Test func outputIsDeterministic() throws {
        #expect(try Self.sampleArchive() == Self.sampleArchive())
    }

    @Test func pythonTarfileReadsOurOutput() throws {
        let dir = try TempDir()
        try writeFile(dir.sub("a.tar"), try Self.sampleArchive())
        let script = """
        import sys, tarfile
        with tarfile.open(sys.argv[1]) as t:
            for m in t.getmembers():
                caps = m.pax_headers.get('SCHILY.xattr.security.capability')
                print(m.name, m.type.decode() if m.type else '0', oct(m.mode), m.uid, m.gid, m.size, repr(m.mtime), m.linkname, m.devmajor, m.devminor, len(caps.encode('utf-8', 'surrogateescape')) if caps else '-')
        """
        let lines = try python(script, [dir.sub("a.tar")]).stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 14)
        #expect(lines.contains { $0.hasPrefix("dir 5 0o755 1000 1000 0 1700000000") })
        #expect(lines.contains { $0.hasPrefix("dir/hello.txt 0 0o4755 0 0 6 1700000001.123456") })
        #expect(lines.contains { $0.hasPrefix(Self.longName + " 0 0o600") })
        #expect(lines.contains { $0.hasPrefix(Self.veryLongName + " 0 ") })
        #expect(lines.contains { $0.hasPrefix("dir/longlink 2 ") && $0.contains(Self.veryLongName) })
        #expect(lines.contains { $0.hasPrefix("dir/big-ids 0 0o644 3000000 4000000") })
        #expect(lines.contains { $0.hasPrefix("dir/caps 0 0o755") && $0.hasSuffix(" 20") })
        #expect(lines.contains { $0.hasPrefix("dir/null 3 0o666 0 0 0 0 ") && $0.contains(" 1 3 ") })
        #expect(lines.contains { $0.hasPrefix("dir/ünïcödé 0") })
        #expect(lines.contains { $0.hasPrefix("dir/old 0 0o644 0 0 0 -31535999.75") })
    }

    @Test func gnuTarReadsOurOutput() throws {
        let dir = try TempDir()
        try writeFile(dir.sub("a.tar"), try Self.sampleArchive())
        let listing = try run(["tar", "--xattrs", "--xattrs-include=*", "-tvf", dir.sub("a.tar")]).stdout
        for name in ["dir/hello.txt", Self.longName, Self.veryLongName, "dir/ünïcödé", "dir/null"] {
            #expect(listing.contains(name), "\(name) not in \(listing)")
        }
        #expect(listing.contains("-rwsr-xr-x  0/0               6 2023-11-14"))
        #expect(listing.contains("3000000/4000000"))
        // Extract the regular parts and check contents and xattrs.
        let out = try dir.dir("out")
        try run(["tar", "--xattrs", "--xattrs-include=*", "-xf", dir.sub("a.tar"), "--exclude=dir/null", "--exclude=dir/loop0"], cwd: out)
        #expect(try readFile(out + "/" + Self.veryLongName) == Array("very long".utf8))
        #expect(try readFile(out + "/dir/hard") == Array("hello\n".utf8))
        var status = stat()
        #expect(stat(out + "/dir/hello.txt", &status) == 0 && status.st_nlink == 2 && status.st_mode & 0o7777 == 0o4755)
        #expect(status.st_mtim.tv_sec == 1_700_000_001 && status.st_mtim.tv_nsec == 123_456_789)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/dir/longlink") == Self.veryLongName)
        let getcap = try python("import os,sys; print(os.getxattr(sys.argv[1], 'user.comment').decode())", [out + "/dir/caps"]).stdout
        #expect(getcap == "naïve\n=1 2\n")
    }

    @Test(arguments: ["gnu", "pax", "ustar", "v7", "oldgnu"])
    func weReadGNUTarOutput(format: String) throws {
        let dir = try TempDir()
        let tree = try dir.dir("tree")
        let deep = format == "v7" || format == "ustar" ? "d/e" : Self.veryLongName
        try FileManager.default.createDirectory(atPath: tree + "/" + deep, withIntermediateDirectories: true)
        try writeFile(tree + "/" + deep + "/file", Array(repeating: 0x61, count: 1000))
        try writeFile(tree + "/small", Array("x".utf8))
        symlink("small", tree + "/sym")
        link(tree + "/small", tree + "/hard")
        try setMtime(tree + "/small", seconds: 1_600_000_000, nanoseconds: 500_000_000)
        var arguments = ["tar", "--format=\(format)", "--sort=name", "-cf", dir.sub("a.tar"), "-C", tree, "."]
        if format == "pax" {
            try setXattr(tree + "/small", "user.k", [0, 1, 2, 0xff])
            arguments.insert(contentsOf: ["--xattrs", "--xattrs-include=*"], at: 1)
        }
        if format == "gnu" || format == "pax" { arguments.insert(contentsOf: ["--owner=3000000", "--group=12"], at: 1) }
        try run(arguments)
        let entries = try readAll(try readFile(dir.sub("a.tar")))
        let byPath = Dictionary(entries.map { ($0.0.path, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byPath["./" + deep + "/file"]?.1 == Array(repeating: 0x61, count: 1000), "\(byPath.keys.sorted())")
        #expect(byPath["./sym"]?.0.kind == .symbolicLink && byPath["./sym"]?.0.linkTarget == "small")
        let hard = byPath["./small"]?.0.kind == .hardLink ? byPath["./small"] : byPath["./hard"]
        #expect(hard?.0.kind == .hardLink)
        #expect(byPath["./"]?.0.kind == .directory || byPath["."]?.0.kind == .directory)
        if format == "pax" {
            let regular = byPath["./small"]?.0.kind == .regular ? byPath["./small"] : byPath["./hard"]
            #expect(regular?.0.xattrs["user.k"] == [0, 1, 2, 0xff])
            #expect(byPath["./small"]?.0.modificationTime == TarTimestamp(seconds: 1_600_000_000, nanoseconds: 500_000_000))
        }
        if format == "gnu" || format == "pax" { #expect(byPath["./sym"]?.0.uid == 3_000_000) }
    }

    @Test func compressedArchivesFromTools() throws {
        let dir = try TempDir()
        let tree = try dir.dir("tree")
        try writeFile(tree + "/f", Array(repeating: 0x62, count: 200_000))
        try run(["sh", "-c", "tar -czf a.tgz -C tree . && tar -cf - -C tree . | zstd -q -o a.tar.zst"], cwd: dir.path)
        for name in ["a.tgz", "a.tar.zst"] {
            let entries = try readAll(try readFile(dir.sub(name)))
            #expect(entries.first { $0.0.path == "./f" }?.1.count == 200_000)
        }
    }

    @Test func badHeadersNameTheEntry() throws {
        var archive = try makeTar { try $0.append(TarEntry(kind: .regular, path: "etc/passwd"), contents: Array("root".utf8)) }
        // Bad checksum.
        var bad = archive
        bad[0x10] = 0x41
        let checksum = #expect(throws: ArchiveError.self) { try readAll(bad) }
        #expect(checksum?.kind == .corrupt)
        #expect(checksum?.description.hasPrefix("layer entry \"etc/passwd\": header checksum mismatch") == true, "\(String(describing: checksum))")

        // A non-octal size (checksum recomputed so only the size is wrong).
        bad = archive
        bad[124 + 5] = UInt8(ascii: "x")
        Self.fixChecksum(&bad)
        let size = #expect(throws: ArchiveError.self) { try readAll(bad) }
        #expect(size?.description.hasPrefix("layer entry \"etc/passwd\": bad size field \"00000x00004\\0\"") == true, "\(String(describing: size))")

        // Truncated contents.
        archive = try makeTar { try $0.append(TarEntry(kind: .regular, path: "big"), contents: Array(repeating: 7, count: 5000)) }
        let truncated = #expect(throws: ArchiveError.self) { try readAll(Array(archive[..<2048])) }
        #expect(truncated?.description == "layer entry \"big\": archive truncated (3464 of 5000 content bytes missing)")

        // Truncated in a header.
        let inHeader = #expect(throws: ArchiveError.self) { try readAll(Array(archive[..<100])) }
        #expect(inHeader?.kind == .truncated)

        // A missing second zero block, or no end blocks at all, is accepted.
        let withOne = Array(archive[..<(archive.count - 512)])
        #expect(try readAll(withOne).count == 1)
        let withNone = Array(archive[..<(archive.count - 1024)])
        #expect(try readAll(withNone).count == 1)
    }

    @Test func hugeExtendedHeaderIsRefused() throws {
        var header = [UInt8](repeating: 0, count: 512)
        for (index, byte) in "PaxHeaders.0/x".utf8.enumerated() { header[index] = byte }
        Self.put(&header, 100, "0000644\0")
        Self.put(&header, 124, "77777777777\0")
        header[156] = UInt8(ascii: "x")
        Self.put(&header, 257, "ustar\u{0}00")
        Self.fixChecksum(&header)
        let error = #expect(throws: ArchiveError.self) { try readAll(header + [UInt8](repeating: 0x41, count: 4096)) }
        #expect(error?.kind == .limit)
    }

    static func put(_ block: inout [UInt8], _ offset: Int, _ text: String) {
        for (index, byte) in text.utf8.enumerated() { block[offset + index] = byte }
    }

    static func fixChecksum(_ block: inout [UInt8]) {
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block[0..<512].reduce(0) { $0 + Int($1) }
        let text = String(sum, radix: 8)
        put(&block, 148, String(repeating: "0", count: 6 - text.count) + text + "\0")
    }
}

/// Streams that stop early, read as Go's archive/tar (docker's) reads them.
@Suite struct TarEndTests {
    func archive() throws -> [UInt8] {
        let writer = TarWriter(MemorySink())
        try writer.append(TarEntry(kind: .regular, path: "a", mode: 0o644), contents: Array("hello".utf8))
        try writer.finish()
        return writer.sink.bytes
    }

    @Test func endingRightAfterContentsIsTheEnd() throws {
        // The docker CLI sends a context whose added Dockerfile has neither padding nor end blocks.
        let reader = TarReader(MemorySource(Array(try archive()[..<(512 + 5)])))
        #expect(try reader.next()?.path == "a")
        #expect(try reader.next() == nil)
    }

    @Test func endingInsideContentsOrPaddingIsTruncated() throws {
        for cut in [512 + 3, 512 + 100] {
            let reader = TarReader(MemorySource(Array(try archive()[..<cut])))
            #expect(try reader.next()?.path == "a")
            #expect(throws: ArchiveError.self) { try reader.next() }
        }
    }
}
