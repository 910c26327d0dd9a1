import CZlib
import Foundation
import Glibc
import SkiffArchive
import Testing

@Suite struct WhiteoutTests {
    /// The lower layers' content.
    static func lower() throws -> [UInt8] {
        try makeTar { writer in
            for directory in ["a", "b", "c", "c/sub", "e", "f"] {
                try writer.append(TarEntry(kind: .directory, path: directory, mode: 0o755))
            }
            for file in ["a/1", "a/2", "b/x", "c/old", "c/sub/deep", "e/old", "f/keep", "top"] {
                try writer.append(TarEntry(kind: .regular, path: file), contents: Array(file.utf8))
            }
        }
    }

    /// A layer that deletes and makes directories opaque.
    static func upper() throws -> [UInt8] {
        try makeTar { writer in
            try writer.append(TarEntry(kind: .regular, path: ".wh.b", uid: 7, gid: 8), contents: [])
            try writer.append(TarEntry(kind: .regular, path: ".wh.top"), contents: [])
            try writer.append(TarEntry(kind: .directory, path: "a", mode: 0o755))
            try writer.append(TarEntry(kind: .regular, path: "a/.wh.1"), contents: [])
            try writer.append(TarEntry(kind: .regular, path: "a/.wh.missing"), contents: [])
            try writer.append(TarEntry(kind: .directory, path: "c", mode: 0o755))
            try writer.append(TarEntry(kind: .regular, path: "c/.wh..wh..opq"), contents: [])
            try writer.append(TarEntry(kind: .regular, path: "c/new"), contents: Array("new".utf8))
            // An entry of this layer sorting before the marker survives it.
            try writer.append(TarEntry(kind: .directory, path: "e", mode: 0o755))
            try writer.append(TarEntry(kind: .regular, path: "e/!first"), contents: Array("first".utf8))
            try writer.append(TarEntry(kind: .regular, path: "e/.wh..wh..opq"), contents: [])
            try writer.append(TarEntry(kind: .regular, path: "g/.wh..wh..opq"), contents: [])
        }
    }

    static func names(_ root: String) throws -> [String] {
        try snapshot(root).keys.sorted()
    }

    @Test func mergedApplyDeletesAndEmptiesOpaqueDirectories() throws {
        let dir = try TempDir()
        let root = try dir.dir("rootfs")
        try applyBytes(Self.lower(), to: root, mode: .merged)
        let result = try applyBytes(Self.upper(), to: root, mode: .merged)
        #expect(result.entryCount == 12)
        let names = try Self.names(root)
        #expect(names == ["a", "a/2", "c", "c/new", "e", "e/!first", "f", "f/keep", "g"], "\(names)")
    }

    @Test func verbatimKeepsWhiteoutFiles() throws {
        let dir = try TempDir()
        let root = try dir.dir("rootfs")
        try applyBytes(Self.upper(), to: root, mode: .verbatim)
        #expect(try Self.names(root).contains("c/.wh..wh..opq"))
        #expect(try Self.names(root).contains(".wh.b"))
    }

    @Test(.enabled(if: isRoot)) func overlayLowerGetsDevicesAndOpaqueXattrs() throws {
        let dir = try TempDir()
        let root = try dir.dir("layer")
        try applyBytes(Self.upper(), to: root, mode: .overlayLower)
        let tree = try snapshot(root)
        #expect(tree.keys.sorted() == ["a", "a/1", "a/missing", "b", "c", "c/new", "e", "e/!first", "g", "top"])
        for whiteout in ["a/1", "a/missing", "b", "top"] {
            #expect(tree[whiteout]?.type == S_IFCHR && tree[whiteout]?.rdev == 0, "\(whiteout)")
        }
        #expect(tree["b"]?.uid == 7 && tree["b"]?.gid == 8)
        for opaque in ["c", "e", "g"] {
            #expect(tree[opaque]?.xattrs["trusted.overlay.opaque"] == [UInt8(ascii: "y")], "\(opaque)")
        }
        #expect(tree["a"]?.xattrs["trusted.overlay.opaque"] == nil)
    }

    @Test(.enabled(if: isRoot)) func upperDirectoryBecomesWhiteoutEntries() throws {
        let dir = try TempDir()
        let upper = try dir.dir("upper")
        try FileManager.default.createDirectory(atPath: upper + "/opaque/inner", withIntermediateDirectories: true)
        try writeFile(upper + "/opaque/inner/file", Array("x".utf8))
        try setXattr(upper + "/opaque", "trusted.overlay.opaque", [UInt8(ascii: "y")])
        try setXattr(upper + "/opaque", "trusted.overlay.origin", [1, 2, 3])
        try setXattr(upper + "/opaque", "user.kept", [4])
        #expect(mknod(upper + "/gone", S_IFCHR, 0) == 0)
        #expect(mknod(upper + "/opaque/gone-too", S_IFCHR, 0) == 0)
        // overlayfs may hard-link whiteouts to one inode: still whiteouts, not links.
        #expect(link(upper + "/gone", upper + "/also-gone") == 0)
        #expect(mknod(upper + "/realnull", S_IFCHR | 0o666, __dev_t(czlib_makedev(1, 3))) == 0)

        var sink = MemorySink()
        try LayerWriter.write(directory: upper, to: &sink, format: .zstd, options: .init(source: .overlayUpper))
        let entries = try readAll(sink.bytes).map(\.0)
        #expect(entries.map(\.path) == [
            ".wh.also-gone", ".wh.gone", "opaque/", "opaque/.wh..wh..opq", "opaque/.wh.gone-too", "opaque/inner/",
            "opaque/inner/file", "realnull",
        ])
        #expect(entries.allSatisfy { $0.xattrs.keys.allSatisfy { !$0.hasPrefix("trusted.overlay.") } })
        #expect(entries.first { $0.path == "opaque/" }?.xattrs == ["user.kept": [4]])
        #expect(entries.first { $0.path == ".wh.gone" }?.kind == .regular)
        #expect(entries.first { $0.path == "realnull" }?.kind == .characterDevice)

        // The same tree as a plain directory keeps the devices and the xattrs (not overlay's).
        var plain = MemorySink()
        try LayerWriter.write(directory: upper, to: &plain, format: .none)
        let plainEntries = try readAll(plain.bytes).map(\.0)
        #expect(plainEntries.first { $0.path == "also-gone" }?.kind == .characterDevice)
        #expect(plainEntries.first { $0.path == "gone" }?.kind == .hardLink)
    }

    /// lower (applied in overlay-lower mode) + changes through a real overlay mount → the upper
    /// as a layer → applied in merged mode onto a plain copy of the lower = the overlay's view.
    @Test(.enabled(if: isRoot && Self.hasOverlay)) func overlayRoundTrip() throws {
        let dir = try TempDir()
        // The base layer, made from a tree.
        let base = try dir.dir("base")
        try RoundTripTests.makeTree(base)
        try FileManager.default.createDirectory(atPath: base + "/replace/deeper", withIntermediateDirectories: true)
        try writeFile(base + "/replace/old", Array("old".utf8))
        try writeFile(base + "/replace/deeper/older", Array("older".utf8))
        try FileManager.default.createDirectory(atPath: base + "/remove-dir/x", withIntermediateDirectories: true)
        try writeFile(base + "/modify", Array("before".utf8))
        var baseLayer = MemorySink()
        try LayerWriter.write(directory: base, to: &baseLayer, format: .gzip)

        let lower = try dir.dir("lower")
        try applyBytes(baseLayer.bytes, to: lower, mode: .overlayLower)
        let upper = try dir.dir("upper")
        let work = try dir.dir("work")
        let merged = try dir.dir("merged")
        let options = "lowerdir=\(lower),upperdir=\(upper),workdir=\(work),index=off,metacopy=off,redirect_dir=off"
        #expect(mount("overlay", merged, "overlay", 0, options) == 0, "mount: \(String(cString: strerror(errno)))")
        dir.mounts.append(merged)

        // Change things through the overlay.
        try run(["sh", "-c", """
            set -e
            rm bin/empty
            rm -r remove-dir
            rm -r replace && mkdir replace && echo fresh > replace/new
            echo after >> modify
            chmod 600 bin/setgid
            mkdir -p brand/new && echo hi > brand/new/file && ln brand/new/file brand/hard
            ln -s ../modify brand/link
            mkfifo brand/fifo
            rm tmp/null
            """], cwd: merged)
        try setXattr(merged + "/brand/new/file", "user.added", [9, 9])
        try setMtime(merged + "/brand/new/file", seconds: 1_234_567_890, nanoseconds: 987_654_321)
        let view = try snapshot(merged, skipXattr: isOverlayXattr)
        #expect(view["bin/empty"] == nil && view["remove-dir"] == nil && view["replace/old"] == nil)

        var diffLayer = MemorySink()
        try LayerWriter.write(directory: upper, to: &diffLayer, format: .zstd, options: .init(source: .overlayUpper))
        let diffEntries = try readAll(diffLayer.bytes).map(\.0.path)
        #expect(diffEntries.contains("bin/.wh.empty"))
        #expect(diffEntries.contains(".wh.remove-dir"))
        #expect(diffEntries.contains("replace/.wh..wh..opq"))

        let copy = try dir.dir("copy")
        try applyBytes(baseLayer.bytes, to: copy, mode: .merged)
        try applyBytes(diffLayer.bytes, to: copy, mode: .merged)
        expectSameTrees(view, try snapshot(copy, skipXattr: isOverlayXattr))
    }

    static let hasOverlay: Bool = {
        guard let text = try? String(contentsOfFile: "/proc/filesystems", encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { $0.hasSuffix("\toverlay") }
    }()
}

func isOverlayXattr(_ name: String) -> Bool { name.hasPrefix("trusted.overlay.") }
