import Glibc
import SkiffArchive
import SkiffImage
import SkiffOCI
import Testing

/// `--change` instructions (HEALTHCHECK and dockerd's wording) and `ImageStore.commit`.
@Suite(.serialized) struct CommitTests {
    func applied(_ changes: [String]) throws(ImageError) -> ImageConfig.Config {
        var config = ImageConfig.Config()
        try ImageChanges.apply(changes, to: &config)
        return config
    }

    @Test func healthcheckForms() throws {
        #expect(try applied(["HEALTHCHECK --interval=5s --timeout=1m30s --start-period=250ms --start-interval=1.5s --retries=3 CMD curl -f x"]).healthcheck
            == ImageConfig.Healthcheck(test: ["CMD-SHELL", "curl -f x"], interval: 5_000_000_000, timeout: 90_000_000_000,
                                       startPeriod: 250_000_000, startInterval: 1_500_000_000, retries: 3))
        #expect(try applied([#"HEALTHCHECK CMD ["/bin/check", "--fast"]"#]).healthcheck == ImageConfig.Healthcheck(test: ["CMD", "/bin/check", "--fast"]))
        #expect(try applied(["healthcheck none"]).healthcheck == ImageConfig.Healthcheck(test: ["NONE"]))
    }

    @Test(arguments: [
        ("RUN true", "run is not a valid change command"),
        ("From busybox", "from is not a valid change command"),
        ("HEALTHCHECK NONE now", "HEALTHCHECK NONE takes no arguments"),
        ("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"),
        ("HEALTHCHECK EXEC x", "Unknown type \"EXEC\" in HEALTHCHECK (try CMD)"),
        ("HEALTHCHECK --interval=100us CMD x", "Interval \"interval\" cannot be less than 1ms"),
        ("HEALTHCHECK --interval=5 CMD x", "time: missing unit in duration \"5\""),
        ("HEALTHCHECK --interval=5y CMD x", "time: unknown unit \"y\" in duration \"5y\""),
        ("HEALTHCHECK --retries=-1 CMD x", "--retries cannot be negative (-1)"),
        ("HEALTHCHECK --bogus=1 CMD x", "Unknown flag: bogus"),
        ("HEALTHCHECK --timeout CMD x", "Missing a value on flag: timeout"),
    ])
    func changeErrors(change: String, message: String) {
        let error = #expect(throws: ImageError.self) { try applied([change]) }
        #expect(error?.message == message)
        #expect(error?.kind == .invalid)
    }

    @Test func commitAddsALayerAndAHistoryEntry() async throws {
        let dir = Support.temporaryDirectory()
        defer { Support.cleanup(dir) }
        let store = try ImageStore(root: dir + "/data")
        let fd = Support.openFile(Support.busyboxTar)
        defer { close(fd) }
        let parent = try await store.importRootfs(FileDescriptorSource(fd: fd), changes: ["CMD [\"sh\"]"], tag: "busybox")

        // No changes: the same layers, an empty-layer history entry, the parent recorded.
        let settings = ImageConfig.Config(env: ["A=1"], cmd: ["true"])
        let empty = try await store.commit(ImageStore.Commit(config: settings, comment: "nothing", createdBy: "sh -c true"), parent: parent, layer: nil)
        let emptyConfig = try await store.config(of: empty)
        #expect(empty.layers == parent.layers && empty.parent == parent.id && empty.tags.isEmpty)
        #expect(emptyConfig.history?.last == ImageConfig.History(created: emptyConfig.created, createdBy: "sh -c true", comment: "nothing", emptyLayer: true))
        #expect(emptyConfig.config == settings && emptyConfig.author == nil)

        // A layer from an upper directory, tagged.
        let upper = dir + "/upper"
        mkdir(upper, 0o755)
        let file = open(upper + "/added", O_WRONLY | O_CREAT, 0o644)
        _ = write(file, "new\n", 4)
        close(file)
        let layer = try await store.addLayer(fromDirectory: upper, source: .overlayUpper, parent: parent.layers.last?.chainID)
        let child = try await store.commit(
            ImageStore.Commit(config: settings, author: "Ann", comment: "added", createdBy: "sh", tag: "child:v1"), parent: parent, layer: layer)
        let childConfig = try await store.config(of: child)
        #expect(child.layers.count == parent.layers.count + 1 && child.tags == ["docker.io/library/child:v1"])
        #expect(childConfig.rootfs.diffIDs.last == layer.diffID && childConfig.author == "Ann")
        #expect(childConfig.history?.last?.emptyLayer == nil && childConfig.history?.last?.author == "Ann")
        #expect((try await store.history(child)).first?.comment == "added")
    }
}
