import Foundation
import Testing
@testable import SkiffCompose

@Suite struct YAMLTests {
    @Test func scalarsResolveLikeCompose() throws {
        let v = try ComposeYAML.parse("""
        a: 8080
        b: "8080"
        c: 80:80
        d: yes
        e: true
        f: ~
        g: 1.5
        h: 0x1F
        i: !!str 12
        j: ''
        k:
        l: 1e3
        m: 0440
        n: 08
        o: 0b101
        """, file: "t")
        #expect(v["a"] == .int(8080))
        #expect(v["b"] == .string("8080"))
        #expect(v["c"] == .string("80:80"))
        #expect(v["d"] == .string("yes"))
        #expect(v["e"] == .bool(true))
        #expect(v["f"] == .null)
        #expect(v["g"] == .double(1.5))
        #expect(v["h"] == .int(31))
        #expect(v["i"] == .string("12"))
        #expect(v["j"] == .string(""))
        #expect(v["k"] == .null)
        #expect(v["l"] == .double(1000))
        #expect(v["m"] == .int(0o440))  // as go-yaml v3 reads it: file modes are octal
        #expect(v["n"] == .double(8))
        #expect(v["o"] == .int(5))
    }

    @Test func emitQuotesWhatWouldChange() throws {
        let tree = ComposeValue.mapping(ComposeMapping([
            ("plain", .string("nginx:latest")),
            ("num", .string("8080")),
            ("float", .string("1.5")),
            ("bool", .string("true")),
            ("yes", .string("yes")),
            ("null", .string("null")),
            ("empty", .string("")),
            ("colon", .string("a: b")),
            ("hash", .string("a #b")),
            ("lead", .string(" x")),
            ("star", .string("*x")),
            ("dash", .string("-c")),
            ("multi", .string("line1\nline2\n")),
            ("ctl", .string("a\u{1}b\tc")),
            ("quote", .string("say \"hi\" \\ ok")),
            ("8080", .int(1)),
            ("list", .array([.string("a"), .int(1), .mapping(ComposeMapping([("k", .string("v")), ("k2", .null)])), .array([.bool(false)])])),
            ("emptyList", .array([])),
            ("emptyMap", .mapping(ComposeMapping())),
            ("d", .double(2)),
            ("uni", .string("héllo ✓")),
            ("ip", .string("1.1.1.1")),
            ("sexa", .string("80:80")),
            ("under", .string("1_000")),
            ("date", .string("2024-01-01")),
        ]))
        let text = tree.yaml()
        #expect(text.hasPrefix("plain: nginx:latest\nnum: \"8080\"\n"))
        #expect(text.contains("\nip: 1.1.1.1\nsexa: \"80:80\"\nunder: \"1_000\"\ndate: \"2024-01-01\"\n"))
        let back = try ComposeYAML.parse(text, file: "t")
        #expect(back == tree, "\(text)")
    }

    @Test func projectRoundTrip() throws {
        let t = TempProject()
        t.write("compose.yaml", """
        name: rt
        services:
          web:
            build: {context: ., args: [A=1, B]}
            command: sh -c "echo hi"
            environment: {X: 1, EMPTY: "", NUL: null}
            ports: ["8080:80", "127.0.0.1:53:53/udp", "9000-9001"]
            volumes: ["./d:/d:ro", data:/data, /anon]
            depends_on: [db]
            healthcheck: {test: "curl x", interval: 5s}
            labels: {"com.example": "yes"}
            ulimits: {nofile: 10}
            secrets: [s]
            networks: {front: {aliases: [w]}}
            deploy: {replicas: 1}
          db:
            image: "postgres:16"
            profiles: [db]
        networks: {front: {}}
        volumes: {data: {}}
        secrets: {s: {file: s.txt}}
        """)
        let first = try t.load { $0.profiles = ["db"] }
        t.write("round.yaml", first.model.yaml())
        let second = try t.load(["round.yaml"]) { $0.profiles = ["db"] }
        #expect(second.model == first.model, "\(first.model.yaml())\n---\n\(second.model.yaml())")
    }
}
