import Foundation
import Testing
@testable import SkiffCompose

@Suite struct NormalizeTests {
    func load(_ services: String, top: String = "", env: [String: String] = [:], files: [String: String] = [:],
              all: Bool = false) throws -> (ComposeValue, TempProject) {
        let t = TempProject()
        for (k, v) in files { t.write(k, v) }
        t.write("compose.yaml", "name: proj\nservices:\n" + services + "\n" + top)
        return (try t.load(env: env) { $0.keepUnusedResources = all }.model, t)
    }

    func map(_ pairs: [(String, ComposeValue)]) -> ComposeValue { .mapping(ComposeMapping(pairs)) }

    @Test func topLevelOrderAndSortedKeys() throws {
        let (m, _) = try load("  zed:\n    image: a\n    restart: always\n  alpha:\n    image: b\n", top: "x-foo: 1\nvolumes: {v: {}}\nnetworks: {n: {}}\n", all: true)
        #expect(m.mapping?.keys == ["name", "services", "networks", "volumes"])
        #expect(m["services"]?.mapping?.keys == ["alpha", "zed"])
        #expect(m.at("services.zed")?.mapping?.keys == ["image", "networks", "restart"])
        #expect(m["name"] == .string("proj"))
    }

    @Test func build() throws {
        let (m, t) = try load("""
          a:
            build: ./app
          b:
            build:
              context: ctx
              dockerfile: Other.Dockerfile
              args: [X=1, FROM_ENV, UNSET]
              labels: [l=1]
          c:
            build:
              dockerfile: D
              args: {N: 5}
        """, env: ["FROM_ENV": "e"])
        #expect(m.at("services.a.build") == map([("context", .string(t.dir + "/app")), ("dockerfile", .string("Dockerfile"))]))
        #expect(m.at("services.b.build.context") == .string(t.dir + "/ctx"))
        #expect(m.at("services.b.build.dockerfile") == .string("Other.Dockerfile"))
        #expect(m.at("services.b.build.args") == map([("FROM_ENV", .string("e")), ("UNSET", .null), ("X", .string("1"))]))
        #expect(m.at("services.b.build.labels") == map([("l", .string("1"))]))
        #expect(m.at("services.c.build.context") == .string(t.dir))
        #expect(m.at("services.c.build.args") == map([("N", .string("5"))]))
    }

    @Test func commandAndEntrypoint() throws {
        let (m, _) = try load("""
          a:
            image: x
            command: sh -c 'echo "a b"' "c\\"d" e\\ f
            entrypoint: ["/bin/x", "1"]
        """)
        #expect(m.at("services.a.command") == .array(["sh", "-c", "echo \"a b\"", "c\"d", "e f"].map(ComposeValue.string)))
        #expect(m.at("services.a.entrypoint") == .array([.string("/bin/x"), .string("1")]))
    }

    @Test func environmentAndEnvFile() throws {
        let (m, _) = try load("""
          a:
            image: x
            env_file: [a.env, {path: missing.env, required: false}]
            environment:
              N: 1
              B: true
              SET:
              UNSET:
              OVER: env
          b:
            image: x
            environment: [A=1, SET, "Q=x=y"]
        """, env: ["SET": "s"], files: ["a.env": "OVER=file\nONLY=file\n"])
        #expect(m.at("services.a.environment") == map([
            ("B", .string("true")), ("N", .string("1")), ("ONLY", .string("file")), ("OVER", .string("env")),
            ("SET", .string("s")), ("UNSET", .null),
        ]))
        #expect(m.at("services.a.env_file") == nil)
        #expect(m.at("services.b.environment") == map([("A", .string("1")), ("Q", .string("x=y")), ("SET", .string("s"))]))
        let t = TempProject()
        t.write("compose.yaml", "services:\n  a:\n    image: x\n    env_file: nope.env\n")
        #expect(t.error()?.contains("nope.env") == true)
    }

    @Test func labelsSysctlsExtraHosts() throws {
        let (m, _) = try load("""
          a:
            image: x
            labels: [a=1, b]
            sysctls: {net.core.somaxconn: 1024}
            extra_hosts: ["h1:1.2.3.4", "h2=5.6.7.8", "h3:::1"]
          b:
            image: x
            extra_hosts: {h: 1.1.1.1}
        """)
        #expect(m.at("services.a.labels") == map([("a", .string("1")), ("b", .string(""))]))
        #expect(m.at("services.a.sysctls") == map([("net.core.somaxconn", .string("1024"))]))
        #expect(m.at("services.a.extra_hosts") == map([("h1", .string("1.2.3.4")), ("h2", .string("5.6.7.8")), ("h3", .string("::1"))]))
        #expect(m.at("services.b.extra_hosts") == map([("h", .string("1.1.1.1"))]))
    }

    @Test func ports() throws {
        let (m, _) = try load("""
          a:
            image: x
            ports:
              - 80
              - "8080:80"
              - "127.0.0.1:53:53/udp"
              - "[::1]:9000:9000"
              - "3000-3001:4000-4001"
              - "8000-8010:80"
              - "7000-7001"
              - target: "81"
                published: 8081
                host_ip: 0.0.0.0
                mode: host
        """)
        func p(_ target: Int, _ published: String?, _ ip: String? = nil, _ proto: String = "tcp", mode: String = "ingress") -> ComposeValue {
            var e: [(String, ComposeValue)] = [("mode", .string(mode))]
            if let ip { e.append(("host_ip", .string(ip))) }
            e.append(("target", .int(target)))
            if let published { e.append(("published", .string(published))) }
            e.append(("protocol", .string(proto)))
            return map(e)
        }
        #expect(m.at("services.a.ports") == .array([
            p(80, nil), p(80, "8080"), p(53, "53", "127.0.0.1", "udp"), p(9000, "9000", "::1"),
            p(4000, "3000"), p(4001, "3001"), p(80, "8000-8010"), p(7000, nil), p(7001, nil),
            p(81, "8081", "0.0.0.0", mode: "host"),
        ]))
    }

    @Test func exposeAndStringLists() throws {
        let (m, _) = try load("""
          a:
            image: x
            expose: [80, "90"]
            tmpfs: /run
            dns: 1.1.1.1
            dns_search: example.com
            cap_add: [NET_ADMIN]
            cap_drop: [ALL]
            security_opt: ["label:disable"]
            group_add: [100]
            devices: ["/dev/fuse:/dev/fuse"]
        """)
        #expect(m.at("services.a.expose") == .array([.string("80"), .string("90")]))
        #expect(m.at("services.a.tmpfs") == .array([.string("/run")]))
        #expect(m.at("services.a.dns") == .array([.string("1.1.1.1")]))
        #expect(m.at("services.a.dns_search") == .array([.string("example.com")]))
        #expect(m.at("services.a.cap_drop") == .array([.string("ALL")]))
        #expect(m.at("services.a.security_opt") == .array([.string("label:disable")]))
        #expect(m.at("services.a.group_add") == .array([.string("100")]))
    }

    @Test func volumes() throws {
        let (m, t) = try load("""
          a:
            image: x
            volumes:
              - ./src:/src:ro,z
              - /abs:/abs:rw,rshared
              - ~/h:/h
              - data:/data:nocopy
              - /anon
              - type: bind
                source: ./b
                target: /b
                read_only: true
              - type: tmpfs
                target: /t
                tmpfs: {size: 1000}
        """, top: "volumes:\n  data:\n", env: ["HOME": "/home/me"])
        #expect(m.at("services.a.volumes") == .array([
            map([("type", .string("bind")), ("source", .string(t.dir + "/src")), ("target", .string("/src")), ("read_only", .bool(true)),
                 ("bind", map([("create_host_path", .bool(true)), ("selinux", .string("z"))]))]),
            map([("type", .string("bind")), ("source", .string("/abs")), ("target", .string("/abs")),
                 ("bind", map([("create_host_path", .bool(true)), ("propagation", .string("rshared"))]))]),
            map([("type", .string("bind")), ("source", .string("/home/me/h")), ("target", .string("/h")),
                 ("bind", map([("create_host_path", .bool(true))]))]),
            map([("type", .string("volume")), ("source", .string("data")), ("target", .string("/data")),
                 ("volume", map([("nocopy", .bool(true))]))]),
            map([("type", .string("volume")), ("target", .string("/anon")), ("volume", map([]))]),
            // Long syntax: create_host_path only implied inside a `bind:` mapping.
            map([("type", .string("bind")), ("source", .string(t.dir + "/b")), ("target", .string("/b")), ("read_only", .bool(true))]),
            map([("type", .string("tmpfs")), ("target", .string("/t")), ("tmpfs", map([("size", .int(1000))]))]),
        ]))
        #expect(m.at("volumes.data") == map([("name", .string("proj_data"))]))
    }

    @Test func networksAndDependsOn() throws {
        let (m, _) = try load("""
          a:
            image: x
            networks: [front]
            depends_on: [b]
          b:
            image: x
            networks:
              back: {aliases: [bee], ipv4_address: 10.0.0.2}
            depends_on:
              c: {condition: service_healthy, restart: true}
          c:
            image: x
          d:
            image: x
            network_mode: host
        """, top: "networks:\n  front:\n  back: {external: true}\n  named: {name: custom}\n")
        #expect(m.at("services.a.networks") == map([("front", .null)]))
        #expect(m.at("services.b.networks.back.aliases") == .array([.string("bee")]))
        #expect(m.at("services.c.networks") == map([("default", .null)]))
        #expect(m.at("services.d.networks") == nil)
        #expect(m.at("services.d.depends_on") == nil)
        #expect(m.at("services.a.depends_on") == map([("b", map([("condition", .string("service_started")), ("required", .bool(true))]))]))
        #expect(m.at("services.b.depends_on.c") == map([("condition", .string("service_healthy")), ("required", .bool(true)), ("restart", .bool(true))]))
        // Sorted by key, as docker compose prints its maps.
        #expect(m.at("networks") == map([
            ("back", map([("external", .bool(true)), ("name", .string("back"))])),
            ("default", map([("name", .string("proj_default"))])),
            ("front", map([("name", .string("proj_front"))])),
        ]))
        // `named` is used by no service: dropped, unless asked to keep everything (--all).
        let (all, _) = try load("  a:\n    image: x\n", top: "networks:\n  named: {name: custom}\nvolumes:\n  v:\n", all: true)
        #expect(all.at("networks.named") == map([("name", .string("custom"))]))
        #expect(all.at("volumes.v") == map([("name", .string("proj_v"))]))
    }

    @Test func healthcheckUlimitsSecretsConfigs() throws {
        let (m, t) = try load("""
          a:
            image: x
            healthcheck:
              test: curl -f http://localhost
              interval: 30s
            ulimits:
              nofile: 1024
              nproc: {soft: 10, hard: 20}
            secrets: [s, {source: s2, target: other}]
            configs: [c]
            deploy: {replicas: 2, resources: {limits: {cpus: "0.5"}}}
            logging: {driver: json-file, options: {max-size: 1m}}
          b:
            image: x
            healthcheck: {test: [NONE]}
        """, top: "secrets:\n  s: {file: ./s.txt}\n  s2: {environment: TOKEN}\nconfigs:\n  c: {content: hello}\n")
        #expect(m.at("services.a.healthcheck.test") == .array([.string("CMD-SHELL"), .string("curl -f http://localhost")]))
        #expect(m.at("services.a.healthcheck.interval") == .string("30s"))
        #expect(m.at("services.b.healthcheck.test") == .array([.string("NONE")]))
        #expect(m.at("services.a.ulimits.nofile") == map([("soft", .int(1024)), ("hard", .int(1024))]))
        #expect(m.at("services.a.ulimits.nproc") == map([("soft", .int(10)), ("hard", .int(20))]))
        #expect(m.at("services.a.secrets") == .array([
            map([("source", .string("s")), ("target", .string("/run/secrets/s"))]),
            map([("source", .string("s2")), ("target", .string("other"))]),
        ]))
        #expect(m.at("services.a.configs") == .array([map([("source", .string("c")), ("target", .string("/c"))])]))
        #expect(m.at("services.a.deploy.resources.limits.cpus") == .double(0.5))
        #expect(m.at("services.a.logging.options.max-size") == .string("1m"))
        #expect(m.at("secrets.s.file") == .string(t.dir + "/s.txt"))
        #expect(m.at("secrets.s2.environment") == .string("TOKEN"))
        #expect(m.at("configs.c.content") == .string("hello"))
    }

    @Test func undefinedReferences() {
        let t = TempProject()
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    networks: [front]\n")
        #expect(t.error() == "service \"web\" refers to undefined network front: invalid compose project")
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    volumes: [data:/data]\n")
        #expect(t.error() == "service \"web\" refers to undefined volume data: invalid compose project")
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    depends_on: [db]\n")
        #expect(t.error() == "service \"web\" depends on undefined service \"db\": invalid compose project")
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    depends_on: {db: {condition: service_started, required: false}}\n")
        #expect(t.error() == nil)
        t.write("compose.yaml", "services:\n  web:\n    build: .\n    network_mode: service:db\n")
        #expect(t.error() == "service \"db\" not found for network_mode 'service:db'")
        t.write("compose.yaml", "services:\n  web:\n    volumes: [/a]\n")
        #expect(t.error() == "service \"web\" has neither an image nor a build context specified: invalid compose project")
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    network_mode: host\n    networks: [x]\nnetworks:\n  x: {}\n")
        #expect(t.error()?.contains("mutually exclusive") == true)
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    healthcheck: {test: [curl]}\n")
        #expect(t.error() == "healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"")
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    volumes: [/x, \"./y:/x/\"]\n")
        #expect(t.error() == "services.web.volumes[1]: target /x already mounted as services.web.volumes[0]")
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    secrets: [tok]\nsecrets:\n  tok: {name: x}\n")
        #expect(t.error() == "secret \"tok\" must declare either `file` or `environment`: invalid compose project")
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    volumes: [{type: bind, target: /x}]\n")
        #expect(t.error() == "services.web.volumes[0]: invalid mount config for type \"bind\": field Source must not be empty")
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    secrets: [tok]\n")
        #expect(t.error() == "service \"web\" refers to undefined secret tok: invalid compose project")
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    configs: [cfg]\n")
        #expect(t.error() == "service \"web\" refers to undefined config cfg: invalid compose project")
        t.write("compose.yaml", "services:\n  web:\n    image: a\n    container_name: web1\n    scale: 2\n")
        #expect(t.error() == "services.web: can't set container_name and scale as container name must be unique: invalid compose project")
    }

    @Test func projectNames() throws {
        let t = TempProject()
        t.write("My App!/compose.yaml", "services:\n  web:\n    image: a\n")
        t.write("___/compose.yaml", "services:\n  web:\n    image: a\n")
        t.write("named/compose.yaml", "name: FromFile\nservices:\n  web:\n    image: a\n")
        #expect(try t.load(["My App!/compose.yaml"]).name == "myapp")
        #expect(try t.load(["named/compose.yaml"]).name == "fromfile")
        #expect(try t.load(["named/compose.yaml"], env: ["COMPOSE_PROJECT_NAME": "env"]).name == "env")
        #expect(try t.load(["named/compose.yaml"], env: ["COMPOSE_PROJECT_NAME": "env"]) { $0.projectName = "Flag" }.name == "flag")
        #expect(try t.load(["named/compose.yaml"]).model["name"] == .string("fromfile"))
        #expect(t.error(["___/compose.yaml"])?.contains("invalid project name") == true)
        #expect(t.error(["named/compose.yaml"]) { $0.projectName = "!!!" } == "project name must not be empty")
        var o = t.options(["named/compose.yaml"])
        o.projectDirectory = "My App!"
        o.projectName = nil
        #expect(try ComposeLoader.load(o).workingDirectory == t.dir + "/My App!")
    }
}

@Suite struct ImplicitDependencyTests {
    @Test func linksNamespacesVolumesFrom() throws {
        let t = TempProject()
        t.write("compose.yaml", """
        services:
          app:
            image: a
            links: ["db:database"]
            network_mode: service:net
            volumes_from: [store, "container:other"]
            pull_policy: if_not_present
          db: {image: d}
          net: {image: n}
          store: {image: s}
        secrets:
          s: {file: ./x, name: given}
        configs:
          c: {content: x}
          e: {environment: CFG}
        """)
        let m = try t.load(env: ["CFG": "from env"]) { $0.keepUnusedResources = true }.model
        #expect(try t.load(env: ["CFG": "x"]).model["configs"] == nil)
        #expect(m.at("configs.e.content") == .string("from env"))
        let deps = m.at("services.app.depends_on")?.mapping
        #expect(deps?.keys == ["db", "net", "store"])
        #expect(deps?["db"]?["restart"] == .bool(true))
        #expect(deps?["store"]?["restart"] == .bool(false))
        #expect(m.at("services.app.pull_policy") == .string("missing"))
        #expect(m.at("secrets.s.name") == .string("given"))
        #expect(m.at("configs.c.name") == .string(p(t)))
    }

    func p(_ t: TempProject) -> String {
        (t.dir as NSString).lastPathComponent.lowercased() + "_c"
    }
}

@Suite struct LabelFileTests {
    @Test func labelFileUnderLabels() throws {
        let t = TempProject()
        t.write("l.txt", "a=file\nb=file\n")
        t.write("compose.yaml", "services:\n  web:\n    image: x\n    label_file: ./l.txt\n    labels: {b: own}\n    build: {context: ., secrets: [nope]}\n")
        #expect(t.error() == "service \"web\" refers to undefined build secret nope: invalid compose project")
        t.write("compose.yaml", "services:\n  web:\n    image: x\n    label_file: ./l.txt\n    labels: {b: own}\n")
        let m = try t.load().model
        #expect(m.at("services.web.labels") == .mapping(ComposeMapping([("a", .string("file")), ("b", .string("own"))])))
        #expect(m.at("services.web.label_file") == nil)
    }
}
