import Testing

@testable import SkiffBuild

// .dockerignore: reading the file, Docker's matching, exceptions, skipping directories.

@Test func readingTheFile() throws {
    let contents = "\u{FEFF}# comment\r\n\n  node_modules  \n/build/\n./tmp/../cache\n!keep.txt\n! spaced \n  # not a comment\n**/*.log\n/\n"
    let ignore = try DockerIgnore(contents: Array(contents.utf8))
    #expect(ignore.lines == ["node_modules", "build", "cache", "!keep.txt", "!spaced", "# not a comment", "**/*.log", "/"])
    #expect(ignore.hasExceptions)
    #expect(try !DockerIgnore(contents: Array("a\nb/c".utf8)).hasExceptions)
}

struct IgnoreCase: CustomTestStringConvertible, Sendable {
    let patterns: [String]
    let path: String
    let excluded: Bool
    var testDescription: String { "\(patterns) \(path)" }

    init(_ patterns: [String], _ path: String, _ excluded: Bool) {
        self.patterns = patterns
        self.path = path
        self.excluded = excluded
    }
}

let ignoreCases: [IgnoreCase] = [
    // `*` and `?` stay within one path element.
    IgnoreCase(["*.log"], "app.log", true), IgnoreCase(["*.log"], "logs/app.log", false), IgnoreCase(["*/*.log"], "logs/app.log", true),
    IgnoreCase(["?.txt"], "a.txt", true), IgnoreCase(["?.txt"], "ab.txt", false), IgnoreCase(["a?b"], "a/b", false),
    IgnoreCase(["*"], "anything", true), IgnoreCase(["*"], "dir/deep/file", true),
    // A directory excludes what is below it.
    IgnoreCase(["dir"], "dir", true), IgnoreCase(["dir"], "dir/sub/file", true), IgnoreCase(["dir"], "dirx", false),
    IgnoreCase(["dir/*"], "dir/a/b", true), IgnoreCase(["dir/*"], "dir", false), IgnoreCase(["a/b"], "a/b/c", true),
    // `**`.
    IgnoreCase(["**"], "a/b/c", true), IgnoreCase(["**/*.go"], "main.go", true), IgnoreCase(["**/*.go"], "a/b/main.go", true),
    IgnoreCase(["**/vendor"], "vendor", true), IgnoreCase(["**/vendor"], "x/vendor/y", true), IgnoreCase(["**/vendor"], "x/myvendor", false),
    IgnoreCase(["**vendor"], "x/myvendor", true), IgnoreCase(["docs/**"], "docs", false), IgnoreCase(["docs/**"], "docs/a/b", true),
    IgnoreCase(["docs/**/*.md"], "docs/a.md", true), IgnoreCase(["docs/**/*.md"], "docs/x/y/a.md", true), IgnoreCase(["docs/**/*.md"], "a.md", false),
    IgnoreCase(["a**b"], "ab", true), IgnoreCase(["a**b"], "a/x/b", true), IgnoreCase(["a**b"], "axb", false), IgnoreCase(["a**"], "abc/d", true),
    // Classes and escapes.
    IgnoreCase(["[a-c].txt"], "b.txt", true), IgnoreCase(["[a-c].txt"], "d.txt", false), IgnoreCase(["[^a-c].txt"], "d.txt", true),
    IgnoreCase(["[!a].txt"], "!.txt", true), IgnoreCase(["[!a].txt"], "b.txt", false),
    IgnoreCase(["a\\*b"], "a*b", true), IgnoreCase(["a\\*b"], "axb", false), IgnoreCase(["a\\?"], "a?", true),
    // Literal characters that are special in regular expressions.
    IgnoreCase(["a.b"], "axb", false), IgnoreCase(["*.tar.gz"], "x.tar.gz", true), IgnoreCase(["*.tar.gz"], "x.tarxgz", false),
    IgnoreCase(["(x)+{y}|$"], "(x)+{y}|$", true), IgnoreCase(["v1.*"], "v1.2", true), IgnoreCase(["v1.*"], "v122", false),
    // What Go's regexp makes of text patternmatcher passes through: `^` anchors (a literal
    // when the pattern has no wildcard), `\d`-style classes, `\b` boundaries.
    IgnoreCase(["^*.txt"], "a.txt", true), IgnoreCase(["a^*"], "a^b", false), IgnoreCase(["^a"], "^a", true), IgnoreCase(["^a"], "a", false),
    IgnoreCase(["v\\d*"], "v1.2", true), IgnoreCase(["v\\d*"], "vx", false), IgnoreCase(["[\\d_]?"], "_x", true),
    IgnoreCase(["*\\bx"], "a-x", true), IgnoreCase(["*\\bx"], "ax", false), IgnoreCase(["a\\tb*"], "a\tb", true),
    // Paths and patterns are cleaned.
    IgnoreCase(["./a//b/"], "a/b", true), IgnoreCase(["a/../b"], "b", true), IgnoreCase(["a"], "./a/x/../y", true),
    IgnoreCase(["/a"], "a", false), IgnoreCase(["*"], ".", false),
    // Exceptions: the last matching pattern decides.
    IgnoreCase(["*.md", "!README.md"], "README.md", false), IgnoreCase(["*.md", "!README.md"], "CHANGES.md", true),
    IgnoreCase(["!README.md", "*.md"], "README.md", true),
    IgnoreCase(["docs", "!docs/keep.md"], "docs/keep.md", false), IgnoreCase(["docs", "!docs/keep.md"], "docs/other.md", true),
    IgnoreCase(["docs", "!docs/keep.md"], "docs", true),
    IgnoreCase(["**", "!src", "src/*.tmp"], "src/a.go", false), IgnoreCase(["**", "!src", "src/*.tmp"], "src/a.tmp", true),
    IgnoreCase(["**", "!src", "src/*.tmp"], "README", true), IgnoreCase(["**", "!src"], "src/deep/er/file", false),
    // `!*/` is cleaned to `!*`: it re-includes everything.
    IgnoreCase(["*", "!*/"], "a", false),
]

@Test(arguments: ignoreCases)
func ignoreMatching(_ test: IgnoreCase) throws {
    let ignore = try DockerIgnore(patterns: test.patterns)
    #expect(ignore.excludes(test.path) == test.excluded)
}

@Test func walkingWithParentMatches() throws {
    let ignore = try DockerIgnore(patterns: ["build", "!build/keep", "*/cache", "**/*.o"])
    for path in ["build", "build/keep", "build/keep/x", "build/other", "src", "src/cache", "src/cache/a", "src/a.o", "src/x/y.o", "z"] {
        // Matching component by component, reusing the parent's result, is matching the whole path.
        var parent: DockerIgnore.Match?
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            parent = ignore.match(prefix, parent: parent)
        }
        #expect(parent == ignore.match(path), "\(path)")
    }
    #expect(ignore.excludes("build/keep/x") == false)
    #expect(ignore.excludes("build/other") == true)
    #expect(ignore.excludes("src/cache/a") == true)
}

@Test func skippingExcludedDirectories() throws {
    func canSkip(_ patterns: [String], _ directory: String) throws -> Bool {
        let ignore = try DockerIgnore(patterns: patterns)
        return ignore.canSkipContents(of: directory, ignore.match(directory))
    }
    #expect(try canSkip(["node_modules"], "node_modules"))
    #expect(try canSkip(["**/node_modules"], "web/node_modules"))
    #expect(try !canSkip(["src"], "other"))
    #expect(try !canSkip(["docs", "!docs/keep.md"], "docs"))
    #expect(try canSkip(["docs", "!docs/keep.md"], "docs/sub"))
    #expect(try canSkip(["docs", "!*.md"], "docs"))
    #expect(try !canSkip(["docs", "!*/*.md"], "docs"))
    #expect(try !canSkip(["docs", "!**/*.md"], "docs"))
    #expect(try !canSkip(["docs", "!**"], "docs"))
    #expect(try canSkip(["!docs/keep.md", "docs"], "docs"))
    #expect(try !canSkip(["a", "!a/b/**"], "a/b"))
    #expect(try !canSkip(["a", "!a/b**"], "a"))
    #expect(try canSkip(["a", "!a/b**"], "a/c"))
    #expect(try !canSkip(["*", "!d[a-c]/x"], "db"))
    #expect(try canSkip(["*", "!d[a-c]/x"], "dd"))
    #expect(try !canSkip(["x", "!x/?/y"], "x"))
    #expect(try canSkip(["x", "!x/?/y"], "x/ab"))
}

@Test func buildFilesAreKept() throws {
    let ignore = try DockerIgnore(patterns: ["*", "!src"])
    let kept = ignore.keepingBuildFiles(["Dockerfile", ".dockerignore", "./docker/Dockerfile.dev"])
    #expect(kept.lines == ["*", "!src", "!Dockerfile", "!.dockerignore", "!docker/Dockerfile.dev"])
    #expect(!kept.excludes("Dockerfile") && !kept.excludes(".dockerignore") && !kept.excludes("docker/Dockerfile.dev"))
    #expect(kept.excludes("other") && kept.excludes("docker/other"))
    // Nothing is added for files not excluded.
    let plain = try DockerIgnore(patterns: ["tmp"])
    #expect(plain.keepingBuildFiles(["Dockerfile"]).lines == ["tmp"])
}

@Test func badPatterns() {
    func message(_ patterns: [String]) -> String? {
        do {
            _ = try DockerIgnore(patterns: patterns)
            return nil
        } catch {
            return error.description
        }
    }
    #expect(message(["["]) == #".dockerignore: pattern "[": syntax error in pattern"#)
    #expect(message(["a[b"]) == #".dockerignore: pattern "a[b": syntax error in pattern"#)
    #expect(message(["[a-]"]) == #".dockerignore: pattern "[a-]": syntax error in pattern"#)
    #expect(message(["a\\"]) == #".dockerignore: pattern "a\\": syntax error in pattern"#)
    #expect(message(["[]a]"]) == #".dockerignore: pattern "[]a]": syntax error in pattern"#)
    #expect(message(["a\\qb*"]) == #".dockerignore: pattern "a\\qb*": syntax error in pattern"#)
    #expect(message(["*/["]) == #".dockerignore: pattern "*/[": syntax error in pattern"#)
    #expect(message(["ok", "!"]) == #".dockerignore: pattern "!": illegal exclusion pattern: "!""#)
    #expect(message(["", "  ", "ok"]) == nil)
    #expect(throws: DockerIgnoreError.self) { try DockerIgnore(contents: Array("!\n".utf8)) }
}

@Test func cleaningPaths() {
    let cases = [
        ("", "."), (".", "."), ("a/", "a"), ("a//b/./c/..", "a/b"), ("../a", "../a"), ("a/../../b", "../b"),
        ("/../a", "/a"), ("/", "/"), ("//a", "/a"), ("./", "."),
    ]
    for (path, cleaned) in cases {
        #expect(GoFilepath.clean(path) == cleaned, "\(path)")
    }
}
