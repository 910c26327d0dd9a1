import Glibc
import SkiffArchive
import SkiffImage
import SkiffOCI
import SkiffSnapshot
import Testing

@Suite(.serialized) struct ImageStoreTests {
    let dir = Support.temporaryDirectory()

    func store() throws -> ImageStore {
        try ImageStore(root: dir + "/data")
    }

    func importBusybox(_ store: ImageStore, tag: String = "busybox:latest", changes: [String] = ["CMD [\"sh\"]"]) async throws -> ImageRecord {
        let fd = Support.openFile(Support.busyboxTar)
        defer { close(fd) }
        return try await store.importRootfs(FileDescriptorSource(fd: fd), changes: changes, tag: tag)
    }

    @Test func importMakesAnImageWithItsConfig() async throws {
        defer { Support.cleanup(dir) }
        let store = try store()
        let image = try await importBusybox(store, changes: ["CMD [\"sh\"]", "ENV A=1 B=\"two words\"", "WORKDIR /srv", "EXPOSE 80", "USER 1000"])
        #expect(image.tags == ["docker.io/library/busybox:latest"])
        #expect(image.layers.count == 1)
        let config = try await store.config(of: image)
        #expect(config.config?.cmd == ["sh"])
        #expect(config.config?.env == ["A=1", "B=two words"])
        #expect(config.config?.workingDir == "/srv")
        #expect(config.config?.exposedPorts?.keys.sorted() == ["80/tcp"])
        #expect(config.config?.user == "1000")
        #expect(config.rootfs.diffIDs == [image.layers[0].diffID])
        // Found by every name docker accepts.
        for name in ["busybox", "busybox:latest", "docker.io/library/busybox:latest", image.id.description, image.id.encoded, String(image.id.encoded.prefix(12))] {
            #expect(try await store.resolve(name).id == image.id, "\(name)")
        }
        // The layer is unpacked once, in overlay-lower form.
        let layer = store.snapshots.layerPath(store.layerKeys(of: image)[0])
        #expect(Support.fileExists(layer + "/bin/busybox"))
        #expect(Support.fileExists(layer + "/etc/passwd"))
    }

    @Test func badChangeIsRejected() async throws {
        defer { Support.cleanup(dir) }
        let store = try store()
        await #expect(throws: ImageError.self) { try await importBusybox(store, changes: ["RUN rm -rf /"]) }
        #expect(try await store.list().isEmpty)
    }

    @Test func containerRootIsAnOverlayOverTheLayers() async throws {
        defer { Support.cleanup(dir) }
        let store = try store()
        let image = try await importBusybox(store)
        let active = try store.snapshots.prepare(key: "c1", layers: store.layerKeys(of: image))
        let target = dir + "/rootfs"
        mkdir(target, 0o755)
        try store.snapshots.mount(active, at: target)
        defer { try? OverlayMount.unmount(target) }
        #expect(Support.fileExists(target + "/bin/busybox"))
        // Writes go to the container's upper layer only.
        let (rc, _) = Support.run("/bin/sh", ["-c", "echo hi > \(target)/etc/hello && rm \(target)/etc/group"])
        #expect(rc == 0)
        #expect(Support.readText(active.upper + "/etc/hello") == "hi\n")
        #expect(!Support.fileExists(store.snapshots.layerPath(store.layerKeys(of: image)[0]) + "/etc/hello"))
        #expect(Support.fileExists(store.snapshots.layerPath(store.layerKeys(of: image)[0]) + "/etc/group"))
        try OverlayMount.unmount(target)
        store.snapshots.remove(key: "c1")
        #expect(!Support.fileExists(active.upper))
    }

    @Test(arguments: [ImageStore.ArchiveFormat.docker, .oci])
    func saveThenLoadIsTheSameImage(format: ImageStore.ArchiveFormat) async throws {
        defer { Support.cleanup(dir) }
        let store = try store()
        let image = try await importBusybox(store, tag: "example.com/team/bb:1.0")
        let archive = dir + "/out.tar"
        let fd = open(archive, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try await store.save(["example.com/team/bb:1.0"], format: format, to: FileSink(fd: fd))
        close(fd)

        let other = try ImageStore(root: dir + "/other")
        let rfd = Support.openFile(archive)
        defer { close(rfd) }
        let result = try await other.load(FileDescriptorSource(fd: rfd))
        #expect(result.tags == ["example.com/team/bb:1.0"])
        let loaded = try await other.resolve("example.com/team/bb:1.0")
        #expect(loaded.id == image.id)
        #expect(loaded.layers.map(\.diffID) == image.layers.map(\.diffID))
        #expect(Support.fileExists(other.snapshots.layerPath(other.layerKeys(of: loaded)[0]) + "/bin/busybox"))
        // The recorded manifest is stored, sized, and consistent in its media types.
        #expect(loaded.manifest.size == other.content.size(loaded.manifest.digest))
        let manifest = try await other.manifest(of: loaded)
        if format == .docker {
            #expect(manifest.mediaType == MediaType.dockerManifest)
            #expect(manifest.layers.allSatisfy { $0.mediaType.hasPrefix("application/vnd.docker.image.rootfs.diff.tar") })
        } else {
            #expect(manifest.layers.allSatisfy { $0.mediaType.hasPrefix("application/vnd.oci.image.layer.v1.tar") })
        }
    }

    @Test func loadingTwiceKeepsOneCopy() async throws {
        defer { Support.cleanup(dir) }
        let store = try store()
        _ = try await importBusybox(store)
        let archive = dir + "/out.tar"
        let fd = open(archive, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try await store.save(["busybox"], format: .docker, to: FileSink(fd: fd))
        close(fd)
        for _ in 0..<2 {
            let rfd = Support.openFile(archive)
            _ = try await store.load(FileDescriptorSource(fd: rfd))
            close(rfd)
        }
        #expect(try await store.list().count == 1)
        #expect(store.snapshots.layers().count == 1)
    }

    @Test func emptyLayersLoad() async throws {
        defer { Support.cleanup(dir) }
        // A docker-save archive whose second layer is an empty tar (1024 zero bytes).
        let work = dir + "/e"
        let script = """
            set -e; mkdir -p \(work) && cd \(work)
            cp \(Support.busyboxTar) a.tar && head -c 1024 /dev/zero > b.tar
            ha=$(sha256sum a.tar | cut -c1-64); hb=$(sha256sum b.tar | cut -c1-64)
            printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' $ha $hb > config.json
            printf '[{"Config":"config.json","RepoTags":["empty:layer"],"Layers":["a.tar","b.tar"]}]' > manifest.json
            tar -cf \(dir)/e.tar manifest.json config.json a.tar b.tar
            """
        let (rc, out) = Support.run("/bin/sh", ["-c", script])
        try #require(rc == 0, "\(out)")
        let store = try store()
        let fd = Support.openFile(dir + "/e.tar")
        defer { close(fd) }
        let result = try await store.load(FileDescriptorSource(fd: fd))
        #expect(result.tags == ["empty:layer"])
        let image = try await store.resolve("empty:layer")
        #expect(image.layers.count == 2 && image.layers[1].size == 1024)
        let target = dir + "/root"
        mkdir(target, 0o755)
        try await store.prepareRootfs(for: image, key: "e", at: target)
        defer { store.removeRootfs(key: "e", at: target) }
        #expect(Support.fileExists(target + "/bin/busybox"))
    }

    @Test func tagUntagAndDelete() async throws {
        defer { Support.cleanup(dir) }
        let store = try store()
        let image = try await importBusybox(store)
        try await store.tag(image, as: "mine:v1")
        #expect(try await store.resolve("mine:v1").tags.sorted() == ["docker.io/library/busybox:latest", "docker.io/library/mine:v1"])
        // By id with two names: refused without force.
        await #expect(throws: ImageError.self) { try await store.remove(image.id.encoded, force: false) }
        // By name: untag only.
        let r1 = try await store.remove("mine:v1", force: false)
        #expect(r1.untagged == ["mine:v1"] && r1.deleted.isEmpty)
        // In use by a container: refused.
        await #expect(throws: ImageError.self) { try await store.remove(image.id.encoded, force: false, inUse: [image.id]) }
        // Last name: untag and delete, blobs and layers collected.
        let r2 = try await store.remove("busybox", force: false)
        #expect(r2.untagged == ["busybox:latest"] && r2.deleted == [image.id])
        #expect(try await store.list().isEmpty)
        #expect(store.content.digests().isEmpty)
        #expect(store.snapshots.layers().isEmpty)
        await #expect(throws: ImageError.self) { try await store.resolve("busybox") }
    }

    @Test func historyAndPrune() async throws {
        defer { Support.cleanup(dir) }
        let store = try store()
        let image = try await importBusybox(store)
        let history = try await store.history(image)
        #expect(history.count == 1 && history[0].id == image.id && history[0].size == image.layers[0].size)
        #expect(history[0].comment == "Imported from -")
        // A newer import takes the name: the old image dangles, prune removes it.
        _ = try await importBusybox(store, changes: ["CMD [\"true\"]"])
        #expect(try await store.list().count == 2)
        let pruned = try await store.prune(all: false, inUse: [])
        #expect(pruned.deleted == [image.id])
        #expect(try await store.list().count == 1)
    }

    @Test func corruptOrHostileArchivesLeaveTheStoreAsItWas() async throws {
        defer { Support.cleanup(dir) }
        let store = try store()
        _ = try await importBusybox(store)
        let good = dir + "/good.tar"
        let fd = open(good, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try await store.save(["busybox"], format: .docker, to: FileSink(fd: fd))
        close(fd)
        let other = try ImageStore(root: dir + "/other")
        let before = Support.listing(dir + "/other")
        let work = dir + "/bad"
        mkdir(work, 0o755)
        let cases: [(String, String)] = [
            ("truncated", "head -c 100000 \(good) > \(work)/a.tar"),
            ("no manifest", "mkdir -p \(work)/x && tar -C \(work)/x -xf \(good) && rm \(work)/x/manifest.json \(work)/x/index.json && tar -C \(work)/x -cf \(work)/a.tar ."),
            ("wrong diff id", "rm -rf \(work)/x && mkdir -p \(work)/x && tar -C \(work)/x -xf \(good) && cd \(work)/x && c=$(python3 -c 'import json;print(json.load(open(\"manifest.json\"))[0][\"Config\"])') && python3 -c 'import json,sys;p=sys.argv[1];c=json.load(open(p));c[\"rootfs\"][\"diff_ids\"]=[\"sha256:\"+\"0\"*64];open(p+\".new\",\"w\").write(json.dumps(c))' $c && h=$(sha256sum $c.new | cut -c1-64) && mv $c.new blobs/sha256/$h && rm $c && python3 -c 'import json,sys;m=json.load(open(\"manifest.json\"));m[0][\"Config\"]=\"blobs/sha256/\"+sys.argv[1];open(\"manifest.json\",\"w\").write(json.dumps(m))' $h && rm index.json && tar -cf \(work)/a.tar ."),
            ("blob digest mismatch", "rm -rf \(work)/x && mkdir -p \(work)/x && tar -C \(work)/x -xf \(good) && cd \(work)/x && f=$(ls blobs/sha256 | head -1) && echo tampered >> blobs/sha256/$f && tar -cf \(work)/a.tar ."),
            ("hostile layer", "rm -rf \(work)/x \(work)/h && mkdir -p \(work)/x \(work)/h && python3 -c 'import tarfile,io;t=tarfile.open(\"\(work)/h/layer.tar\",\"w\");i=tarfile.TarInfo(\"../../../../tmp/skiff-pwned\");d=b\"x\";i.size=1;t.addfile(i,io.BytesIO(d));t.close()' && cd \(work)/h && h=$(sha256sum layer.tar | cut -c1-64) && printf '{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:%s\"]}}' $h > config.json && printf '[{\"Config\":\"config.json\",\"RepoTags\":[\"evil:latest\"],\"Layers\":[\"layer.tar\"]}]' > manifest.json && tar -cf \(work)/a.tar manifest.json config.json layer.tar"),
            ("not a tar", "head -c 4096 /dev/urandom > \(work)/a.tar"),
        ]
        for (name, script) in cases {
            let (rc, out) = Support.run("/bin/sh", ["-c", script])
            #expect(rc == 0, "\(name): \(out)")
            let bad = Support.openFile(work + "/a.tar")
            let error = await #expect(throws: ImageError.self, "\(name)") { try await other.load(FileDescriptorSource(fd: bad)) }
            close(bad)
            #expect(error?.message.isEmpty == false)
            #expect(try await other.list().isEmpty, "\(name)")
            #expect(Support.listing(dir + "/other") == before, "\(name): store changed")
        }
        #expect(!Support.fileExists("/tmp/skiff-pwned"))
    }
}

@Suite(.serialized) struct LayerTests {
    let dir = Support.temporaryDirectory("skiff-layers")

    /// A tar with one file, made by tar(1).
    func layerTar(_ name: String, content: String) -> String {
        let tree = dir + "/tree-\(name)"
        let (rc, out) = Support.run("/bin/sh", ["-c", "mkdir -p \(tree)/layers && echo '\(content)' > '\(tree)/layers/\(name)' && tar -C \(tree) -cf \(tree).tar layers"])
        precondition(rc == 0, out)
        return tree + ".tar"
    }

    @Test func manyLayersMountPastTheOptionLengthLimit() async throws {
        defer { Support.cleanup(dir) }
        let store = try ImageStore(root: dir + "/data")
        var layers: [LayerRecord] = []
        // 120 layers: their paths alone are far longer than a page of mount options.
        for i in 0..<120 {
            let fd = Support.openFile(layerTar("l\(i)", content: "\(i)"))
            layers.append(try await store.addLayer(FileDescriptorSource(fd: fd), parent: layers.last?.chainID))
            close(fd)
        }
        let config = ImageConfig(architecture: "amd64", os: "linux", rootfs: .init(diffIDs: layers.map(\.diffID)))
        let image = try await store.add(config: config, layers: layers, tags: ["many:layers"])
        let target = dir + "/root"
        mkdir(target, 0o755)
        try await store.prepareRootfs(for: image, key: "many", at: target)
        defer { store.removeRootfs(key: "many", at: target) }
        #expect(Support.readText(target + "/layers/l0") == "0\n")
        #expect(Support.readText(target + "/layers/l119") == "119\n")
    }

    @Test(arguments: [false, true])
    func upperBecomesALayerWithWhiteouts(copy: Bool) async throws {
        defer { Support.cleanup(dir) }
        let store = try ImageStore(root: dir + "/data")
        let fd = Support.openFile(Support.busyboxTar)
        let base = try await store.importRootfs(FileDescriptorSource(fd: fd), tag: "base")
        close(fd)
        let target = dir + "/root"
        mkdir(target, 0o755)
        try await store.prepareRootfs(for: base, key: "c", at: target, copy: copy)
        let (rc, out) = Support.run("/bin/sh", ["-c", "cd \(target) && echo new > etc/new && rm etc/group && rm -rf home && mkdir home && echo x > home/only"])
        #expect(rc == 0, "\(out)")
        store.removeRootfs(key: "c", at: target)
        guard !copy else { return }  // a copy has no upper layer to diff

        // Commit the overlay's upper layer as a new layer and image.
        let active = try store.snapshots.prepare(key: "c2", layers: store.layerKeys(of: base))
        try store.snapshots.mount(active, at: target)
        _ = Support.run("/bin/sh", ["-c", "cd \(target) && echo new > etc/new && rm etc/group && rm -rf home && mkdir home && echo x > home/only"])
        try OverlayMount.unmount(target)
        let layer = try await store.addLayer(fromDirectory: active.upper, source: .overlayUpper, parent: base.layers[0].chainID)
        store.snapshots.remove(key: "c2")
        let tarList = Support.run("/bin/sh", ["-c", "gzip -dc \(store.content.path(layer.blob.digest)) | tar -t | sort"]).1
        #expect(tarList.contains("etc/.wh.group"), "\(tarList)")
        #expect(tarList.contains("home/.wh..wh..opq"), "\(tarList)")
        #expect(tarList.contains("etc/new"))

        var config = try await store.config(of: base)
        config.rootfs.diffIDs.append(layer.diffID)
        let child = try await store.add(config: config, layers: base.layers + [layer], tags: ["child"], parent: base.id)
        try await store.prepareRootfs(for: child, key: "c3", at: target)
        defer { store.removeRootfs(key: "c3", at: target) }
        #expect(Support.readText(target + "/etc/new") == "new\n")
        #expect(!Support.fileExists(target + "/etc/group"))
        #expect(Support.run("/bin/sh", ["-c", "ls \(target)/home"]).1 == "only\n")
        // The copy fallback, applying the same layers with whiteouts, agrees.
        let copyTarget = dir + "/copy"
        mkdir(copyTarget, 0o755)
        try await store.prepareRootfs(for: child, key: "c4", at: copyTarget, copy: true)
        defer { store.removeRootfs(key: "c4", at: copyTarget) }
        #expect(Support.run("diff", ["-r", "--no-dereference", target, copyTarget]).0 == 0)
    }
}
