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

    /// User + system CPU seconds of this process (`RUSAGE_SELF`) or its waited-for children.
    static func cpu(_ who: Int32) -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(who), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    @Test(.enabled(if: layer != nil)) func extractGzipLayer() throws {
        let layer = Self.layer!
        let dir = try TempDir(base: ProcessInfo.processInfo.environment["SKIFF_ARCHIVE_BENCH_DIR"] ?? "/tmp")
        let compressed = Double(try FileManager.default.attributesOfItem(atPath: layer)[.size] as! Int)
        var uncompressed = 0.0
        let rounds = Int(ProcessInfo.processInfo.environment["SKIFF_ARCHIVE_BENCH_ROUNDS"] ?? "3") ?? 3
        for round in 1...rounds {
            let ours = try dir.dir("ours\(round)")
            let oursCPU = Self.cpu(RUSAGE_SELF.rawValue)
            let oursTime = try Self.seconds {
                uncompressed = Double(try applyFile(layer, to: ours, mode: .merged).uncompressedSize)
            }
            let oursCPUTime = Self.cpu(RUSAGE_SELF.rawValue) - oursCPU
            let tar = try dir.dir("tar\(round)")
            let tarCPU = Self.cpu(RUSAGE_CHILDREN.rawValue)
            let tarTime = try Self.seconds { try run(["tar", "-xzf", layer, "-C", tar]) }
            let tarCPUTime = Self.cpu(RUSAGE_CHILDREN.rawValue) - tarCPU
            print(String(
                format: "round %d: skiff %.2f s, %.2f s CPU (%.0f MB/s out, %.0f MB/s in) | tar -xzf %.2f s, %.2f s CPU (%.0f MB/s out)",
                round, oursTime, oursCPUTime, uncompressed / oursTime / 1e6, compressed / oursTime / 1e6, tarTime,
                tarCPUTime, uncompressed / tarTime / 1e6))
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

extension Benchmark {
    /// Writes the tree named by `SKIFF_ARCHIVE_BENCH_TREE` as gzip and zstd layers, against
    /// `tar -czf` and `tar --zstd -cf` (output to /dev/null).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SKIFF_ARCHIVE_BENCH_TREE"] != nil))
    func writeLayers() throws {
        let tree = ProcessInfo.processInfo.environment["SKIFF_ARCHIVE_BENCH_TREE"]!
        for (format, flag) in [(Compression.gzip, "-z"), (.zstd, "--zstd")] {
            var sink = FileDescriptorSink(fd: open("/dev/null", O_WRONLY))
            defer { close(sink.fd) }
            var result: LayerWriter.Result?
            let ours = try Self.seconds { result = try LayerWriter.write(directory: tree, to: &sink, format: format) }
            let tar = try Self.seconds { try run(["sh", "-c", "tar \(flag) -cf - -C \"$0\" . > /dev/null", tree]) }
            let size = Double(result!.uncompressedSize)
            print(String(format: "write %@: skiff %.2f s (%.0f MB/s of tar, %.0f MB blob) | tar %@ %.2f s", format.description, ours, size / ours / 1e6, Double(result!.compressedSize) / 1e6, flag, tar))
        }
    }
}
