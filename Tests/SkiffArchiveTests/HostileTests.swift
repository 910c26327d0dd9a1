import Foundation
import Glibc
import SkiffArchive
import Testing

/// Archives that try to write, link or delete outside the extraction root. Each is applied into
/// `<tmp>/root`; next to it sit `sentinel/` (must stay empty) and `outside/secret` (must keep its
/// contents and link count). Every case must fail or stay inside.
@Suite struct HostileTests {
    final class Setup: Sendable {
        let dir: TempDir
        let root: String
        let sentinel: String
        let outside: String

        let openat2: Bool

        init(_ label: String = #function, openat2: Bool) throws {
            self.openat2 = openat2
            dir = try TempDir(label)
            root = try dir.dir("root")
            sentinel = try dir.dir("sentinel")
            outside = try dir.dir("outside")
            try writeFile(outside + "/secret", Array("secret".utf8))
        }

        /// Applies `archive`; returns the error, if any, after checking nothing escaped.
        @discardableResult
        func apply(_ archive: [UInt8], mode: ApplyMode = .merged, sourceLocation: SourceLocation = #_sourceLocation) -> ArchiveError? {
            var caught: ArchiveError?
            do {
                try applyBytes(archive, to: root, mode: mode, options: ExtractOptions(useOpenat2: openat2))
            } catch let error as ArchiveError {
                caught = error
            } catch {
                Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            }
            checkContained(sourceLocation: sourceLocation)
            return caught
        }

        func checkContained(sourceLocation: SourceLocation = #_sourceLocation) {
            let escaped = (try? FileManager.default.contentsOfDirectory(atPath: sentinel)) ?? ["<unreadable>"]
            #expect(escaped.isEmpty, "written outside the root: \(escaped)", sourceLocation: sourceLocation)
            let outsideNames = (try? FileManager.default.contentsOfDirectory(atPath: outside)) ?? []
            #expect(outsideNames == ["secret"], "outside/ changed: \(outsideNames)", sourceLocation: sourceLocation)
            #expect((try? readFile(outside + "/secret")) == Array("secret".utf8), sourceLocation: sourceLocation)
            var status = stat()
            #expect(lstat(outside + "/secret", &status) == 0 && status.st_nlink == 1 && status.st_mode & 0o7777 == 0o644, sourceLocation: sourceLocation)
            #expect(lstat(dir.path + "/pwned", &status) != 0, sourceLocation: sourceLocation)
        }
    }

    static func tar(_ build: (TarWriter<MemorySink>) throws -> Void) throws -> [UInt8] { try makeTar(build) }
    static func file(_ path: String, _ text: String = "pwned") -> (TarEntry, [UInt8]) {
        (TarEntry(kind: .regular, path: path, mode: 0o644), Array(text.utf8))
    }

    @Test(arguments: [true, false]) func dotDotPathsAreRejected(openat2: Bool) throws {
        let setup = try Setup(openat2: openat2)
        for path in ["../sentinel/pwned", "../../../../../../../../\(setup.sentinel)/pwned", "a/../../pwned", "./../pwned"] {
            let error = setup.apply(try Self.tar { try $0.append(Self.file(path).0, contents: Self.file(path).1) })
            #expect(error?.kind == .unsafePath, "\(path): \(String(describing: error))")
            #expect(error?.description == "layer entry \"\(path)\": path leaves the root")
        }
        // A GNU long name (written by Python) climbing out is caught the same way.
        let dir = setup.dir
        try python("""
        import io, sys, tarfile
        with tarfile.open(sys.argv[1], 'w', format=tarfile.GNU_FORMAT) as t:
            info = tarfile.TarInfo('../' * 40 + sys.argv[2].lstrip('/') + '/pwned-long-' + 'x' * 100)
            data = b'pwned'
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        """, [dir.sub("gnu.tar"), setup.sentinel])
        #expect(setup.apply(try readFile(dir.sub("gnu.tar")))?.kind == .unsafePath)
    }

    @Test(arguments: [true, false]) func absolutePathsStayInside(openat2: Bool) throws {
        let setup = try Setup(openat2: openat2)
        let unique = "/skiff-archive-abs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        #expect(setup.apply(try Self.tar { writer in
            try writer.append(Self.file(unique + "/path").0, contents: Self.file(unique + "/path").1)
            try writer.append(Self.file(setup.sentinel + "/pwned").0, contents: Self.file(setup.sentinel + "/pwned").1)
        }) == nil)
        #expect(FileManager.default.fileExists(atPath: setup.root + unique + "/path"))
        #expect(FileManager.default.fileExists(atPath: setup.root + setup.sentinel + "/pwned"))
        #expect(!FileManager.default.fileExists(atPath: unique))
    }

    @Test(arguments: [true, false]) func symlinkToRootThenThroughIt(openat2: Bool) throws {
        let setup = try Setup(openat2: openat2)
        let error = setup.apply(try Self.tar { writer in
            try writer.append(TarEntry(kind: .symbolicLink, path: "evil", linkTarget: "/"))
            try writer.append(Self.file("evil" + setup.sentinel + "/pwned").0, contents: Self.file("").1)
            try writer.append(TarEntry(kind: .symbolicLink, path: "evil2", linkTarget: setup.sentinel))
            try writer.append(Self.file("evil2/pwned").0, contents: Self.file("").1)
            try writer.append(TarEntry(kind: .symbolicLink, path: "evil3", linkTarget: "../sentinel"))
            try writer.append(TarEntry(kind: .directory, path: "evil3/sub", mode: 0o777))
            try writer.append(Self.file("evil3/sub/pwned").0, contents: Self.file("").1)
            try writer.append(TarEntry(kind: .symbolicLink, path: "t", linkTarget: "/tmp"))
            try writer.append(Self.file("t/pwned").0, contents: Self.file("").1)
        })
        #expect(error == nil, "\(String(describing: error))")
        // Each landed inside, where the link resolves with the root as /.
        #expect(FileManager.default.fileExists(atPath: setup.root + setup.sentinel + "/pwned"))
        #expect(FileManager.default.fileExists(atPath: setup.root + "/sentinel/sub/pwned"))
        #expect(FileManager.default.fileExists(atPath: setup.root + "/tmp/pwned"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/pwned"))

        // A link to itself (with the root as /) is a loop, not a way out.
        let loop = setup.apply(try Self.tar { writer in
            try writer.append(TarEntry(kind: .symbolicLink, path: "tmp", linkTarget: "/tmp"))
            try writer.append(Self.file("tmp/pwned").0, contents: Self.file("").1)
        })
        #expect(loop?.errno == ELOOP)
    }

    @Test(arguments: [true, false]) func symlinkChainsEscapingWithDotDot(openat2: Bool) throws {
        let setup = try Setup(openat2: openat2)
        let error = setup.apply(try Self.tar { writer in
            try writer.append(TarEntry(kind: .directory, path: "d", mode: 0o755))
            try writer.append(TarEntry(kind: .symbolicLink, path: "d/up", linkTarget: ".."))
            try writer.append(TarEntry(kind: .symbolicLink, path: "d/upup", linkTarget: "up/up/up/../.."))
            try writer.append(TarEntry(kind: .symbolicLink, path: "chain1", linkTarget: "chain2/.."))
            try writer.append(TarEntry(kind: .symbolicLink, path: "chain2", linkTarget: "d/upup/../../sentinel"))
            try writer.append(Self.file("d/upup/sentinel/pwned").0, contents: Self.file("").1)
            try writer.append(Self.file("chain1/sentinel/pwned2").0, contents: Self.file("").1)
            try writer.append(TarEntry(kind: .directory, path: "chain2/x", mode: 0o755))
        })
        #expect(error == nil, "\(String(describing: error))")
        #expect(FileManager.default.fileExists(atPath: setup.root + "/sentinel/pwned"))
    }

    @Test(arguments: [true, false]) func writingOverASymlinkReplacesIt(openat2: Bool) throws {
        let setup = try Setup(openat2: openat2)
        let error = setup.apply(try Self.tar { writer in
            try writer.append(TarEntry(kind: .symbolicLink, path: "secret", linkTarget: setup.outside + "/secret"))
            try writer.append(TarEntry(kind: .regular, path: "secret", mode: 0o4777), contents: Array("overwritten".utf8))
            try writer.append(TarEntry(kind: .symbolicLink, path: "s2", linkTarget: "../outside/secret"))
            try writer.append(TarEntry(kind: .characterDevice, path: "s2", mode: 0o777, deviceMajor: 1, deviceMinor: 3))
            try writer.append(TarEntry(kind: .symbolicLink, path: "s3", linkTarget: "../outside"))
            try writer.append(TarEntry(kind: .directory, path: "s3", mode: 0o777))
        })
        #expect(error == nil || !isRoot, "\(String(describing: error))")
        #expect(try readFile(setup.root + "/secret") == Array("overwritten".utf8))
    }

    @Test(arguments: [true, false]) func hardLinksOutsideAreRejected(openat2: Bool) throws {
        let setup = try Setup(openat2: openat2)
        var before = stat()
        stat("/etc/passwd", &before)
        let toPasswd = setup.apply(try Self.tar { try $0.append(TarEntry(kind: .hardLink, path: "passwd", linkTarget: "/etc/passwd")) })
        #expect(toPasswd != nil)  // resolved inside the root, where there is no etc/passwd
        #expect(toPasswd?.description == "layer entry \"passwd\": hard link target \"/etc/passwd\" does not exist")
        var after = stat()
        stat("/etc/passwd", &after)
        #expect(before.st_nlink == after.st_nlink)

        let dotDot = setup.apply(try Self.tar { try $0.append(TarEntry(kind: .hardLink, path: "h", linkTarget: "../outside/secret")) })
        #expect(dotDot?.kind == .unsafePath)
        #expect(dotDot?.description == "layer entry \"h\": hard link target \"../outside/secret\" leaves the root")

        let viaSymlink = setup.apply(try Self.tar { writer in
            try writer.append(TarEntry(kind: .symbolicLink, path: "o", linkTarget: setup.outside))
            try writer.append(TarEntry(kind: .hardLink, path: "h2", linkTarget: "o/secret"))
        })
        #expect(viaSymlink != nil)

        // A hard link to a symlink that points outside links the symlink itself, harmlessly.
        let toLink = setup.apply(try Self.tar { writer in
            try writer.append(TarEntry(kind: .symbolicLink, path: "l", linkTarget: setup.outside + "/secret"))
            try writer.append(TarEntry(kind: .hardLink, path: "l2", linkTarget: "l"))
        })
        #expect(toLink == nil)
        var status = stat()
        #expect(lstat(setup.root + "/l2", &status) == 0 && status.st_mode & S_IFMT == S_IFLNK)
    }

    @Test(arguments: [true, false]) func whiteoutsCannotDeleteOutside(openat2: Bool) throws {
        let setup = try Setup(openat2: openat2)
        for mode in [ApplyMode.merged, .overlayLower] {
            let escaping = setup.apply(try Self.tar { try $0.append(Self.file("../outside/.wh.secret").0, contents: []) }, mode: mode)
            #expect(escaping?.kind == .unsafePath)
            #expect(setup.apply(try Self.tar { writer in
                try writer.append(TarEntry(kind: .symbolicLink, path: "o", linkTarget: setup.outside))
                try writer.append(Self.file("o/.wh.secret").0, contents: [])
                try writer.append(Self.file("o/.wh..wh..opq").0, contents: [])
                try writer.append(TarEntry(kind: .symbolicLink, path: "p", linkTarget: "/"))
                try writer.append(Self.file("p" + setup.outside + "/.wh.secret").0, contents: [])
                try writer.append(Self.file(setup.outside + "/.wh..wh..opq").0, contents: [])
            }, mode: mode) == nil)
            let badName = setup.apply(try Self.tar { try $0.append(Self.file("x/.wh..").0, contents: []) }, mode: mode)
            #expect(badName?.kind == .unsafePath)
        }
    }

    @Test(arguments: [true, false]) func malformedArchivesFail(openat2: Bool) throws {
        let setup = try Setup(openat2: openat2)
        let good = try Self.tar { try $0.append(Self.file("f", String(repeating: "z", count: 3000)).0, contents: Array(repeating: 0x7a, count: 3000)) }

        var badChecksum = good
        badChecksum[3] ^= 1
        #expect(setup.apply(badChecksum)?.kind == .corrupt)

        #expect(setup.apply(Array(good[..<1500]))?.kind == .truncated)
        // The partial file may exist, but only inside.
        setup.checkContained()

        var nonOctal = good
        nonOctal[124 + 3] = UInt8(ascii: "9")
        TarFormatTests.fixChecksum(&nonOctal)
        let sizeError = setup.apply(nonOctal)
        #expect(sizeError?.kind == .corrupt && sizeError?.description.contains("bad size field") == true)

        // A PAX size claiming a petabyte, with 10 bytes present.
        let huge = try Self.tar { writer in
            var entry = TarEntry(kind: .regular, path: "huge", mode: 0o644)
            entry.size = 10
            try writer.append(entry)
            try Array(repeating: UInt8(1), count: 10).withUnsafeBytes { try writer.writeContents($0) }
        }
        let pax = try python("""
        import io, sys, tarfile
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as t:
            info = tarfile.TarInfo('huge')
            info.size = 10
            info.pax_headers = {'size': '1000000000000000'}
            t.addfile(info, io.BytesIO(b'0123456789'))
        sys.stdout.write(buf.getvalue().hex())
        """).stdout
        let paxBytes = stride(from: 0, to: pax.count, by: 2).map { index -> UInt8 in
            let start = pax.index(pax.startIndex, offsetBy: index)
            return UInt8(pax[start..<pax.index(start, offsetBy: 2)], radix: 16)!
        }
        let hugeError = setup.apply(paxBytes)
        #expect(hugeError?.description.hasPrefix("layer entry \"huge\": archive truncated (") == true, "\(String(describing: hugeError))")
        #expect(hugeError?.kind == .truncated, "\(String(describing: hugeError))")
        #expect(setup.apply(huge) == nil)
        #expect(setup.apply(paxBytes + [UInt8](repeating: 0, count: 1 << 20))?.kind == .truncated)
    }

    @Test(arguments: [true, false]) func corruptCompressedLayersFail(openat2: Bool) throws {
        let setup = try Setup(openat2: openat2)
        var big = [UInt8]()
        for index in 0..<200_000 { big.append(UInt8(truncatingIfNeeded: index * 7 / 3)) }
        let archive = try Self.tar { writer in
            for index in 0..<20 { try writer.append(Self.file("f\(index)").0, contents: big) }
        }
        for format in [Compression.gzip, .zstd] {
            let compressed = try CompressionTests.compress(archive, format)
            var corrupt = compressed
            for index in (compressed.count / 2)..<(compressed.count / 2 + 32) { corrupt[index] ^= 0xa5 }
            let corruptError = setup.apply(corrupt)
            #expect(corruptError?.kind == .corrupt || corruptError?.kind == .truncated, "\(String(describing: corruptError))")
            let truncatedError = setup.apply(Array(compressed[..<(compressed.count / 2)]))
            #expect(truncatedError?.kind == .truncated, "\(String(describing: truncatedError))")
            // The same layer, whole, applies (over what the failed attempts left).
            #expect(setup.apply(compressed) == nil)
            #expect(try readFile(setup.root + "/f19") == big)
        }
    }

    @Test(arguments: [true, false]) func namesWithNULAndAUFSMetadata(openat2: Bool) throws {
        let setup = try Setup(openat2: openat2)
        // Our writer refuses NUL; Python writes it in a PAX path.
        #expect(throws: ArchiveError.self) {
            try Self.tar { writer in
                var entry = Self.file("x").0
                entry.pathBytes = Array("ok".utf8) + [0] + Array("../../pwned".utf8)
                try writer.append(entry, contents: [])
            }
        }
        let pax = try python("""
        import io, sys, tarfile
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as t:
            info = tarfile.TarInfo('placeholder')
            info.pax_headers = {'path': 'ok\\x00../../pwned'}
            t.addfile(info, io.BytesIO(b''))
        sys.stdout.write(buf.getvalue().hex())
        """).stdout
        let bytes = stride(from: 0, to: pax.count, by: 2).map { index -> UInt8 in
            let start = pax.index(pax.startIndex, offsetBy: index)
            return UInt8(pax[start..<pax.index(start, offsetBy: 2)], radix: 16)!
        }
        let paxNUL = setup.apply(bytes)
        #expect(paxNUL?.kind == .unsafePath, "\(String(describing: paxNUL))")

        // AUFS bookkeeping (`.wh..wh.plnk/`, `.wh..wh.aufs`) is skipped in layer modes.
        #expect(setup.apply(try Self.tar { writer in
            try writer.append(TarEntry(kind: .directory, path: ".wh..wh.plnk", mode: 0o700))
            try writer.append(Self.file(".wh..wh.plnk/123.456").0, contents: [1])
            try writer.append(Self.file(".wh..wh.aufs").0, contents: [])
            try writer.append(Self.file("kept").0, contents: [])
        }) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.root).sorted() == ["kept"])
    }
}
