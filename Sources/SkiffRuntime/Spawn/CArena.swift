import Glibc

/// Owns the C memory handed to the spawn child: every string and array is
/// allocated here before clone(2) and freed together afterwards.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit {
        for block in blocks { free(block) }
    }

    func string(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        blocks.append(UnsafeMutableRawPointer(p))
        return UnsafePointer(p)
    }

    func optionalString(_ s: String?) -> UnsafePointer<CChar>? {
        s.map { string($0) }
    }

    /// A NULL-terminated `char *const *` array.
    func stringArray(_ items: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        let array = allocate(UnsafeMutablePointer<CChar>?.self, count: items.count + 1)
        for (i, item) in items.enumerated() {
            array[i] = UnsafeMutablePointer(mutating: string(item))
        }
        array[items.count] = nil
        return UnsafePointer(array)
    }

    /// A `const char *const *` array (not NULL-terminated).
    func constStringArray(_ items: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
        let array = allocate(UnsafePointer<CChar>?.self, count: max(items.count, 1))
        for (i, item) in items.enumerated() { array[i] = string(item) }
        return UnsafePointer(array)
    }

    func array<T>(_ items: [T]) -> UnsafePointer<T> {
        let p = allocate(T.self, count: max(items.count, 1))
        for (i, item) in items.enumerated() { (p + i).initialize(to: item) }
        return UnsafePointer(p)
    }

    func bytes(_ items: [UInt8]) -> UnsafeRawPointer {
        let p = allocate(UInt8.self, count: max(items.count, 1))
        items.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { p.update(from: base, count: items.count) }
        }
        return UnsafeRawPointer(p)
    }

    private func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = calloc(count, MemoryLayout<T>.stride)!
        blocks.append(raw)
        return raw.bindMemory(to: T.self, capacity: count)
    }
}
