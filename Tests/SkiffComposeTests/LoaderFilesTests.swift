import Foundation
import Testing
@testable import SkiffCompose

@Suite struct LoaderFilesTests {
    @Test func discoversInParentsWithOverride() throws {
        let t = TempProject()
        t.write("compose.yaml", "services:\n  web:\n    image: a\n")
        t.write("compose.override.yml", "services:\n  web:\n    image: b\n")
        t.write("sub/deeper/.keep", "")
        var o = t.options(in: "sub/deeper")
        o.projectName = "p"
        let p = try ComposeLoader.load(o)
        #expect(p.files == [t.dir + "/compose.yaml", t.dir + "/compose.override.yml"])
        #expect(p.workingDirectory == t.dir)
        #expect(p.model.at("services.web.image") == .string("b"))
    }

    @Test func discoveryPrefersComposeYaml() throws {
        let t = TempProject()
        t.write("docker-compose.yml", "services:\n  old:\n    image: a\n")
        t.write("compose.yaml", "services:\n  new:\n    image: a\n")
        let p = try t.load()
        #expect(p.model.at("services.new") != nil)
        #expect(p.model.at("services.old") == nil)
    }

    @Test func noFileIsAnError() {
        let t = TempProject()
        #expect(t.error() == "no configuration file provided: not found")
    }

    @Test func explicitFilesRelativeToWorkingDirectory() throws {
        let t = TempProject()
        t.write("a/one.yml", "services:\n  web:\n    image: one\n")
        t.write("b/two.yml", "services:\n  web:\n    image: two\n")
        let p = try t.load(["a/one.yml", "b/two.yml"])
        #expect(p.workingDirectory == t.dir + "/a")
        #expect(p.name == "a")
        #expect(p.model.at("services.web.image") == .string("two"))
        #expect(t.error(["missing.yml"])?.contains("no such file or directory") == true)
    }

    @Test func composeFileVariable() throws {
        let t = TempProject()
        t.write("x.yml", "services:\n  x:\n    image: a\n")
        t.write("y.yml", "services:\n  y:\n    image: a\n")
        let p = try t.load(env: ["COMPOSE_FILE": "x.yml:y.yml"])
        #expect(p.model.at("services.x") != nil && p.model.at("services.y") != nil)
        t.write(".env", "COMPOSE_FILE=y.yml\n")
        let q = try t.load()
        #expect(q.model.at("services.x") == nil && q.model.at("services.y") != nil)
    }

    @Test func stdin() throws {
        let t = TempProject()
        let p = try t.load(["-"]) { $0.stdin = "services:\n  web:\n    image: a\n" }
        #expect(p.model.at("services.web.image") == .string("a"))
        #expect(p.workingDirectory == t.dir)
    }

    @Test func notAMappingNamesTheFile() {
        let t = TempProject()
        t.write("compose.yaml", "- a\n- b\n")
        #expect(t.error() == t.dir + "/compose.yaml: top-level object must be a mapping")
    }

    @Test func yamlFeatures() throws {
        let t = TempProject()
        t.write("compose.yaml", """
        x-base: &base
          image: busybox
          environment:
            A: "1"
        services:
          web:
            <<: *base
            environment:
              B: "2"
          other: *base
        """)
        let p = try t.load()
        #expect(p.model.at("services.web.image") == .string("busybox"))
        #expect(p.model.at("services.web.environment") == .mapping(ComposeMapping([("B", .string("2"))])))
        #expect(p.model.at("services.other.environment.A") == .string("1"))
        #expect(p.model["x-base"] == nil)
    }

    @Test func duplicateKeysAreAnError() {
        let t = TempProject()
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    image: b\n")
        let e = t.error()
        #expect(e?.contains("already defined") == true, "\(e ?? "")")
        #expect(e?.hasPrefix(t.dir + "/compose.yaml:") == true)
    }

    @Test func hostileInputsDoNotCrash() {
        let t = TempProject()
        let inputs = [
            String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000),
            String(repeating: "a:\n" + " ", count: 1) + String(repeating: "- ", count: 3000) + "x",
            "services:\n  web:\n    image: a\n    cpu_shares: 99999999999999999999999999999\n",
            "services:\n  web:\n    image: a\n    ports: [99999999999999999999]\n",
            "services:\n  ? [a, b]\n  : x\n",
            "services:\n  1: {image: a}\n  true: {image: b}\n",
            "\u{0}\u{1}\u{FF}garbage\u{7}: [\n",
            "a: &a [*a]\n",
            "a: &a [1,2,3,4,5,6,7,8,9]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n",
            "services:\n  web:\n    image: \"${${${\"\n",
            "services:\n  web:\n    image: a\n    ports: [\"[::1\", \"1-2-3:4\", \":\", \"/tcp\", \"99999:1\"]\n",
            "services:\n  web:\n    image: a\n    volumes: [\":\", \"a:b:c:d\", \"\"]\n",
            "services:\n  web:\n    command: \"'unterminated\"\n",
            "services:\n  web:\n    image: \"" + String(repeating: "${A:-", count: 5000) + String(repeating: "}", count: 5000) + "\"\n",
            "x-big:\n" + (0..<10000).map { "  k\($0): v" }.joined(separator: "\n") + "\nservices: {}\n",
            "x-list: [" + Array(repeating: "1", count: 20000).joined(separator: ",") + "]\nservices: {}\n",
        ]
        for (i, text) in inputs.enumerated() {
            t.write("f\(i).yaml", text)
            // Either loads or gives a ComposeError; never crashes or throws something else.
            let e = t.error(["f\(i).yaml"])
            #expect(e?.hasPrefix("unexpected") != true, "\(i): \(e ?? "")")
        }
        var binary = Data((0..<2000).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        binary.append(contentsOf: [0xC3, 0x28])
        _ = FileManager.default.createFile(atPath: t.dir + "/bin.yaml", contents: binary)
        #expect(t.error(["bin.yaml"]) != nil)
    }
}

@Suite struct DocumentTests {
    @Test func multipleDocumentsAndEmptyFiles() throws {
        let t = TempProject()
        t.write("compose.yaml", "services:\n  a:\n    image: x\n---\nservices:\n  b:\n    image: y\n")
        t.write("empty.yaml", "")
        t.write("comment.yaml", "# nothing here\n")
        let p = try t.load(["compose.yaml", "empty.yaml"])
        #expect(p.model["services"]?.mapping?.keys == ["a", "b"])
        #expect(t.error(["empty.yaml", "comment.yaml"]) == "empty compose file")
        t.write("bad.yaml", "services: {}\n---\n- x\n")
        #expect(t.error(["bad.yaml"]) == t.dir + "/bad.yaml: top-level object must be a mapping")
        t.write("broken.yaml", "services: {}\n---\na: [\n")
        #expect(t.error(["broken.yaml"])?.hasPrefix(t.dir + "/broken.yaml: yaml: line") == true)
    }

    @Test func extendsSeesIncludedServices() throws {
        let t = TempProject()
        t.write("lib/compose.yaml", "services:\n  base:\n    image: lib\n    environment: {L: \"1\"}\n")
        t.write("compose.yaml", "include: [lib/compose.yaml]\nservices:\n  web:\n    extends: base\n    environment: {W: \"1\"}\n")
        let p = try t.load()
        #expect(p.model.at("services.web.image") == .string("lib"))
        #expect(p.model.at("services.web.environment")?.mapping?.keys == ["L", "W"])
    }
}
