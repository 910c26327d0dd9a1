import FoundationEssentials
import Glibc
import SkiffArchive
import SkiffEngine
import SkiffSystem
import SkiffVolume
import Testing

/// Volumes through the engine: resolution at create in dockerd's order and
/// with its errors, copy-up, `rm -v`, in-use protection, the spec's mount
/// order, and driver mounts that live exactly as long as a running user.
@Suite(.serialized) struct VolumeEngineTests {
    let dir: String

    init() throws {
        var template = Array("/tmp/skiff-engine-vol-XXXXXX".utf8CString)
        dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    func makeEngine() async throws -> Engine {
        // No bridge, no firewall: these containers run with --network none (nothing on the host's network).
        let engine = try Engine(dataRoot: dir + "/data", runRoot: dir + "/run", firewall: false,
                                cgroupParent: EngineSupport.cgroupParent(dir))
        await engine.recover()
        let tar = dir + "/busybox.tar"
        #expect(await EngineSupport.runOffPool("/bin/sh", ["-c", "scripts/make-busybox-image.sh \(tar) >/dev/null"]) == 0)
        let fd = open(tar, O_RDONLY)
        defer { close(fd) }
        _ = try await engine.images.importRootfs(FileDescriptorSource(fd: fd), changes: [], tag: "busybox:latest")
        return engine
    }

    func cleanup(_ engine: Engine) async {
        for c in await engine.list() { try? await engine.remove(c.id, force: true, volumes: true) }
        for entry in MountTable.current().entries.reversed() where entry.mountPoint.hasPrefix(dir + "/") {
            umount2(entry.mountPoint, Int32(MNT_DETACH))
        }
        await EngineSupport.removeCgroups(named: EngineSupport.cgroupParent(dir))
        await EngineSupport.runOffPool("/bin/rm", ["-rf", dir])
    }

    func request(_ kind: MountRequest.Kind, _ source: String, _ destination: String, bind: Bool = true) -> MountRequest {
        var r = MountRequest(kind: kind, source: source, destination: destination)
        if bind { r.bindSpec = source.isEmpty ? destination : "\(source):\(destination)" }
        r.createSource = kind == .bind && bind
        return r
    }

    func message(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch {
            return (error as? EngineError)?.message ?? "\(error)"
        }
    }

    @Test func resolutionOrderDuplicatesAndRemoval() async throws {
        let engine = try await makeEngine()
        _ = try await engine.createVolume(name: "shared", driver: nil, labels: [:], options: [:])
        var config = ContainerConfiguration(image: "busybox")
        config.networkMode = "none"
        config.cmd = ["true"]
        config.mounts = [request(.bind, dir + "/hostdir", "/a/b"), request(.volume, "shared", "/a")]
        var tmpfs = MountRequest(kind: .tmpfs, source: "", destination: "/t")
        tmpfs.tmpfsSize = 1 << 20
        tmpfs.tmpfsMode = 0o700
        config.mounts.append(tmpfs)
        config.volumes = ["/data", "/a"]
        let first = try await engine.create(name: "first", config: config)
        #expect(first.mounts.map(\.destination) == ["/a/b", "/a", "/t", "/data"])
        #expect(first.mounts[0].kind == .bind && first.mounts[0].propagation == "rprivate" && first.mounts[0].mode == "")
        #expect(first.mounts[1].name == "shared" && first.mounts[1].mode == "z" && !first.mounts[1].anonymous)
        #expect(first.mounts[2].tmpfsOptions == ["mode=700", "size=1m"])
        let anonymous = try #require(first.mounts[3].name)
        #expect(first.mounts[3].anonymous && first.mounts[3].mode == "" && anonymous.count == 64)
        #expect(try await engine.volume(anonymous).labels == [VolumeRules.anonymousLabel: ""])

        // Duplicates, a missing --mount source, an unknown container: refused, nothing made.
        var dup = ContainerConfiguration(image: "busybox")
        dup.networkMode = "none"
        dup.cmd = ["true"]
        dup.mounts = [request(.volume, "fresh", "/x"), request(.volume, "other", "/x")]
        #expect(await message { _ = try await engine.create(name: nil, config: dup) } == "Duplicate mount point: /x")
        dup.mounts = [request(.bind, "/tmp", "/t")]
        dup.tmpfs = ["/t": ""]
        #expect(await message { _ = try await engine.create(name: nil, config: dup) } == "Duplicate mount point: /t")
        dup.tmpfs = [:]
        dup.mounts = [request(.volume, "fresh", "/x"), request(.bind, dir + "/missing", "/y", bind: false)]
        #expect(await message { _ = try await engine.create(name: nil, config: dup) }
            == "invalid mount config for type \"bind\": bind source path does not exist: \(dir)/missing")
        dup.mounts = []
        dup.volumesFrom = [VolumesFromRequest(container: "nope", mode: "", readOnly: false)]
        #expect(await message { _ = try await engine.create(name: nil, config: dup) } == "No such container: nope")
        #expect(try await engine.listVolumes().map(\.volume.name).sorted() == [anonymous, "shared"].sorted())

        // --volumes-from, read-only: the same volumes, no copy-up.
        var second = ContainerConfiguration(image: "busybox")
        second.networkMode = "none"
        second.cmd = ["true"]
        second.volumesFrom = [VolumesFromRequest(container: "first", mode: "ro", readOnly: true)]
        let from = try await engine.create(name: "second", config: second)
        #expect(from.mounts.map(\.destination) == first.mounts.map(\.destination))
        #expect(from.mounts.allSatisfy { !$0.readWrite && !$0.copyUp })
        #expect(await engine.containers(usingVolume: "shared") == [first.id, from.id].sorted())
        #expect(await message { try await engine.removeVolume("shared", force: true) }
            == "remove shared: volume is in use - [\([first.id, from.id].sorted().joined(separator: ", "))]")

        // rm -v: anonymous volumes go once nothing uses them; named ones stay.
        try await engine.remove("second", force: false, volumes: true)
        #expect(try await engine.volume(anonymous).name == anonymous)
        try await engine.remove("first", force: false, volumes: true)
        #expect(await message { _ = try await engine.volume(anonymous) } == "get \(anonymous): no such volume")
        #expect(try await engine.volume("shared").name == "shared")
        try await engine.removeVolume("shared", force: false)
        try await engine.removeVolume("shared", force: true)
        #expect(await message { try await engine.removeVolume("shared", force: false) } == "get shared: no such volume")
        await cleanup(engine)
    }

    @Test func copyUpSpecOrderAndDriverMounts() async throws {
        let engine = try await makeEngine()
        _ = try await engine.createVolume(name: "scratch", driver: "local", labels: [:],
                                          options: ["type": "tmpfs", "device": "tmpfs", "o": "size=1m"])
        var config = ContainerConfiguration(image: "busybox")
        config.networkMode = "none"
        config.cmd = ["sh", "-c", "grep -q root /etc/passwd && test -f /etc/extra/marker && echo ok > /scratch/f && sleep 30"]
        try Directories.make(dir + "/extra")
        close(open(dir + "/extra/marker", O_WRONLY | O_CREAT, 0o644))
        config.mounts = [request(.bind, dir + "/extra", "/etc/extra"), request(.volume, "etcvol", "/etc"), request(.volume, "scratch", "/scratch")]
        let c = try await engine.create(name: "user", config: config)
        // Copy-up at create: the image's /etc, with its owner and mode.
        let etc = try await engine.volume("etcvol")
        #expect(Directories.exists(etc.mountpoint + "/passwd"))
        var st = stat()
        #expect(stat(etc.mountpoint, &st) == 0 && st.st_mode & 0o777 == 0o755 && st.st_uid == 0)
        let scratch = try await engine.volume("scratch")
        #expect(!MountTable.current().isMountPoint(scratch.mountpoint))

        try await engine.start(c.id)
        #expect(MountTable.current().isMountPoint(scratch.mountpoint))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/data/containers/\(c.id)/config.json"))
        let spec = try JSONDecoder().decode(SpecMounts.self, from: bytes)
        let order = spec.mounts.map(\.destination)
        let etcIndex = try #require(order.firstIndex(of: "/etc"))
        #expect(order.firstIndex(of: "/etc/extra")! > etcIndex && order.firstIndex(of: "/etc/hosts")! > etcIndex)
        #expect(spec.mounts.first { $0.destination == "/etc/extra" }?.options == ["rbind", "rprivate"])

        // Stopped: the tmpfs comes off (its content was the container's to use).
        try await engine.stop(c.id, timeout: 1)
        #expect(!MountTable.current().isMountPoint(scratch.mountpoint))
        await cleanup(engine)
    }
}

/// The part of config.json these tests read.
struct SpecMounts: Decodable {
    struct Mount: Decodable {
        var destination: String
        var options: [String]?
    }
    var mounts: [Mount]
}
