import Foundation
import Testing
@testable import SkiffCompose

@Suite struct MergeTests {
    /// An override file in another directory adding build args keeps the base's context
    /// (was: the override's missing context became the project directory before the merge).
    @Test func overrideBuildArgsKeepTheBaseContext() throws {
        let t = TempProject()
        t.write("app/compose.yaml", "services:\n  db:\n    build: ./db\n")
        t.write("elsewhere/override.yaml", "services:\n  db:\n    build:\n      args:\n        http_proxy: http://proxy:3142\n")
        let p = try t.load(["app/compose.yaml", "elsewhere/override.yaml"])
        let build = p.model.at("services.db.build")!
        #expect(build["context"] == .string(t.dir + "/app/db"))
        #expect(build["args"]?["http_proxy"] == .string("http://proxy:3142"))
        #expect(build["dockerfile"] == .string("Dockerfile"))
    }

    @Test func twoFiles() throws {
        let t = TempProject()
        t.write("compose.yaml", """
        services:
          web:
            image: a
            command: ["run", "one"]
            environment: [A=1, B=2]
            labels: {x: "1"}
            ports: ["80:80", "443:443"]
            volumes: ["./a:/data", "logs:/logs"]
            dns: 1.1.1.1
            depends_on: [db]
            networks: [front]
            healthcheck: {test: ["CMD", "a"], interval: 10s}
          db:
            image: db
        networks: {front: {}, back: {}}
        volumes: {logs: {}}
        """)
        t.write("override.yaml", """
        services:
          web:
            image: b
            command: serve --port 1
            environment: {B: "3", C: "4"}
            labels: ["y=2"]
            ports: ["80:80", "8080:8080"]
            volumes: ["./b:/data"]
            dns: [8.8.8.8]
            depends_on: {db: {condition: service_healthy}}
            networks: {back: {aliases: [b]}}
            healthcheck: {test: ["CMD", "b"]}
        """)
        let p = try t.load(["compose.yaml", "override.yaml"])
        let web = p.model.at("services.web")!
        #expect(web["image"] == .string("b"))
        #expect(web["command"] == .array([.string("serve"), .string("--port"), .string("1")]))
        #expect(web["environment"] == .mapping(ComposeMapping([("A", .string("1")), ("B", .string("3")), ("C", .string("4"))])))
        #expect(web["labels"] == .mapping(ComposeMapping([("x", .string("1")), ("y", .string("2"))])))
        #expect(web["ports"]?.array?.compactMap { $0["published"]?.string } == ["80", "443", "8080"])
        #expect(web["volumes"]?.array?.count == 2)
        #expect(web.at("volumes.0.source") == .string(t.dir + "/b"))
        #expect(web["dns"] == .array([.string("1.1.1.1"), .string("8.8.8.8")]))
        #expect(web.at("depends_on.db.condition") == .string("service_healthy"))
        #expect(web["networks"]?.mapping?.keys == ["back", "front"])
        #expect(web.at("healthcheck.test") == .array([.string("CMD"), .string("b")]))
        #expect(web.at("healthcheck.interval") == .string("10s"))
    }

    @Test func buildStringMergesWithMapping() {
        let base = try! ComposeYAML.parse("services:\n  web:\n    build: ./app\n", file: "a")
        let over = try! ComposeYAML.parse("services:\n  web:\n    build:\n      args: [X=1]\n", file: "b")
        let m = ComposeMerge.mergeFiles(base, over)
        #expect(m.at("services.web.build.context") == .string("./app"))
        let more = try! ComposeYAML.parse("services:\n  web:\n    build:\n      args: {Y: 2}\n", file: "c")
        let m2 = ComposeMerge.mergeFiles(m, more)
        #expect(m2.at("services.web.build.args") == .mapping(ComposeMapping([("X", .string("1")), ("Y", .int(2))])))
    }
}

@Suite struct ExtendsTests {
    @Test func sameFileChain() throws {
        let t = TempProject()
        t.write("compose.yaml", """
        services:
          base:
            image: a
            environment: {A: "1"}
          mid:
            extends: base
            environment: {B: "2"}
          web:
            extends: {service: mid}
            command: run
            environment: {A: "x"}
        """)
        let p = try t.load()
        let web = p.model.at("services.web")!
        #expect(web["image"] == .string("a"))
        #expect(web["environment"] == .mapping(ComposeMapping([("A", .string("x")), ("B", .string("2"))])))
        #expect(web["extends"] == nil)
    }

    @Test func otherFileWithRelativePaths() throws {
        let t = TempProject()
        t.write("common/base.yaml", """
        services:
          app:
            build: ./src
            env_file: app.env
            volumes: ["./data:/data"]
        """)
        t.write("common/app.env", "FROM_FILE=yes\n")
        t.write("compose.yaml", """
        services:
          web:
            extends: {file: common/base.yaml, service: app}
            environment: {OWN: "1"}
        """)
        let p = try t.load()
        let web = p.model.at("services.web")!
        #expect(web.at("build.context") == .string(t.dir + "/common/src"))
        #expect(web.at("build.dockerfile") == .string("Dockerfile"))
        #expect(web.at("environment.FROM_FILE") == .string("yes"))
        #expect(web.at("volumes.0.source") == .string(t.dir + "/common/data"))
    }

    @Test func cycleRefused() {
        let t = TempProject()
        t.write("compose.yaml", "services:\n  a:\n    extends: b\n  b:\n    extends: a\n")
        #expect(t.error() == "Circular reference:\n  a in \(t.dir)/compose.yaml\n  extends b in \(t.dir)/compose.yaml\n  extends a in \(t.dir)/compose.yaml")
        t.write("compose.yaml", "services:\n  a:\n    image: x\n    extends: nope\n")
        #expect(t.error() == "cannot extend service \"a\" in \(t.dir)/compose.yaml: service \"nope\" not found")
    }
}

@Suite struct IncludeTests {
    @Test func includeAddsResources() throws {
        let t = TempProject()
        t.write("sub/compose.yaml", """
        services:
          db:
            image: ${DBIMG:-postgres}
            build: .
            volumes: [dbdata:/var/lib]
        volumes:
          dbdata: {}
        """)
        t.write("sub/.env", "DBIMG=mariadb\n")
        t.write("compose.yaml", """
        include:
          - sub/compose.yaml
        services:
          web:
            image: a
            depends_on: [db]
        """)
        let p = try t.load()
        #expect(p.model.at("services.db.image") == .string("mariadb"))
        #expect(p.model.at("services.db.build.context") == .string(t.dir + "/sub"))
        #expect(p.model.at("volumes.dbdata.name") == .string(p.name + "_dbdata"))
        #expect(p.model.at("services.web.depends_on.db") != nil)
    }

    @Test func longSyntaxAndConflict() throws {
        let t = TempProject()
        t.write("lib/one.yaml", "services:\n  web:\n    image: ${IMG}\n")
        t.write("lib/vars.env", "IMG=from-env-file\n")
        t.write("compose.yaml", "include:\n  - path: [lib/one.yaml]\n    env_file: lib/vars.env\n    project_directory: lib\n")
        let p = try t.load()
        #expect(p.model.at("services.web.image") == .string("from-env-file"))
        t.write("compose.yaml", "include:\n  - lib/one.yaml\nservices:\n  web:\n    image: mine\n")
        #expect(t.error() == "services.web conflicts with imported resource")
    }
}

@Suite struct ProfileTests {
    let yaml = """
    services:
      web:
        image: a
      debug:
        image: b
        profiles: [debug]
      tools:
        image: c
        profiles: [tools]
        depends_on: [helper]
      helper:
        image: d
        profiles: [never]
    """

    @Test func inactiveRemoved() throws {
        let t = TempProject()
        t.write("compose.yaml", "services:\n  web:\n    image: a\n  debug:\n    image: b\n    profiles: [debug]\n")
        #expect(try t.load().model["services"]?.mapping?.keys == ["web"])
        #expect(try t.load { $0.profiles = ["debug"] }.model["services"]?.mapping?.keys == ["debug", "web"])
        #expect(try t.load(env: ["COMPOSE_PROFILES": "x,debug"]).model["services"]?.mapping?.keys == ["debug", "web"])
        #expect(try t.load { $0.profiles = ["*"] }.model["services"]?.mapping?.keys == ["debug", "web"])
    }

    @Test func namedServicesEnabledWithDependencies() throws {
        let t = TempProject()
        t.write("compose.yaml", yaml)
        let p = try t.load { $0.services = ["tools"] }
        #expect(p.model["services"]?.mapping?.keys == ["helper", "tools", "web"])
        #expect(t.error { $0.services = ["nope"] } == "no such service: nope")
        // Enabled by profile, but what it depends on is not.
        #expect(t.error { $0.profiles = ["tools"] } == "service \"tools\" depends on undefined service \"helper\": invalid compose project")
    }
}

@Suite struct MergeTagTests {
    @Test func resetAndOverride() throws {
        let t = TempProject()
        t.write("compose.yaml", """
        services:
          web:
            image: a
            ports: ["80:80", "443:443"]
            environment: {A: "1", B: "2"}
            dns: [1.1.1.1]
            user: root
        """)
        t.write("override.yaml", """
        services:
          web:
            ports: !reset []
            environment: !override {C: "3"}
            dns: !override [8.8.8.8]
            user: !reset null
            cpu_shares: !override 512
        """)
        let p = try t.load(["compose.yaml", "override.yaml"])
        let web = p.model.at("services.web")!
        #expect(web["ports"] == nil)
        #expect(web["user"] == nil)
        #expect(web["environment"] == .mapping(ComposeMapping([("C", .string("3"))])))
        #expect(web["dns"] == .array([.string("8.8.8.8")]))
        #expect(web["cpu_shares"] == .int(512))
    }
}

@Suite struct ExtendsTagTests {
    @Test func resetAndOverrideThroughExtends() throws {
        let t = TempProject()
        t.write("compose.yaml", """
        services:
          base:
            image: a
            ports: ["80:80"]
            dns: [1.1.1.1]
          web:
            extends: base
            ports: !reset []
            dns: !override [8.8.8.8]
        """)
        let p = try t.load()
        #expect(p.model.at("services.web.ports") == nil)
        #expect(p.model.at("services.web.dns") == .array([.string("8.8.8.8")]))
        #expect(p.model.at("services.base.ports")?.array?.count == 1)
    }
}
