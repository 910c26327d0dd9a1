import Foundation
import Glibc
import SkiffArchive
import Testing

/// Extraction speed against GNU tar, on a layer named by `SKIFF_ARCHIVE_BENCH_LAYER` (a .tar.gz).
/// Skipped unless that is set; meant for release builds. Prints one line per run.
@Suite struct Benchmark {
    static let layer = ProcessInfo.processInfo.environment["SKIFF_ARCHIVE_BENCH_LAYER"]

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        var start = timespec()
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        try body()
        clock_gettime(CLOCK_MONOTONIC, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
    }

    @Test(.enabled(if: layer != nil)) func extractGzipLayer() throws {
        let layer = Self.layer!
        let dir = try TempDir()
        let compressed = Double(try FileManager.default.attributesOfItem(atPath: layer)[.size] as! Int)
        var uncompressed = 0.0
        let rounds = Int(ProcessInfo.processInfo.environment["SKIFF_ARCHIVE_BENCH_ROUNDS"] ?? "3") ?? 3
        for round in 1...rounds {
            let ours = try dir.dir("ours\(round)")
            let oursTime = try Self.seconds {
                uncompressed = Double(try applyFile(layer, to: ours, mode: .merged).uncompressedSize)
            }
            let tar = try dir.dir("tar\(round)")
            let tarTime = try Self.seconds { try run(["tar", "-xzf", layer, "-C", tar]) }
            print(String(
                format: "round %d: skiff %.2f s (%.0f MB/s out, %.0f MB/s in) | tar -xzf %.2f s (%.0f MB/s out)",
                round, oursTime, uncompressed / oursTime / 1e6, compressed / oursTime / 1e6, tarTime,
                uncompressed / tarTime / 1e6))
            try run(["rm", "-rf", ours, tar])
        }
        if ProcessInfo.processInfo.environment["SKIFF_ARCHIVE_BENCH_PARTS"] != nil {
            let inflate = try Self.seconds {
                let source = try DecompressingSource(FileDescriptorSourceBox(try FileSource(layer)))
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
                defer { buffer.deallocate() }
                while try source.read(into: buffer) > 0 {}
            }
            let plainLayer = layer.replacingOccurrences(of: ".tar.gz", with: ".tar")
            let plain = try dir.dir("plain")
            let plainTime = try Self.seconds { try applyFile(plainLayer, to: plain, mode: .merged) }
            let tarPlain = try dir.dir("tarplain")
            let tarPlainTime = try Self.seconds { try run(["tar", "-xf", plainLayer, "-C", tarPlain]) }
            print(String(format: "inflate only %.2f s; uncompressed tar: skiff %.2f s, tar -xf %.2f s", inflate, plainTime, tarPlainTime))
            try run(["rm", "-rf", plain, tarPlain])
        }
    }
}

extension Benchmark {
    /// Applies the layer named by `SKIFF_ARCHIVE_BENCH_APPLY` once (for strace/perf).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SKIFF_ARCHIVE_BENCH_APPLY"] != nil))
    func applyOnce() throws {
        let dir = try TempDir()
        let out = try dir.dir("out")
        let time = try Self.seconds { try applyFile(ProcessInfo.processInfo.environment["SKIFF_ARCHIVE_BENCH_APPLY"]!, to: out, mode: .merged) }
        print(String(format: "apply %.2f s", time))
    }
}
