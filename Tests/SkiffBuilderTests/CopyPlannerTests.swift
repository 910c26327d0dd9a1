import Glibc
@testable import SkiffBuilder
import SkiffBuild
import SkiffImage
import SkiffOCI
import Testing

/// COPY's rules on real directories (no root needed): what lands where, what is refused,
/// and that nothing outside the source root can be read.
@Suite struct CopyPlannerTests {
    func planner(_ source: Scratch, _ destination: Scratch, chmod: UInt32? = nil, excludes: [String] = []) -> CopyPlanner {
        CopyPlanner(sourceRoot: source.path, destinationRoot: destination.path, instruction: "COPY", unpackArchives: false,
                    chmod: chmod, excludes: excludes.isEmpty ? nil : try! DockerIgnore(patterns: excludes))
    }

    func destinations(_ plan: CopyPlan) -> [String] {
        plan.items.map { item in
            switch item {
            case .directory(let d, _, _), .file(let d, _, _, _, _), .symlink(let d, _, _), .inline(let d, _, _): d
            case .archive(_, let d): "archive:" + d
            }
        }
    }

    @Test func directoryContentsNotTheDirectory() throws {
        let context = Scratch("ctx"), root = Scratch("root")
        defer { context.remove(); root.remove() }
        context.write("src/a.txt", "a")
        context.write("src/sub/b.txt", "b")
        let plan = try planner(context, root).plan(sources: [.path("src")], destination: "/app/")
        #expect(destinations(plan) == ["app/a.txt", "app/sub", "app/sub/b.txt"])
        #expect(plan.missingDirectories == ["app"])
    }

    @Test func fileToNameOrIntoDirectory() throws {
        let context = Scratch("ctx"), root = Scratch("root")
        defer { context.remove(); root.remove() }
        context.write("a.txt", "a")
        mkdir(root.path + "/etc", 0o755)
        #expect(destinations(try planner(context, root).plan(sources: [.path("a.txt")], destination: "/renamed")) == ["renamed"])
        #expect(destinations(try planner(context, root).plan(sources: [.path("a.txt")], destination: "/etc")) == ["etc/a.txt"])
        #expect(destinations(try planner(context, root).plan(sources: [.path("a.txt")], destination: "/new/dir/")) == ["new/dir/a.txt"])
    }

    @Test func severalSourcesNeedADirectory() throws {
        let context = Scratch("ctx"), root = Scratch("root")
        defer { context.remove(); root.remove() }
        context.write("a.txt", "a")
        context.write("b.txt", "b")
        #expect(throws: BuildError.self) { try planner(context, root).plan(sources: [.path("*.txt")], destination: "/x") }
        let plan = try planner(context, root).plan(sources: [.path("*.txt")], destination: "/x/")
        #expect(destinations(plan) == ["x/a.txt", "x/b.txt"])
        #expect(throws: BuildError.self) { try planner(context, root).plan(sources: [.path("nothing*")], destination: "/x/") }
    }

    @Test func nothingOutsideTheContext() throws {
        let context = Scratch("ctx"), root = Scratch("root")
        defer { context.remove(); root.remove() }
        context.symlink("leak", to: "/etc/passwd")
        context.symlink("up", to: "../../../../etc")
        context.write("dir/x", "x")
        context.symlink("dir/root", to: "/")
        // A symlink named as a source resolves inside the context: there is no /etc/passwd there.
        #expect(throws: BuildError.self) { try planner(context, root).plan(sources: [.path("leak")], destination: "/l") }
        #expect(throws: BuildError.self) { try planner(context, root).plan(sources: [.path("../../etc/passwd")], destination: "/p") }
        #expect(throws: BuildError.self) { try planner(context, root).plan(sources: [.path("up/passwd")], destination: "/p") }
        // Inside a copied directory a symlink is copied as a symlink, never followed.
        let plan = try planner(context, root).plan(sources: [.path("dir")], destination: "/d/")
        #expect(plan.items.contains { if case .symlink("d/root", "/", _) = $0 { true } else { false } })
        #expect(destinations(plan) == ["d/root", "d/x"])
    }

    @Test func chmodExcludesAndDigest() async throws {
        let context = Scratch("ctx"), root = Scratch("root")
        defer { context.remove(); root.remove() }
        context.write("src/keep.c", "int main;")
        context.write("src/skip.o", "binary")
        let plan = try planner(context, root, chmod: 0o600, excludes: ["*.o"]).plan(sources: [.path("src")], destination: "/s/")
        #expect(destinations(plan) == ["s/keep.c"])
        #expect(plan.items.allSatisfy { if case .file(_, _, 0o600, _, _) = $0 { true } else { false } })

        // The digest follows contents and names, not times.
        let first = try await plan.digest()
        utimes(context.path + "/src/keep.c", nil)
        #expect(try await planner(context, root, chmod: 0o600, excludes: ["*.o"]).plan(sources: [.path("src")], destination: "/s/").digest() == first)
        context.write("src/keep.c", "int main2;")
        #expect(try await planner(context, root, chmod: 0o600, excludes: ["*.o"]).plan(sources: [.path("src")], destination: "/s/").digest() != first)
    }

    @Test func writesInsideTheRootOnly() throws {
        let context = Scratch("ctx"), root = Scratch("root"), outside = Scratch("outside")
        defer { context.remove(); root.remove(); outside.remove() }
        context.write("a.txt", "payload")
        // The image has /link -> the outside directory (absolute): the copy must land in the root.
        root.symlink("link", to: outside.path)
        let plan = try planner(context, root).plan(sources: [.path("a.txt")], destination: "/link/")
        try plan.apply(to: root.path, owner: (0, 0))
        #expect(outside.read("a.txt") == nil)
        #expect(root.read("link/a.txt") == "payload" || root.read(String(outside.path.dropFirst()) + "/a.txt") == "payload")
    }
}

extension CopyPlannerTests {
    @Test func parentsKeepTheSourcePath() throws {
        let context = Scratch("ctx"), root = Scratch("root")
        defer { context.remove(); root.remove() }
        context.write("a/b/c.txt", "c")
        context.write("a/d/e.txt", "e")
        var copier = planner(context, root)
        copier.keepParents = true
        let plan = try copier.plan(sources: [.path("a/*/*.txt")], destination: "/dst/")
        #expect(destinations(plan) == ["dst/a/b/c.txt", "dst/a/d/e.txt"])
        try plan.apply(to: root.path, owner: (0, 0))
        #expect(root.read("dst/a/d/e.txt") == "e")
    }
}

extension CopyPlannerTests {
    @Test func contentDigestsKeepTheirOrderAcrossThreads() async throws {
        let context = Scratch("ctx")
        defer { context.remove() }
        var paths: [String] = []
        for index in 0..<300 {
            context.write("f\(index)", "file \(index)\n")
            paths.append(context.path + "/f\(index)")
        }
        let digests = try await CopyPlan.contentDigests(paths)
        #expect(digests == (0..<300).map { SkiffOCI.Digest.sha256(of: Array("file \($0)\n".utf8)).description })
        await #expect(throws: BuildError.self) { try await CopyPlan.contentDigests([context.path + "/missing"]) }
    }
}
