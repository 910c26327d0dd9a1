// .dockerignore as Docker reads and applies it: moby/patternmatcher's
// `ignorefile.ReadAll` (comments, blanks, `!` exceptions, patterns cleaned and
// made relative) and `MatchesOrParentMatches` (a path is excluded when the last
// pattern matching it or one of its parent directories is not an exception).
//
// Keeping the Dockerfile and .dockerignore in the context is the caller's part:
// the client adds exceptions for them (`keepingBuildFiles`), and the daemon reads
// them and then drops them from what COPY sees when the patterns match them.

/// A malformed .dockerignore pattern.
public struct DockerIgnoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The pattern as given.
    public let pattern: String
    /// Go's message: `syntax error in pattern`, `illegal exclusion pattern: "!"`.
    public let message: String

    public var description: String { ".dockerignore: pattern \(GoText.quote(pattern)): \(message)" }
}

/// The patterns of a .dockerignore file, ready to match context paths.
public struct DockerIgnore: Sendable, Equatable {
    let patterns: [PathPattern]

    /// The patterns, cleaned, in order; exceptions start with `!`.
    public var lines: [String] { patterns.map { ($0.isException ? "!" : "") + $0.text } }

    /// Whether any pattern is an exception (`!pattern`).
    public var hasExceptions: Bool { patterns.contains(where: \.isException) }

    /// Reads a .dockerignore file (`ignorefile.ReadAll`): a byte order mark dropped,
    /// lines starting with `#` skipped, blank lines skipped, each pattern trimmed,
    /// cleaned and relative (`/a` is `a`), `!` kept in front.
    public init(contents: [UInt8]) throws(DockerIgnoreError) {
        var bytes = contents[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var patterns: [String] = []
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var line = rawLine
            if line.last == 0x0D { line = line.dropLast() }
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("#") { continue }
            var pattern = String(scalars: text.unicodeScalars.trimmingGoSpace())
            if pattern.isEmpty { continue }
            let exception = pattern.hasPrefix("!")
            if exception { pattern = String(scalars: pattern.unicodeScalars.dropFirst().trimmingGoSpace()) }
            if !pattern.isEmpty {
                pattern = GoFilepath.clean(pattern)
                if pattern.count > 1 && pattern.hasPrefix("/") { pattern.removeFirst() }
            }
            patterns.append(exception ? "!" + pattern : pattern)
        }
        try self.init(patterns: patterns)
    }

    /// Patterns as `patternmatcher.New` takes them: trimmed, blank ones skipped,
    /// cleaned, `!` marking an exception; each must be a valid `filepath.Match` pattern.
    public init(patterns: [String]) throws(DockerIgnoreError) {
        var compiled: [PathPattern] = []
        for original in patterns {
            var pattern = String(scalars: original.unicodeScalars.trimmingGoSpace())
            if pattern.isEmpty { continue }
            pattern = GoFilepath.clean(pattern)
            var exception = false
            if pattern.hasPrefix("!") {
                if pattern.count == 1 {
                    throw DockerIgnoreError(pattern: original, message: "illegal exclusion pattern: \"!\"")
                }
                exception = true
                pattern.removeFirst()
            }
            if GoFilepath.isBadPattern(pattern) {
                throw DockerIgnoreError(pattern: original, message: "syntax error in pattern")
            }
            do {
                compiled.append(try PathPattern(pattern, isException: exception))
            } catch {
                throw DockerIgnoreError(pattern: original, message: "syntax error in pattern")
            }
        }
        self.patterns = compiled
    }

    /// What is known about a path once matched: whether it is excluded, and which
    /// patterns matched it or a parent directory (so its children match faster).
    public struct Match: Sendable, Equatable {
        public let isExcluded: Bool
        let matched: [Bool]
    }

    /// Matches `path` (relative to the context, `/`-separated; cleaned first).
    /// `parent` is the match of its directory when the caller walks the tree; without
    /// it the parent directories are checked here. The context root itself is never
    /// excluded.
    public func match(_ path: String, parent: Match? = nil) -> Match {
        let path = GoFilepath.clean(path)
        if path == "." || path == "/" { return Match(isExcluded: false, matched: Array(repeating: false, count: patterns.count)) }
        var matched: [Bool] = []
        matched.reserveCapacity(patterns.count)
        var excluded = false
        for (index, pattern) in patterns.enumerated() {
            let hit = (parent?.matched[index] ?? false) || pattern.matches(path, orParents: parent == nil)
            matched.append(hit)
            if hit { excluded = !pattern.isException }
        }
        return Match(isExcluded: excluded, matched: matched)
    }

    /// Whether `path` is excluded from the context.
    public func excludes(_ path: String) -> Bool {
        match(path).isExcluded
    }

    /// Whether the walk may skip everything below the excluded directory `path`
    /// (matched as `match`): true when no exception after the last pattern that
    /// excludes it could match anything below it.
    public func canSkipContents(of path: String, _ match: Match) -> Bool {
        guard match.isExcluded, let last = match.matched.lastIndex(of: true) else { return false }
        let directory = GoFilepath.clean(path)
        return !patterns[(last + 1)...].contains { $0.isException && $0.couldMatchBelow(directory) }
    }

    /// The patterns with exceptions added for the given paths when they would be
    /// excluded, as the docker CLI keeps the Dockerfile and .dockerignore in the context
    /// it sends (`TrimBuildFilesFromExcludes`).
    public func keepingBuildFiles(_ paths: [String]) -> DockerIgnore {
        var patterns = self.patterns
        for path in paths where match(path).isExcluded {
            let cleaned = GoFilepath.clean(path)
            if let pattern = try? PathPattern(cleaned, isException: true) { patterns.append(pattern) }
        }
        return DockerIgnore(compiled: patterns)
    }

    private init(compiled: [PathPattern]) {
        patterns = compiled
    }
}
