import CZlib
import Foundation
import Glibc
import SkiffArchive
import Testing

/// `docker diff` from an overlay upper directory over lower layers in overlay-lower format
/// (real 0:0 whiteout devices and opaque xattrs: needs root).
@Suite struct LayerDiffTests {
    /// Two lower layers (the top one deleting `gone` and making `opq` opaque) and an upper.
    static func layers(_ dir: TempDir) throws -> (upper: String, lowers: [String]) {
        let bottom = try dir.dir("bottom"), top = try dir.dir("top"), upper = try dir.dir("upper")
        for path in ["a", "b", "c", "d", "etc", "opq", "z", "gone-dir"] { try FileManager.default.createDirectory(atPath: "\(bottom)/\(path)", withIntermediateDirectories: true) }
        for (path, text) in [("a/1", "one"), ("a/2", "two"), ("b/x", "x"), ("c/old", "old"), ("c/keep", "keep"), ("d/inner", "i"),
                             ("etc/passwd", "root"), ("opq/hidden", "h"), ("gone", "g"), ("file-to-dir", "f"), ("z/same", "s")] {
            try writeFile("\(bottom)/\(path)", Array(text.utf8))
            try setMtime("\(bottom)/\(path)", seconds: 1000, nanoseconds: 0)
        }
        // The top lower layer: `gone` deleted, `opq` opaque with its own file.
        try whiteout("\(top)/gone")
        try FileManager.default.createDirectory(atPath: "\(top)/opq", withIntermediateDirectories: true)
        try setXattr("\(top)/opq", "trusted.overlay.opaque", [UInt8(ascii: "y")])
        try writeFile("\(top)/opq/mine", Array("m".utf8))

        // The container's changes.
        for path in ["a", "c", "d", "etc", "opq", "new-dir/sub", "proc", "file-to-dir", "z"] {
            try FileManager.default.createDirectory(atPath: "\(upper)/\(path)", withIntermediateDirectories: true)
        }
        try writeFile("\(upper)/a/1", Array("changed".utf8))          // modified (size)
        try writeFile("\(upper)/a/new", Array("n".utf8))              // added
        try whiteout("\(upper)/a/2")                                  // deleted
        try whiteout("\(upper)/gone")                                 // already gone below: nothing
        try setXattr("\(upper)/c", "trusted.overlay.opaque", [UInt8(ascii: "y")])
        try writeFile("\(upper)/c/keep", Array("keep".utf8))          // same as below: no change
        try setMtime("\(upper)/c/keep", seconds: 1000, nanoseconds: 0)
        try writeFile("\(upper)/c/fresh", Array("f".utf8))            // c/old is hidden: deleted
        chmod("\(upper)/d", 0o700)                                    // a directory's mode: modified
        try writeFile("\(upper)/new-dir/sub/file", Array("x".utf8))   // added, with its directories
        try writeFile("\(upper)/etc/hostname", [])                    // a runtime's mount point
        try writeFile("\(upper)/file-to-dir/inside", Array("i".utf8)) // a file replaced by a directory
        try writeFile("\(upper)/z/same", Array("s".utf8))             // copied up, nothing changed
        try setMtime("\(upper)/z/same", seconds: 1000, nanoseconds: 0)
        for path in ["a", "c", "etc", "z"] { try setMtime("\(upper)/\(path)", seconds: 5, nanoseconds: 0) }
        return (upper, [top, bottom])
    }

    static func whiteout(_ path: String) throws {
        guard mknod(path, S_IFCHR | 0o600, 0) == 0 else { throw TestFailure("mknod \(path): \(String(cString: strerror(errno)))") }
    }

    @Test func changesAreDockersList() throws {
        let dir = try TempDir()
        let (upper, lowers) = try Self.layers(dir)
        let result = try LayerDiff.changes(upper: upper, lowers: lowers, mountPoints: ["proc", "etc/hostname", "dev"])
        let listed = result.changes.map { "\(["C", "A", "D"][$0.kind.rawValue]) \($0.path)" }
        #expect(listed == [
            "C /a", "C /a/1", "D /a/2", "A /a/new",
            "C /c", "A /c/fresh", "D /c/old",
            "C /d",
            "C /file-to-dir", "A /file-to-dir/inside",
            "A /new-dir", "A /new-dir/sub", "A /new-dir/sub/file",
        ], "\(listed)")
        #expect(result.ignored == ["etc/hostname", "proc"])
    }

    @Test func anEmptyUpperHasNoChanges() throws {
        let dir = try TempDir()
        let (_, lowers) = try Self.layers(dir)
        let result = try LayerDiff.changes(upper: try dir.dir("empty"), lowers: lowers)
        #expect(result.changes.isEmpty && result.ignored.isEmpty)
    }

    @Test func withoutLowerLayersEverythingIsAdded() throws {
        let dir = try TempDir()
        let upper = try dir.dir("upper")
        try FileManager.default.createDirectory(atPath: "\(upper)/x/y", withIntermediateDirectories: true)
        try writeFile("\(upper)/x/y/z", [1])
        let result = try LayerDiff.changes(upper: upper, lowers: [])
        #expect(result.changes == ["/x", "/x/y", "/x/y/z"].map { LayerChange(path: $0, kind: .added) })
    }

    @Test func aMissingUpperIsAnError() throws {
        #expect(throws: ArchiveError.self) { try LayerDiff.changes(upper: "/nonexistent/skiff-upper", lowers: []) }
    }
}
