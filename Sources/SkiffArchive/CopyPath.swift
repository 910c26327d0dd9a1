/// Slash-separated paths as Go's `path/filepath` and Docker's archive package treat them for
/// `docker cp`: lexical cleaning, base and directory names, and the trailing `/` or `/.` that
/// asserts a directory (and, on a source, means "its contents").
public enum CopyPath {
    /// Go's `filepath.Clean`: `.` and empty components dropped, `..` applied (never above `/`).
    public static func clean(_ path: String) -> String {
        if path.isEmpty { return "." }
        let rooted = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !rooted {
                    parts.append(part)
                }
                continue
            }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// Go's `filepath.Join`: the non-empty parts joined with `/`, cleaned ("" when all are empty).
    public static func join(_ parts: String...) -> String {
        let kept = parts.filter { !$0.isEmpty }
        return kept.isEmpty ? "" : clean(kept.joined(separator: "/"))
    }

    /// Go's `filepath.Base`: the last component (`/` for the root, `.` for "").
    public static func base(_ path: String) -> String {
        if path.isEmpty { return "." }
        var trimmed = Substring(path)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if trimmed.isEmpty { return "/" }
        if let slash = trimmed.lastIndex(of: "/") { return String(trimmed[trimmed.index(after: slash)...]) }
        return String(trimmed)
    }

    /// Go's `filepath.Dir`: everything up to the last slash, cleaned (`.` when there is none).
    public static func dir(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return clean(String(path[...slash]))
    }

    /// Whether `path` ends in `/`.
    public static func hasTrailingSeparator(_ path: String) -> Bool { path.hasSuffix("/") }

    /// Whether the last component of `path` is `.`.
    public static func specifiesCurrentDirectory(_ path: String) -> Bool { base(path) == "." }

    /// Whether `path` asserts a directory: it ends in `/` or `/.`.
    public static func assertsDirectory(_ path: String) -> Bool {
        hasTrailingSeparator(path) || specifiesCurrentDirectory(path)
    }

    /// `cleaned` with the trailing `/.` or `/` of `original` put back
    /// (archive.PreserveTrailingDotOrSeparator).
    public static func preserveTrailingDotOrSeparator(_ cleaned: String, _ original: String) -> String {
        var result = cleaned
        if !specifiesCurrentDirectory(result) && specifiesCurrentDirectory(original) {
            if !hasTrailingSeparator(result) { result += "/" }
            result += "."
        }
        if !hasTrailingSeparator(result) && hasTrailingSeparator(original) { result += "/" }
        return result
    }

    /// The directory and the entry of `path`, cleaned, a final `.` kept (archive.SplitPathDirEntry).
    public static func splitDirectoryEntry(_ path: String) -> (directory: String, entry: String) {
        var cleaned = clean(path)
        if specifiesCurrentDirectory(path) { cleaned += "/." }
        return (dir(cleaned), base(cleaned))
    }
}

/// A rename of archive entries: the first occurrence of `from` in a name (and in a hard link's
/// target) becomes `to`, as Docker's RebaseArchiveEntries does for `docker cp`.
public struct PathRebase: Sendable, Equatable {
    public var from: String
    public var to: String

    public init(from: String, to: String) {
        // The root as the old base means "every name": nothing is replaced, `to` goes in front.
        self.from = from == "/" ? "" : from
        self.to = to
    }

    /// `name` with the rename applied.
    public func apply(_ name: [UInt8]) -> [UInt8] {
        let old = Array(from.utf8)
        if old.isEmpty { return Array(to.utf8) + name }
        guard name.count >= old.count else { return name }
        for start in 0...(name.count - old.count) where name[start..<(start + old.count)].elementsEqual(old) {
            return Array(name[..<start]) + Array(to.utf8) + Array(name[(start + old.count)...])
        }
        return name
    }
}
