import Glibc
import SkiffArchive
import SkiffImage
import SkiffOCI
import Testing

/// Archives move between skiff and the real tools: podman (docker-archive
/// and oci-archive both ways, and runs what skiff saved), skopeo and umoci.
@Suite(.serialized) struct InteropTests {
    let dir = Support.temporaryDirectory("skiff-interop")

    /// podman in a private root under the test directory.
    var podman: [String] {
        ["--root", dir + "/podman/root", "--runroot", dir + "/podman/run", "--storage-driver", "vfs",
         "--cgroup-manager", "cgroupfs", "--events-backend", "none"]
    }

    var podmanEnvironment: [String] {
        // Root here cannot raise RLIMIT_NOFILE to podman's default.
        let conf = dir + "/containers.conf"
        let text = "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n"
        let fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        return ["CONTAINERS_CONF=\(conf)", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"]
    }

    func runPodman(_ args: [String]) -> (Int32, String) {
        Support.run("podman", podman + args, environment: podmanEnvironment)
    }

    func load(_ store: ImageStore, _ path: String) async throws -> ImageStore.LoadResult {
        let fd = Support.openFile(path)
        defer { close(fd) }
        return try await store.load(FileDescriptorSource(fd: fd))
    }

    @Test(.enabled(if: Support.which("podman")), arguments: ["docker-archive", "oci-archive"])
    func podmanSaveLoadsIntoSkiff(format: String) async throws {
        defer { Support.cleanup(dir) }
        var (rc, out) = runPodman(["import", Support.busyboxTar, "localhost/bb:latest"])
        try #require(rc == 0, "podman import: \(out)")
        let podmanID = out.split(separator: "\n").last.map(String.init) ?? ""
        (rc, out) = runPodman(["save", "--format", format, "-o", dir + "/p.tar", "localhost/bb:latest"])
        try #require(rc == 0, "podman save: \(out)")

        let store = try ImageStore(root: dir + "/skiff")
        let result = try await load(store, dir + "/p.tar")
        let image = try await store.resolve(result.tags.first ?? result.untaggedIDs.first?.description ?? "?")
        // The image id is the config digest: the same as podman's.
        #expect(image.id.description == podmanID)
        #expect(Support.fileExists(store.snapshots.layerPath(store.layerKeys(of: image)[0]) + "/bin/busybox"))
        if format == "docker-archive" { #expect(result.tags == ["localhost/bb:latest"]) }
    }

    @Test(.enabled(if: Support.which("podman")))
    func skiffSaveRunsInPodman() async throws {
        defer { Support.cleanup(dir) }
        let store = try ImageStore(root: dir + "/skiff")
        let fd = Support.openFile(Support.busyboxTar)
        let image = try await store.importRootfs(FileDescriptorSource(fd: fd), changes: ["CMD [\"echo\", \"hello from skiff\"]"], tag: "localhost/skiffbb:1")
        close(fd)
        let out = open(dir + "/s.tar", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try await store.save(["localhost/skiffbb:1"], format: .docker, to: FileSink(fd: out))
        close(out)

        var (rc, text) = runPodman(["load", "-i", dir + "/s.tar"])
        try #require(rc == 0, "podman load: \(text)")
        (rc, text) = runPodman(["images", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"])
        #expect(text.contains("\(image.id.encoded) localhost/skiffbb:1") || text.contains("\(image.id.description) localhost/skiffbb:1"), "\(text)")
        (rc, text) = runPodman(["run", "--rm", "--network", "none", "localhost/skiffbb:1"])
        #expect(rc == 0 && text.contains("hello from skiff"), "podman run: \(text)")
    }

    @Test(.enabled(if: Support.which("skopeo") && Support.which("umoci")))
    func skiffOCILayoutPassesSkopeoAndUmoci() async throws {
        defer { Support.cleanup(dir) }
        let store = try ImageStore(root: dir + "/skiff")
        let fd = Support.openFile(Support.busyboxTar)
        let image = try await store.importRootfs(FileDescriptorSource(fd: fd), changes: ["CMD [\"sh\"]"], tag: "example.com/bb:v2")
        close(fd)
        let out = open(dir + "/oci.tar", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try await store.save(["example.com/bb:v2"], format: .oci, to: FileSink(fd: out))
        close(out)

        var (rc, text) = Support.run("skopeo", ["inspect", "oci-archive:\(dir)/oci.tar:v2"])
        #expect(rc == 0, "skopeo inspect: \(text)")
        #expect(text.contains(image.layers[0].blob.digest.description), "\(text)")

        mkdir(dir + "/layout", 0o755)
        (rc, text) = Support.run("tar", ["-C", dir + "/layout", "-xf", dir + "/oci.tar"])
        try #require(rc == 0, "tar: \(text)")
        (rc, text) = Support.run("umoci", ["unpack", "--image", dir + "/layout:v2", dir + "/bundle"])
        #expect(rc == 0, "umoci unpack: \(text)")
        #expect(Support.fileExists(dir + "/bundle/rootfs/bin/busybox"))
        #expect(Support.readText(dir + "/bundle/config.json")?.contains("\"sh\"") == true)
    }
}
