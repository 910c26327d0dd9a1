import Foundation
import Testing
@testable import SkiffCompose

/// The typed model the commands act on, decoded from real files through the loader.
@Suite struct ProjectSpecTests {
    func spec(_ text: String, _ t: TempProject = TempProject()) throws -> ProjectSpec {
        t.write("compose.yaml", text)
        return try ProjectSpec(try t.load())
    }

    func error(_ text: String) -> String? {
        do {
            _ = try spec(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func servicesAreTyped() throws {
        let p = try spec("""
        services:
          web:
            image: nginx
            ports: ["127.0.0.1:8080:80", "9000-9001:9000-9001/udp"]
            volumes: ["data:/data:ro", "./src:/src", "/anon"]
            depends_on:
              db: {condition: service_healthy}
            healthcheck: {test: "curl -f localhost", interval: 1s, retries: 3}
            deploy: {replicas: 2, resources: {limits: {memory: 64m, cpus: "0.5"}}}
            restart: on-failure:3
            ulimits: {nofile: 1024, nproc: {soft: 10, hard: 20}}
            networks:
              back: {aliases: [api], ipv4_address: 10.5.0.9}
          db:
            image: postgres
            networks: [back]
        volumes: {data: {}}
        networks:
          back:
            ipam: {config: [{subnet: 10.5.0.0/24}]}
        """)
        let web = try #require(p.service("web"))
        #expect(web.ports == [
            PortSpec(target: 80, published: "8080", hostIP: "127.0.0.1"),
            PortSpec(target: 9000, published: "9000", proto: "udp"),
            PortSpec(target: 9001, published: "9001", proto: "udp"),
        ])
        #expect(web.volumes.map(\.kind) == [.volume, .bind, .volume])
        #expect(web.volumes[0].source == "data" && web.volumes[0].readOnly)
        #expect(web.volumes[1].source?.hasSuffix("/src") == true && web.volumes[1].source?.hasPrefix("/") == true)
        #expect(web.volumes[2].source == nil && web.volumes[2].target == "/anon")
        #expect(web.dependsOn == [Dependency(service: "db", condition: .healthy)])
        #expect(web.healthcheck?.test == ["CMD-SHELL", "curl -f localhost"])
        #expect(web.replicas == 2 && web.memLimit == "64m" && web.cpus == "0.5")
        #expect(web.restart == "on-failure:3")
        #expect(web.ulimits.map { "\($0.name)=\($0.soft):\($0.hard)" }.sorted() == ["nofile=1024:1024", "nproc=10:20"])
        #expect(web.networks == [NetworkAttachment(key: "back", aliases: ["api"], ipv4Address: "10.5.0.9")])
        #expect(p.networks["back"]?.name == "\(p.name)_back")
        #expect(p.volumes["data"]?.name == "\(p.name)_data")
        #expect(try p.startOrder().map(\.name) == ["db", "web"])
    }

    @Test func unsupportedFieldsAreRefusedByName() {
        #expect(error("services:\n  a:\n    image: x\n    runtime: runc\n")?.contains("services.a.runtime is not supported by skiff compose yet") == true)
        #expect(error("services:\n  a:\n    image: x\n    restart: sometimes\n")?.contains("services.a.restart: invalid restart policy \"sometimes\"") == true)
        #expect(error("services:\n  a:\n    image: x\n    container_name: one\n    deploy: {replicas: 2}\n")?.contains("container name must be unique") == true)
    }

    @Test func swarmOnlyDeployKeysAreWarnedAbout() throws {
        let t = TempProject()
        t.write("compose.yaml", "services:\n  a:\n    image: x\n    deploy:\n      placement: {constraints: [node.role==manager]}\n")
        var warnings: [String] = []
        _ = try ProjectSpec(try t.load(), warn: { warnings.append($0) })
        #expect(warnings == ["services.a.deploy.placement is ignored: it applies to swarm services only"])
    }

    @Test func dependencyCyclesAreRefused() throws {
        let p = try spec("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n")
        #expect(throws: ModelError.self) { try p.startOrder() }
    }
}
