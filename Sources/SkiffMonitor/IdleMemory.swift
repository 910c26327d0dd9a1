import CSkiffSpawn
import Glibc
import SkiffRuntime

/// Memory the monitor used for a burst of work, given back once it is quiet.
///
/// A monitor lives as long as its container, but most of its code (config
/// decoding, the runtime's setup, exec) runs for a moment and then not again.
/// The kernel maps that code in 64 KiB runs as it faults, so a monitor that
/// created a container holds ~9 MiB of its (static) executable. Pages of
/// mapped files that are still the file's (code, read-only data, data never
/// written) are unmapped: they stay in the page cache and fault back in if
/// used. Pages the monitor wrote (anonymous copies) stay. The heap's free
/// pages go back to the kernel.
///
/// The monitor is single-threaded: no write can turn a file page into the
/// monitor's own copy between the pagemap read and the madvise.
enum IdleMemory {
    static func release() {
        _ = skiff_malloc_trim()
        let pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        guard pagemap >= 0 else { return }
        defer { close(pagemap) }
        // Every range is read before any is unmapped: code that runs after
        // the first madvise faults its pages back in.
        let scans = fileMappings.compactMap { presentFilePages(in: $0, pagemap: pagemap) }
        for runs in scans {
            for run in runs { _ = madvise(run.baseAddress, run.count, MADV_DONTNEED) }
        }
    }

    /// The address ranges mapped from files: the executable and, in a
    /// dynamically linked build, its libraries. Read once: they stay put.
    private static let fileMappings: [Range<UInt>] = {
        guard let maps = try? FileIO.readString("/proc/self/maps") else { return [] }
        return maps.split(separator: "\n").compactMap { line in
            // "start-end perms offset dev inode path": a file's path starts with "/".
            guard line.contains("/"), let addresses = line.split(separator: " ").first else { return nil }
            let bounds = addresses.split(separator: "-").compactMap { UInt($0, radix: 16) }
            guard bounds.count == 2, bounds[1] > bounds[0] else { return nil }
            return bounds[0]..<bounds[1]
        }
    }()

    /// pagemap(5): bit 63 present, bit 61 a file page (not an anonymous copy).
    private static let presentFilePage: UInt64 = 1 << 63 | 1 << 61
    private static let pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))

    /// The runs of present file pages in `range`.
    private static func presentFilePages(in range: Range<UInt>, pagemap: Int32) -> [UnsafeMutableRawBufferPointer]? {
        let count = Int((range.upperBound - range.lowerBound) / pageSize)
        var entries = [UInt64](repeating: 0, count: count)
        let want = count * 8
        let got = entries.withUnsafeMutableBytes { pread(pagemap, $0.baseAddress, want, off_t(range.lowerBound / pageSize * 8)) }
        guard got == want else { return nil }
        var runs: [UnsafeMutableRawBufferPointer] = []
        var index = 0
        while index < count {
            guard entries[index] & presentFilePage == presentFilePage else { index += 1; continue }
            let first = index
            while index < count, entries[index] & presentFilePage == presentFilePage { index += 1 }
            let start = UnsafeMutableRawPointer(bitPattern: range.lowerBound + UInt(first) * pageSize)
            runs.append(UnsafeMutableRawBufferPointer(start: start, count: (index - first) * Int(pageSize)))
        }
        return runs
    }
}
