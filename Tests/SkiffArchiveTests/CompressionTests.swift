import Foundation
import Glibc
import SkiffArchive
import SkiffIgzip
import Testing

@Suite struct CompressionTests {
    /// 3 MiB that compress somewhat: text-like runs mixed with noise.
    static let sample: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(3 << 20)
        while bytes.count < 3 << 20 {
            if Bool.random(using: &generator) {
                bytes.append(contentsOf: Array("the quick brown fox \(bytes.count) ".utf8))
            } else {
                for _ in 0..<64 { bytes.append(UInt8.random(in: 0...255, using: &generator)) }
            }
        }
        return bytes
    }()

    static func compress(_ bytes: [UInt8], _ format: Compression) throws -> [UInt8] {
        let sink = try CompressingSink(MemorySink(), compression: format)
        // Odd chunk sizes exercise partial buffers.
        var offset = 0
        var step = 1
        try bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let count = min(step, buffer.count - offset)
                try sink.write(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)]))
                offset += count
                step = step * 7 % 300_007 + 1
            }
        }
        try sink.finish()
        #expect(sink.base.isFinished)
        return sink.base.bytes
    }

    /// Both gzip inflaters: zlib's (the static executables') and ISA-L's (the daemon's).
    enum Inflater: CaseIterable, Sendable {
        case zlib, igzip
        var type: any GzipInflater.Type { self == .zlib ? ZlibInflater.self : IgzipInflater.self }
    }

    static func decompress(
        _ bytes: [UInt8], chunk: Int = 100_000, bufferSize: Int = 1 << 20, inflater: Inflater = .zlib
    ) throws -> (Compression.Algorithm, [UInt8]) {
        let source = try DecompressingSource(MemorySource(bytes), bufferSize: bufferSize, inflater: inflater.type)
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { break }
            output.append(contentsOf: buffer[..<count])
        }
        return (source.algorithm, output)
    }

    @Test(arguments: [Compression.gzip, .gzip(level: 1), .gzip(level: 9), .zstd, .zstd(level: 19), .none])
    func roundTrip(format: Compression) throws {
        let compressed = try Self.compress(Self.sample, format)
        if format.algorithm != .none { #expect(compressed.count < Self.sample.count) }
        let (algorithm, output) = try Self.decompress(compressed)
        #expect(algorithm == format.algorithm)
        #expect(output == Self.sample)
    }

    @Test func emptyStreams() throws {
        for format in [Compression.gzip, .zstd] {
            let compressed = try Self.compress([], format)
            let (algorithm, output) = try Self.decompress(compressed)
            #expect(algorithm == format.algorithm)
            #expect(output.isEmpty)
        }
        let (algorithm, output) = try Self.decompress([])
        #expect(algorithm == .none)
        #expect(output.isEmpty)
        let (shortAlgorithm, short) = try Self.decompress([1, 2])
        #expect(shortAlgorithm == .none)
        #expect(short == [1, 2])
    }

    @Test func detection() {
        func detect(_ bytes: [UInt8]) -> Compression.Algorithm { bytes.withUnsafeBytes { Compression.detect($0) } }
        #expect(detect([0x1f, 0x8b, 8, 0]) == .gzip)
        #expect(detect([0x28, 0xb5, 0x2f, 0xfd]) == .zstd)
        #expect(detect(Array("usr/".utf8)) == .none)
        #expect(detect([0x28, 0xb5]) == .none)
    }

    @Test(arguments: [Compression.gzip, .gzip(level: 1), .gzip(level: 9)], Inflater.allCases)
    func gzipRoundTrip(format: Compression, inflater: Inflater) throws {
        let compressed = try Self.compress(Self.sample, format)
        #expect(try Self.decompress(compressed, inflater: inflater).1 == Self.sample)
        // Small input and output buffers: members, headers and trailers cut at every place,
        // and decoded bytes left over when the output is full.
        #expect(try Self.decompress(compressed, chunk: 4099, bufferSize: 4096, inflater: inflater).1 == Self.sample)
        #expect(try Self.decompress(Self.compress([], format), chunk: 7, bufferSize: 4096, inflater: inflater).1.isEmpty)
    }

    @Test(arguments: Inflater.allCases)
    func gzipTrailerIsChecked(inflater: Inflater) throws {
        let compressed = try Self.compress(Self.sample, .gzip)
        for offset in [8, 2] {  // CRC-32, then the length (ISIZE)
            var bad = compressed
            bad[bad.count - offset] ^= 1
            let error = #expect(throws: ArchiveError.self) { try Self.decompress(bad, inflater: inflater) }
            #expect(error?.subject == "gzip stream")
            #expect(error?.kind == .corrupt)
        }
    }

    @Test(arguments: Inflater.allCases)
    func gzipToolsHeadersAndMembers(inflater: Inflater) throws {
        let dir = try TempDir()
        try writeFile(dir.sub("plain"), Self.sample)
        // gzip(1) names the file in its header (FNAME); two members one after the other.
        try run(["sh", "-c", "gzip -9c plain > theirs.gz && gzip -1c plain >> theirs.gz"], cwd: dir.path)
        #expect(try Self.decompress(try readFile(dir.sub("theirs.gz")), inflater: inflater).1 == Self.sample + Self.sample)
    }

    @Test func systemToolsReadOurOutputAndWeReadTheirs() throws {
        let dir = try TempDir()
        let plain = dir.sub("plain")
        try writeFile(plain, Self.sample)
        try writeFile(dir.sub("ours.gz"), try Self.compress(Self.sample, .gzip))
        try writeFile(dir.sub("ours.zst"), try Self.compress(Self.sample, .zstd))
        try run(["sh", "-c", "gzip -dc ours.gz | cmp - plain && zstd -qdc ours.zst | cmp - plain"], cwd: dir.path)

        try run(["sh", "-c", "gzip -9c plain > theirs.gz && zstd -q -19 plain -o theirs.zst"], cwd: dir.path)
        #expect(try Self.decompress(try readFile(dir.sub("theirs.gz"))).1 == Self.sample)
        #expect(try Self.decompress(try readFile(dir.sub("theirs.zst"))).1 == Self.sample)
    }

    @Test(arguments: Inflater.allCases)
    func concatenatedMembersAndFrames(inflater: Inflater) throws {
        let first = Array(Self.sample[..<1000])
        let second = Array(Self.sample[1000..<5000])
        let gzip = try Self.compress(first, .gzip) + Self.compress(second, .gzip)
        #expect(try Self.decompress(gzip, inflater: inflater).1 == first + second)
        let zstd = try Self.compress(first, .zstd) + Self.compress(second, .zstd)
        #expect(try Self.decompress(zstd).1 == first + second)
        // Zeros after the last gzip member are padding, not an error.
        #expect(try Self.decompress(gzip + [0, 0, 0, 0], inflater: inflater).1 == first + second)
    }

    @Test(arguments: Inflater.allCases)
    func corruptAndTruncatedStreamsFail(inflater: Inflater) throws {
        for format in [Compression.gzip, .zstd] {
            let compressed = try Self.compress(Self.sample, format)
            let name = format.algorithm == .gzip ? "gzip stream" : "zstd stream"

            var corrupt = compressed
            for index in stride(from: compressed.count / 3, to: compressed.count / 3 + 64, by: 1) { corrupt[index] ^= 0x5a }
            let corruptError = #expect(throws: ArchiveError.self) { try Self.decompress(corrupt, inflater: inflater) }
            #expect(corruptError?.subject == name)
            #expect(corruptError?.kind == .corrupt || corruptError?.kind == .truncated)

            let truncated = Array(compressed[..<(compressed.count - 100)])
            let truncatedError = #expect(throws: ArchiveError.self) { try Self.decompress(truncated, inflater: inflater) }
            #expect(truncatedError?.kind == .truncated)
            #expect(truncatedError.map { "\($0)" } == "\(name): unexpected end of data")
        }
        let garbage = try Self.compress([1, 2, 3], .gzip) + [0x41, 0x42]
        #expect(throws: ArchiveError.self) { try Self.decompress(garbage, inflater: inflater) }
    }

    @Test func observersSeeBothSidesInOnePass() throws {
        let compressed = try Self.compress(Self.sample, .zstd)
        var seenCompressed = [UInt8]()
        var seenPlain = [UInt8]()
        let raw = ObservingSource(MemorySource(compressed)) { seenCompressed.append(contentsOf: $0) }
        var plain = ObservingSource(try DecompressingSource(raw)) { seenPlain.append(contentsOf: $0) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while try buffer.withUnsafeMutableBytes({ try plain.read(into: $0) }) > 0 {}
        #expect(seenCompressed == compressed)
        #expect(seenPlain == Self.sample)
        #expect(plain.byteCount == Int64(Self.sample.count))
    }
}
