import FoundationEssentials
import Glibc
import SkiffArchive
import SkiffImage
import SkiffOCI
import SkiffRuntime
import SkiffSystem
import Synchronization
import Testing

/// From an imported image to a running container: the image's root as an
/// overlay, its config as the process, skiff's runtime running it.
@Suite(.serialized) struct RunImageTests {
    let dir = Support.temporaryDirectory("skiff-run-image")

    @Test func importedImageRunsWithItsConfig() async throws {
        defer { Support.cleanup(dir) }
        let store = try ImageStore(root: dir + "/data")
        let fd = Support.openFile(Support.busyboxTar)
        let image = try await store.importRootfs(
            FileDescriptorSource(fd: fd),
            changes: ["ENV GREETING=hello", "WORKDIR /srv", "CMD [\"sh\", \"-c\", \"echo $GREETING from $(pwd) > /out\"]"], tag: "runme")
        close(fd)
        let config = try await store.config(of: image)

        let bundle = dir + "/bundle"
        mkdir(bundle, 0o755)
        mkdir(bundle + "/rootfs", 0o755)
        try await store.prepareRootfs(for: image, key: "run1", at: bundle + "/rootfs")
        defer { store.removeRootfs(key: "run1", at: bundle + "/rootfs") }

        var spec = RuntimeSpec.makeDefault(args: config.config?.cmd ?? [], terminal: false)
        spec.process?.env = config.config?.env
        spec.process?.cwd = config.config?.workingDir ?? "/"
        spec.root = .init(path: "rootfs", readonly: false)
        spec.linux?.cgroupsPath = "skiff-image-test/\(getpid())"
        let json = Array(try JSONEncoder().encode(spec))
        let cfd = open(bundle + "/config.json", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = json.withUnsafeBytes { write(cfd, $0.baseAddress, $0.count) }
        close(cfd)

        let runtime = Runtime(root: dir + "/state")
        // A blocking wait for the container: on a thread of its own, not the cooperative pool.
        let status = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            detachThread { continuation.resume(with: Result { try runtime.run(id: "img-run", options: .init(bundle: bundle), detach: false) }) }
        }
        #expect(status == 0)
        #expect(Support.readText(bundle + "/rootfs/out") == "hello from /srv\n")
        // The write landed in the container's layer, not the image's.
        #expect(Support.readText(store.snapshots.active(key: "run1", layers: []).upper + "/out") == "hello from /srv\n")

        // Regressions, from a process whose threads come and go: the clone child
        // hung in glibc's setresuid wrapper (it waits for every thread glibc knows
        // of, and the child has none of them: now raw system calls); the waiting
        // runtime missed its child's exit when SIGCHLD went to another thread (now
        // also a pidfd), or blocked reading a signal another thread had taken
        // (now a non-blocking signalfd).
        let churning = Churn()
        detachThread { churning.run() }
        defer { churning.stop() }
        for i in 0..<15 {
            let done = Eventually<Int32>()
            detachThread { done.set((try? runtime.run(id: "img-run-\(i)", options: .init(bundle: bundle), detach: false)) ?? -1) }
            let status = done.wait(seconds: 30)
            #expect(status == 0, "run \(i) did not finish")
            if status == nil { break }
        }
    }
}

/// Threads started and ended all the time (as a busy test process has them).
final class Churn: Sendable {
    private let running = Mutex(true)
    func run() {
        while running.withLock({ $0 }) {
            var thread = pthread_t()
            pthread_create(&thread, nil, { _ in usleep(200); return nil }, nil)
            pthread_join(thread, nil)
        }
    }
    func stop() { running.withLock { $0 = false } }
}

/// A value from another thread, waited for with a deadline.
final class Eventually<T: Sendable>: Sendable {
    private let value = Mutex<T?>(nil)
    func set(_ v: T) { value.withLock { $0 = v } }
    func wait(seconds: Int) -> T? {
        for _ in 0..<(seconds * 100) {
            if let v = value.withLock({ $0 }) { return v }
            usleep(10_000)
        }
        return nil
    }
}
