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
        let command = Support.isolated(["podman"] + podman + args, scratch: dir + "/ns")
        return Support.run(command[0], Array(command.dropFirst()), environment: podmanEnvironment)
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

    @Test(.enabled(if: Support.which("dockerd")))
    func dockerSaveLoadsIntoSkiffAndBack() async throws {
        defer { Support.cleanup(dir) }
        let docker = try DockerDaemon(root: dir + "/docker")
        defer { docker.stop() }
        var (rc, out) = docker.run(["import", Support.busyboxTar, "dockerbb:latest"])
        try #require(rc == 0, "docker import: \(out)")
        let dockerID = out.split(separator: "\n").last.map(String.init) ?? ""
        (rc, out) = docker.run(["save", "-o", dir + "/d.tar", "dockerbb:latest"])
        try #require(rc == 0, "docker save: \(out)")

        let store = try ImageStore(root: dir + "/skiff")
        let loaded = try await load(store, dir + "/d.tar")
        #expect(loaded.tags == ["dockerbb:latest"])
        let image = try await store.resolve("dockerbb")
        #expect(image.id.description == dockerID)

        // Back: skiff's save loads into dockerd and runs.
        try await store.tag(image, as: "fromskiff:1")
        let fd = open(dir + "/s.tar", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try await store.save(["fromskiff:1"], format: .docker, to: FileSink(fd: fd))
        close(fd)
        (rc, out) = docker.run(["rmi", "dockerbb:latest"])
        (rc, out) = docker.run(["load", "-i", dir + "/s.tar"])
        #expect(rc == 0 && out.contains("fromskiff:1"), "docker load: \(out)")
        (rc, out) = docker.run(["run", "--rm", "--network", "none", "fromskiff:1", "echo", "hello from skiff in docker"])
        #expect(rc == 0 && out.contains("hello from skiff in docker"), "docker run: \(out)")
    }
}

/// dockerd (Debian's docker.io) in a private root and mount namespace.
struct DockerDaemon {
    let root: String
    let pid: pid_t

    var socket: String { root + "/docker.sock" }

    init(root: String) throws {
        self.root = root
        mkdir(root, 0o755)
        let command = Support.isolated(
            ["dockerd", "--data-root", root + "/data", "--exec-root", root + "/exec", "--pidfile", root + "/pid",
             "-H", "unix://" + root + "/docker.sock", "--bridge", "none", "--iptables=false", "--ip6tables=false",
             "--ip-masq=false", "--userland-proxy=false"],
            scratch: root + "/ns")
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, root + "/log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let rc = posix_spawnp(&pid, command[0], &actions, nil, &argv, environ)
        guard rc == 0 else { throw ImageError(.io, "spawn dockerd: \(rc)") }
        self.pid = pid
        for _ in 0..<200 {
            if Support.run("docker", ["-H", "unix://" + root + "/docker.sock", "version"]).0 == 0 { return }
            usleep(100_000)
        }
        stop()
        throw ImageError(.io, "dockerd did not start: \(Support.readText(root + "/log") ?? "")")
    }

    func run(_ args: [String]) -> (Int32, String) {
        Support.run("docker", ["-H", "unix://" + socket] + args)
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<100 {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(100_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }
}
