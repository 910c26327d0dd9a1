import Glibc
import SkiffArchive
@testable import SkiffBuilder
import SkiffEngine
import SkiffImage
import SkiffSystem
import Synchronization
import Testing

/// Builds through a real engine (root; containers with no network): steps, the cache and
/// what a failure leaves behind.
@Suite(.serialized) struct BuilderTests {
    let scratch = Scratch("engine")

    func makeEngine() async throws -> Engine {
        let engine = try Engine(dataRoot: scratch.path + "/data", runRoot: scratch.path + "/run", firewall: false,
                                cgroupParent: scratch.cgroupParent)
        await engine.recover()
        let tar = scratch.path + "/busybox.tar"
        let status = await withCheckedContinuation { continuation in
            detachThread {
                continuation.resume(returning: Subprocess.run(["/bin/sh", "-c", "scripts/make-busybox-image.sh \(tar) >/dev/null"], input: nil).status)
            }
        }
        #expect(status == 0)
        let fd = open(tar, O_RDONLY)
        defer { close(fd) }
        _ = try await engine.images.importRootfs(FileDescriptorSource(fd: fd), changes: ["CMD [\"sh\"]"], tag: "busybox:latest")
        return engine
    }

    func cleanup(_ engine: Engine) async {
        for c in await engine.list() { try? await engine.remove(c.id, force: true, volumes: true) }
        for entry in MountTable.current().entries.reversed() where entry.mountPoint.hasPrefix(scratch.path + "/") {
            umount2(entry.mountPoint, Int32(MNT_DETACH))
        }
        scratch.remove()
    }

    /// Runs a build of `context`, returning the image (or the error) and the events.
    func build(_ engine: Engine, _ context: Scratch, configure: (inout BuildRequest) -> Void = { _ in }) async -> (Result<ImageRecord, BuildError>, [BuildEvent]) {
        var request = BuildRequest(contextDirectory: context.path)
        request.networkMode = "none"
        configure(&request)
        let events = Mutex<[BuildEvent]>([])
        let builder = Builder(engine: engine, request: request) { event in events.withLock { $0.append(event) } }
        do {
            let image = try await builder.build()
            return (.success(image), events.withLock { $0 })
        } catch {
            return (.failure(error), events.withLock { $0 })
        }
    }

    func output(_ events: [BuildEvent]) -> String {
        events.compactMap { if case .output(let bytes) = $0 { String(decoding: bytes, as: UTF8.self) } else { nil } }.joined()
    }

    func cacheHits(_ events: [BuildEvent]) -> Int { events.filter { $0 == .usingCache }.count }

    @Test func stepsCacheAndInvalidation() async throws {
        let engine = try await makeEngine()
        let context = Scratch("ctx")
        defer { context.remove() }
        context.write("Dockerfile", """
            FROM busybox
            ARG WHO=world
            ENV GREETING=hello
            WORKDIR /app
            COPY src/ ./
            RUN echo "$GREETING $WHO" > /greeting && cat /app/a.txt
            CMD ["cat", "/greeting"]
            """)
        context.write("src/a.txt", "from-a\n")
        context.write(".dockerignore", "src/ignored*\n")
        context.write("src/ignored.log", "one")

        let (first, events) = await build(engine, context) { $0.tags = ["built:one"] }
        let image = try first.get()
        #expect(output(events) == "from-a\n")
        #expect(cacheHits(events) == 0)
        let config = try await engine.images.config(of: image).config
        #expect(config?.cmd == ["cat", "/greeting"])
        #expect(config?.workingDir == "/app")
        #expect(config?.env?.contains("GREETING=hello") == true)
        #expect(config?.env?.contains { $0.hasPrefix("WHO=") } == false)  // ARGs stay out of the image
        #expect(try await engine.images.resolve("built:one").id == image.id)

        // Same context: every step from the cache, the same image.
        let (again, cachedEvents) = await build(engine, context)
        #expect(try again.get().id == image.id)
        #expect(cacheHits(cachedEvents) == 6)

        // An ignored file changes: still all cached. A copied file changes: COPY and what follows run.
        context.write("src/ignored.log", "two")
        #expect(cacheHits(await build(engine, context).1) == 6)
        context.write("src/a.txt", "changed\n")
        let (changed, changedEvents) = await build(engine, context)
        #expect(try changed.get().id != image.id)
        #expect(cacheHits(changedEvents) == 3)
        #expect(output(changedEvents) == "changed\n")

        // A different build argument: the steps up to the RUN that sees it come from the cache
        // (ARG, ENV, WORKDIR, COPY), the RUN and the CMD after it do not.
        let (argued, arguedEvents) = await build(engine, context) { $0.buildArguments = ["WHO": "you"] }
        #expect(cacheHits(arguedEvents) == 4)
        let container = try await engine.create(name: nil, config: {
            var c = ContainerConfiguration(image: try! argued.get().id.description)
            c.networkMode = "none"
            return c
        }())
        #expect(Scratch(path: engine.rootfsPath(container.id)).read("greeting") == "hello you\n")
        try await engine.remove(container.id, force: true, volumes: true)

        // --no-cache runs everything again.
        #expect(cacheHits(await build(engine, context) { $0.noCache = true }.1) == 0)
        await cleanup(engine)
    }

    @Test func cacheSurvivesARestart() async throws {
        let engine = try await makeEngine()
        let context = Scratch("ctx")
        defer { context.remove() }
        context.write("Dockerfile", "FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n")
        context.write("a.txt", "a\n")
        let first = try await build(engine, context).0.get()

        // A new engine on the same root (the daemon restarted): the same steps come from the cache.
        let again = try Engine(dataRoot: scratch.path + "/data", runRoot: scratch.path + "/run", firewall: false,
                                cgroupParent: scratch.cgroupParent)
        await again.recover()
        let (second, events) = await build(again, context)
        #expect(try second.get().id == first.id)
        #expect(cacheHits(events) == 2)
        await cleanup(again)
    }

    @Test func failingRunLeavesNothing() async throws {
        let engine = try await makeEngine()
        let context = Scratch("ctx")
        defer { context.remove() }
        context.write("Dockerfile", "FROM busybox\nRUN echo before; exit 3\n")
        let (result, events) = await build(engine, context)
        guard case .failure(let error) = result else {
            Issue.record("the build succeeded")
            return
        }
        #expect(error.exitCode == 3)
        #expect(error.message == "The command '/bin/sh -c echo before; exit 3' returned a non-zero code: 3")
        #expect(output(events) == "before\n")
        #expect(await engine.list().isEmpty)
        #expect(!MountTable.current().entries.contains { $0.mountPoint.hasPrefix(scratch.path + "/data/containers") })
        await cleanup(engine)
    }

    @Test func onlyTheStagesTheTargetNeeds() async throws {
        let engine = try await makeEngine()
        let context = Scratch("ctx")
        defer { context.remove() }
        context.write("Dockerfile", """
            FROM busybox AS one
            RUN echo one > /one
            FROM busybox AS broken
            RUN exit 9
            FROM busybox AS two
            RUN echo two > /two
            FROM scratch AS final
            COPY --from=one /one /
            COPY --from=two /two /
            FROM busybox AS after
            RUN exit 4
            """)
        let (result, events) = await build(engine, context) { $0.target = "final" }
        let image = try result.get()
        #expect(events.filter { if case .step = $0 { true } else { false } }.count == 7)  // one (2 steps), two (2), final (3)
        #expect(image.layers.count == 2)
        await cleanup(engine)
    }
}

extension Scratch {
    init(path: String) {
        self.path = path
    }
}
