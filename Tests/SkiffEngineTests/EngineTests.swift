import Glibc
import SkiffArchive
import SkiffEngine
import SkiffMonitor
import SkiffSystem
import Testing

/// The engine end to end: real monitors, real containers from a busybox image.
@Suite(.serialized) struct EngineTests {
    let dir: String

    init() throws {
        var template = Array("/tmp/skiff-engine-XXXXXX".utf8CString)
        dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    func makeEngine() async throws -> Engine {
        // No bridge, no firewall: these containers run with --network none.
        let engine = try Engine(dataRoot: dir + "/data", runRoot: dir + "/run", firewall: false,
                                cgroupParent: EngineSupport.cgroupParent(dir))
        await engine.recover()
        return engine
    }

    func importBusybox(_ engine: Engine) async throws {
        let tar = dir + "/busybox.tar"
        #expect(await EngineSupport.runOffPool("/bin/sh", ["-c", "scripts/make-busybox-image.sh \(tar) >/dev/null"]) == 0)
        let fd = open(tar, O_RDONLY)
        defer { close(fd) }
        _ = try await engine.images.importRootfs(FileDescriptorSource(fd: fd), changes: [], tag: "busybox:latest")
    }

    func cleanup(_ engine: Engine) async {
        for c in await engine.list() { try? await engine.remove(c.id, force: true, volumes: true) }
        await EngineSupport.removeCgroups(named: EngineSupport.cgroupParent(dir))
        await EngineSupport.runOffPool("/bin/rm", ["-rf", dir])
    }

    @Test func runsWaitsAndLogs() async throws {
        let engine = try await makeEngine()
        try await importBusybox(engine)
        var config = ContainerConfiguration(image: "busybox")
        config.networkMode = "none"
        config.cmd = ["sh", "-c", "echo out; echo err >&2; exit 3"]
        let c = try await engine.create(name: "first", config: config)
        try await engine.start(c.id)
        let state = try await engine.wait(c.id, condition: .notRunning)
        #expect(state.exitCode == 3)
        #expect(state.status == .exited)
        var lines: [String] = []
        for await entry in try await engine.logs("first", options: LogOptions()) {
            lines.append("\(entry.stream):" + String(decoding: entry.line, as: UTF8.self))
        }
        #expect(lines.sorted() == ["1:out\n", "2:err\n"])
        // Stop is not delete: the writable layer stays until rm.
        try await engine.remove("first", force: false, volumes: false)
        await #expect(throws: EngineError.self) { try await engine.container("first") }
        await cleanup(engine)
    }

    @Test func stopEscalatesToKillAndRestartPolicyCounts() async throws {
        let engine = try await makeEngine()
        try await importBusybox(engine)
        var config = ContainerConfiguration(image: "busybox")
        config.networkMode = "none"
        config.cmd = ["sleep", "100"]
        let c = try await engine.create(name: nil, config: config)
        try await engine.start(c.id)
        #expect(try await engine.container(c.id).state.status == .running)
        try await engine.stop(c.id, timeout: 1)
        let stopped = try await engine.container(c.id).state
        #expect(stopped.status == .exited)
        #expect(stopped.exitCode == 137)

        var failing = ContainerConfiguration(image: "busybox")

        failing.networkMode = "none"
        failing.cmd = ["sh", "-c", "exit 2"]
        failing.restartPolicy = RestartPolicy(name: .onFailure, maximumRetryCount: 2)
        let f = try await engine.create(name: "flaky", config: failing)
        try await engine.start(f.id)
        var state = try await engine.wait(f.id, condition: .notRunning)
        for _ in 0..<50 where state.status != .exited {
            try await Task.sleep(nanoseconds: 100_000_000)
            state = try await engine.container(f.id).state
        }
        #expect(state.status == .exited)
        #expect(state.restartCount == 2)
        #expect(state.exitCode == 2)
        await cleanup(engine)
    }

    @Test func containersOutliveTheEngine() async throws {
        var engine: Engine? = try await makeEngine()
        try await importBusybox(engine!)
        var config = ContainerConfiguration(image: "busybox")
        config.networkMode = "none"
        config.cmd = ["sh", "-c", "echo started; sleep 1; echo finished"]
        let c = try await engine!.create(name: "survivor", config: config)
        try await engine!.start(c.id)
        engine = nil
        // A new engine over the same roots follows the same container.
        let again = try await makeEngine()
        let state = try await again.wait("survivor", condition: .notRunning)
        #expect(state.exitCode == 0)
        var text = ""
        for await entry in try await again.logs("survivor", options: LogOptions()) { text += String(decoding: entry.line, as: UTF8.self) }
        #expect(text == "started\nfinished\n")
        await cleanup(again)
    }
}

enum EngineSupport {
    /// The cgroup parent of a test's engine on `dir`: its own, removed by `removeCgroups`.
    static func cgroupParent(_ dir: String) -> String {
        "skiff-test-" + (dir.split(separator: "/").last.map(String.init) ?? "engine")
    }

    /// Every (empty) cgroup directory called `name`, in any hierarchy, with its children.
    static func removeCgroups(named name: String) async {
        await runOffPool("/bin/sh", ["-c", "find /sys/fs/cgroup -maxdepth 6 -type d -name '\(name)' -exec find {} -depth -type d -delete \\; 2>/dev/null; true"])
    }

    /// `run` on a thread of its own: a blocking wait on the cooperative pool
    /// (two threads here) would stall every other suite running in parallel.
    @discardableResult
    static func runOffPool(_ path: String, _ args: [String]) async -> Int32 {
        await withCheckedContinuation { continuation in
            detachThread { continuation.resume(returning: run(path, args)) }
        }
    }

    @discardableResult
    static func run(_ path: String, _ args: [String]) -> Int32 {
        var pid: pid_t = 0
        let argv = [path] + args
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        guard posix_spawn(&pid, path, nil, nil, &cArgs, environ) == 0 else { return -1 }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return (status >> 8) & 0xff
    }
}
