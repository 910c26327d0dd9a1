import SkiffEngine
import SkiffOCI
import Testing

@testable import SkiffAPI

/// `-v`, `--mount` and `--volumes-from` as dockerd parses them (moby's
/// linux parser): what each becomes, and its wording for what it refuses.
@Suite struct MountTranslationTests {
    func bind(_ raw: String, driver: String? = nil) throws -> MountRequest {
        try MountTranslation.bind(raw, volumeDriver: driver)
    }

    func message(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? APIError)?.message ?? "\(error)"
        }
    }

    @Test func bindsAndNamedVolumes() throws {
        var r = try bind("/host/dir:/data")
        #expect(r.kind == .bind && r.source == "/host/dir" && r.destination == "/data")
        #expect(!r.readOnly && r.mode == "" && r.propagation == nil && r.createSource && r.bindSpec == "/host/dir:/data")

        r = try bind("/host/./dir/:/a/../data/:ro,rshared")
        #expect(r.source == "/host/dir" && r.destination == "/data" && r.readOnly && r.mode == "ro,rshared" && r.propagation == "rshared")

        r = try bind("cache:/var/cache:nocopy", driver: "local")
        #expect(r.kind == .volume && r.source == "cache" && r.noCopy && r.volumeDriver == "local" && !r.readOnly)

        r = try bind("/only/a/target")
        #expect(r.kind == .volume && r.source == "" && r.destination == "/only/a/target")

        r = try bind("data:/d:z")
        #expect(r.mode == "z" && !r.readOnly)
    }

    @Test(arguments: [
        ("", "invalid volume specification: ''"),
        (":/x", "invalid volume specification: ':/x'"),
        ("/data:rw", "invalid volume specification: '/data:rw'"),
        ("a:b:c:d", "invalid volume specification: 'a:b:c:d'"),
        ("vol:/x:bogus", "invalid mode: bogus"),
        ("vol:/x:ro,rw", "invalid mode: ro,rw"),
        ("vol:/x:z,Z", "invalid mode: z,Z"),
        ("vol:relative", "invalid volume specification: 'vol:relative': invalid mount config for type \"volume\": invalid mount path: 'relative' mount path must be absolute"),
        ("/tmp:/", "invalid volume specification: '/tmp:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'"),
        ("/tmp:/a/..", "invalid volume specification: '/tmp:/a/..': invalid mount config for type \"bind\": invalid specification: destination can't be '/'"),
        ("vol:/x:shared", "invalid volume specification: 'vol:/x:shared': invalid mount config for type \"volume\": field BindOptions must not be specified"),
    ])
    func badBinds(raw: String, expected: String) {
        #expect(message { try bind(raw) } == expected)
    }

    @Test func mounts() throws {
        var m = Mount(target: "/x", source: "/tmp", type: "bind")
        m.bindOptions = .init(propagation: "rslave", nonRecursive: true)
        m.readOnly = true
        var r = try MountTranslation.mount(m)
        #expect(r.kind == .bind && r.propagation == "rslave" && r.nonRecursive && r.readOnly && !r.createSource && r.bindSpec == nil)

        m = Mount(target: "/v", source: "named", type: "volume")
        m.volumeOptions = .init(noCopy: true, labels: ["a": "b"], driverConfig: .init(name: "local", options: ["type": "tmpfs", "device": "tmpfs"]))
        r = try MountTranslation.mount(m)
        #expect(r.kind == .volume && r.noCopy && r.volumeLabels == ["a": "b"] && r.volumeOptions["type"] == "tmpfs")

        m = Mount(target: "/t", type: "tmpfs")
        m.tmpfsOptions = .init(sizeBytes: 64 << 20, mode: 0o1777, options: [["exec"]])
        r = try MountTranslation.mount(m)
        #expect(r.kind == .tmpfs && r.tmpfsSize == 64 << 20 && r.tmpfsMode == 0o1777 && r.tmpfsFlags == ["exec"])
    }

    @Test func badMounts() {
        func text(_ m: Mount) -> String? { message { try MountTranslation.mount(m) } }
        #expect(text(Mount(source: "/tmp", type: "bind")) == "invalid mount config for type \"bind\": field Target must not be empty")
        #expect(text(Mount(target: "/x", type: "bind")) == "invalid mount config for type \"bind\": field Source must not be empty")
        #expect(text(Mount(target: "/x", source: "rel", type: "bind")) == "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute")
        #expect(text(Mount(target: "x", source: "/tmp", type: "bind")) == "invalid mount config for type \"bind\": invalid mount path: 'x' mount path must be absolute")
        #expect(text(Mount(target: "/", type: "volume")) == "invalid mount config for type \"volume\": invalid specification: destination can't be '/'")
        #expect(text(Mount(target: "/x", source: "/a", type: "tmpfs")) == "invalid mount config for type \"tmpfs\": field Source must not be specified")
        #expect(text(Mount(target: "/x", type: "nfs")) == "invalid mount config for type \"nfs\": mount type unknown")
        var m = Mount(target: "/x", source: "/tmp", type: "bind")
        m.bindOptions = .init(propagation: "sideways")
        #expect(text(m) == "invalid mount config for type \"bind\": invalid propagation mode: sideways")
        m = Mount(target: "/x", source: "v", type: "volume")
        m.bindOptions = .init(propagation: "shared")
        #expect(text(m) == "invalid mount config for type \"volume\": field BindOptions must not be specified")
        m = Mount(target: "/x", type: "tmpfs")
        m.tmpfsOptions = .init(options: [["suid"]])
        #expect(text(m) == "invalid mount config for type \"tmpfs\": invalid option: suid")
    }

    @Test func volumesFrom() throws {
        #expect(try MountTranslation.volumesFrom("data") == VolumesFromRequest(container: "data", mode: "", readOnly: false))
        #expect(try MountTranslation.volumesFrom("data:ro") == VolumesFromRequest(container: "data", mode: "ro", readOnly: true))
        #expect(try MountTranslation.volumesFrom("data:ro").text == "data:ro")
        #expect(message { try MountTranslation.volumesFrom("") } == "volumes-from specification cannot be an empty string")
        #expect(message { try MountTranslation.volumesFrom("data:rshared") } == "invalid mode: rshared")
        #expect(message { try MountTranslation.volumesFrom("data:nocopy") } == "invalid mode: nocopy")
    }

    @Test func requestRoundTrip() throws {
        var host = HostConfig()
        host.binds = ["/tmp:/b:ro", "named:/n"]
        var tmpfs = Mount(target: "/t", type: "tmpfs")
        tmpfs.tmpfsOptions = .init(sizeBytes: 1 << 20)
        host.mounts = [tmpfs]
        host.volumesFrom = ["other:ro"]
        var container = ContainerConfig()
        container.image = "busybox"
        container.volumes = ["/data": .init()]
        let config = try ContainerTranslation.configuration(ContainerCreateRequest(config: container, hostConfig: host))
        #expect(config.mounts.map(\.destination) == ["/b", "/n", "/t"])
        #expect(config.volumes == ["/data"])
        #expect(MountTranslation.binds(config) == ["/tmp:/b:ro", "named:/n"])
        #expect(MountTranslation.mounts(config) == [tmpfs])
        container.volumes = ["relative": .init()]
        #expect(message { try ContainerTranslation.configuration(ContainerCreateRequest(config: container, hostConfig: host)) }
            == "invalid volume specification: 'relative': invalid mount path: 'relative' mount path must be absolute")
    }
}
