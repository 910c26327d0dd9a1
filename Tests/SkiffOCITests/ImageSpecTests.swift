import FoundationEssentials
import SkiffOCI
import Testing

private func json(_ text: String) -> Data { Data(text.utf8) }

/// Encodes with sorted keys and readable slashes, as text.
private func text<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Decodes, encodes, decodes again: the two values must be equal.
private func roundTrip<T: ImageSpecDocument & Equatable>(_ value: T) throws -> T {
    let back = try T.decode(try value.encoded())
    #expect(back == value)
    return back
}

private let sha = (
    config: "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7",
    layer0: "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0",
    a: "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"
)

@Suite struct ManifestDecodingTests {
    @Test func ociManifestExample() throws {
        let manifest = try Manifest.decode(json(Examples.ociManifest))
        #expect(manifest.schemaVersion == 2)
        #expect(manifest.mediaType == MediaType.ociManifest)
        #expect(manifest.config.mediaType == MediaType.ociConfig)
        #expect(manifest.config.digest.description == sha.config)
        #expect(manifest.config.size == 7023)
        #expect(manifest.layers.count == 3)
        #expect(manifest.layers.map(\.size) == [32654, 16724, 73109])
        #expect(manifest.layers[0].digest.description == sha.layer0)
        #expect(manifest.subject?.size == 7682)
        #expect(manifest.annotations == ["com.example.key1": "value1", "com.example.key2": "value2"])
        #expect(manifest.artifactType == nil)
        #expect(manifest.validationErrors().isEmpty)
        _ = try roundTrip(manifest)
    }

    @Test func emptyDescriptorExample() throws {
        let descriptor = try Descriptor.decode(json(Examples.emptyDescriptor))
        #expect(descriptor == Descriptor.empty)
        #expect(descriptor.data == Data("{}".utf8))
        #expect(try text(descriptor).contains(#""data":"e30=""#))
        _ = try roundTrip(descriptor)
    }

    @Test(arguments: [Examples.minimalArtifact, Examples.artifactWithConfig])
    func artifactExamples(_ example: String) throws {
        let manifest = try Manifest.decode(json(example))
        #expect(manifest.artifactType == "application/vnd.example+type")
        #expect(manifest.validationErrors().isEmpty)
        _ = try roundTrip(manifest)
    }

    @Test func dockerSchema2ManifestKeepsItsMediaType() throws {
        let manifest = try Manifest.decode(json(Examples.dockerManifest))
        #expect(manifest.mediaType == MediaType.dockerManifest)
        #expect(manifest.config.mediaType == MediaType.dockerConfig)
        #expect(manifest.layers[2].mediaType == MediaType.dockerForeignLayerGzip)
        #expect(manifest.layers[2].urls?.count == 1)
        #expect(manifest.validationErrors().isEmpty)
        let back = try roundTrip(manifest)
        #expect(try text(back).contains(#""mediaType":"application/vnd.docker.distribution.manifest.v2+json""#))
    }

    @Test func missingMediaTypeStaysMissing() throws {
        let manifest = try Manifest.decode(
            json(#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(sha.config)","size":1},"layers":[]}"#))
        #expect(manifest.mediaType == nil)
        #expect(try !text(manifest).contains(#""mediaType":"application/vnd.oci.image.manifest"#))
        #expect(manifest.validationErrors().isEmpty, "an empty layers array is a SHOULD, not an error")
    }

    @Test func badDigestInLayersIsNamedWhenDecoding() throws {
        var doc = Examples.ociManifest
        doc = doc.replacing("sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736", with: "sha256:ec4b")
        let error = try #require(throws: ImageSpecError.self) { try Manifest.decode(json(doc)) }
        #expect(error.field == "layers[2].digest")
        #expect(error.problem == #"invalid digest "sha256:ec4b": sha256 digests have 64 hex characters, this has 4"#)
        #expect(error.description.hasPrefix("image manifest: layers[2].digest: invalid digest"))
    }

    @Test func missingConfigIsNamed() {
        #expect(throws: ImageSpecError(document: "image manifest", field: "config", problem: "required field is missing")) {
            try Manifest.decode(json(#"{"schemaVersion":2,"layers":[]}"#))
        }
    }

    @Test func wrongTypeIsNamed() {
        let doc = #"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"\#(sha.config)","size":"7"},"layers":[]}"#
        #expect(throws: ImageSpecError(document: "image manifest", field: "config.size", problem: "expected an integer")) {
            try Manifest.decode(json(doc))
        }
    }
}

@Suite struct IndexDecodingTests {
    @Test func ociIndexExample() throws {
        let index = try Index.decode(json(Examples.ociIndex))
        #expect(index.schemaVersion == 2)
        #expect(index.mediaType == MediaType.ociIndex)
        #expect(index.manifests.count == 3)
        #expect(index.manifests[0].platform == Platform(architecture: "ppc64le", os: "linux"))
        let windows = try #require(index.manifests[1].platform)
        #expect(windows.osVersion == "10.0.14393.1066")
        #expect(windows.osFeatures == ["win32k"])
        #expect(windows.variant == "v8")
        #expect(windows.description == "windows/arm64/v8")
        #expect(index.manifests[1].annotations?[Annotation.refName] == "1.0")
        #expect(index.manifests[2].mediaType == MediaType.ociIndex)
        #expect(index.manifests[2].platform == nil)
        #expect(index.validationErrors().isEmpty)
        let back = try roundTrip(index)
        let encoded = try text(back)
        #expect(encoded.contains(#""os.version":"10.0.14393.1066""#))
        #expect(encoded.contains(#""os.features":["win32k"]"#))
    }

    @Test func dockerManifestListExample() throws {
        let index = try Index.decode(json(Examples.dockerManifestList))
        #expect(index.mediaType == MediaType.dockerManifestList)
        #expect(index.manifests.allSatisfy { $0.mediaType == MediaType.dockerManifest })
        #expect(index.manifests[1].platform?.features == ["sse4"])
        #expect(index.validationErrors().isEmpty)
        let back = try roundTrip(index)
        #expect(try text(back).contains(#""features":["sse4"]"#))
    }

    @Test func missingPlatformOSIsNamed() {
        let doc = #"{"schemaVersion":2,"manifests":[{"mediaType":"a/b","size":1,"digest":"\#(sha.a)","platform":{"architecture":"amd64"}}]}"#
        #expect(throws: ImageSpecError(document: "image index", field: "manifests[0].platform.os", problem: "required field is missing")) {
            try Index.decode(json(doc))
        }
    }
}

@Suite struct ImageConfigTests {
    @Test func ociConfigExample() throws {
        let image = try ImageConfig.decode(json(Examples.ociConfig))
        #expect(image.created == "2015-10-31T22:22:56.015925234Z")
        #expect(image.author == "Alyssa P. Hacker <alyspdev@example.com>")
        #expect(image.architecture == "amd64")
        #expect(image.os == "linux")
        let config = try #require(image.config)
        #expect(config.user == "alice")
        #expect(config.exposedPorts == ["8080/tcp": EmptyObject()])
        #expect(config.env?.count == 3)
        #expect(config.entrypoint == ["/bin/my-app-binary"])
        #expect(config.cmd == ["--foreground", "--config", "/etc/my-app.d/default.cfg"])
        #expect(config.volumes.map { Set($0.keys) } == ["/var/job-result-data", "/var/log/my-app-logs"])
        #expect(config.workingDir == "/home/alice")
        #expect(config.labels?["com.example.project.git.commit"] == "45a939b2999782a3f005621a8d0f29aa387e1d6b")
        #expect(image.rootfs.type == "layers")
        #expect(image.rootfs.diffIDs.map(\.description) == [
            "sha256:c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1",
            "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
        ])
        let history = try #require(image.history)
        #expect(history.count == 3)
        #expect(history[1].createdBy == #"/bin/sh -c #(nop) CMD ["sh"]"#)
        #expect(history[1].emptyLayer == true)
        #expect(history[0].emptyLayer == nil)
        #expect(image.validationErrors().isEmpty)
        _ = try roundTrip(image)
    }

    @Test func specFieldNamesAreKept() throws {
        let image = try ImageConfig.decode(json(Examples.ociConfig))
        let encoded = try text(image)
        for key in [
            #""diff_ids":["#, #""created_by":"#, #""empty_layer":true"#, #""ExposedPorts":{"8080/tcp":{}}"#,
            #""Volumes":{"/var/job-result-data":{},"/var/log/my-app-logs":{}}"#, #""WorkingDir":"/home/alice""#,
            #""Entrypoint":["/bin/my-app-binary"]"#, #""User":"alice""#, #""type":"layers""#,
        ] {
            #expect(encoded.contains(key), "\(key) not in \(encoded)")
        }
        // Absent optionals are not written (no nulls, no empty strings).
        #expect(!encoded.contains("null"))
        #expect(!encoded.contains("os.version"))
        #expect(!encoded.contains("Healthcheck"))
    }

    @Test func dockerExtensionsAndPlatformFields() throws {
        let image = try ImageConfig.decode(json(Examples.dockerConfig))
        #expect(image.osVersion == "6.1")
        #expect(image.variant == "v8")
        #expect(image.platform == Platform(architecture: "arm64", os: "linux", osVersion: "6.1", variant: "v8"))
        let config = try #require(image.config)
        #expect(config.entrypoint == nil, "null reads as absent")
        #expect(config.exposedPorts?.keys.sorted() == ["443/tcp", "53/udp", "80/tcp"])
        #expect(config.stopSignal == "SIGQUIT")
        #expect(config.argsEscaped == true)
        #expect(
            config.healthcheck
                == ImageConfig.Healthcheck(
                    test: ["CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"], interval: 30_000_000_000,
                    timeout: 5_000_000_000, startPeriod: 10_000_000_000, startInterval: 2_000_000_000, retries: 3))
        #expect(config.onBuild == ["RUN echo built from me"])
        #expect(config.shell == ["/bin/ash", "-eo", "pipefail", "-c"])
        #expect(image.history?[1].author == "ops@example.com")
        #expect(image.history?[0].comment == "buildkit.dockerfile.v0")
        #expect(image.validationErrors().isEmpty)
        let back = try roundTrip(image)
        let encoded = try text(back)
        #expect(encoded.contains(#""os.version":"6.1""#))
        #expect(encoded.contains(#""StartInterval":2000000000"#))
        #expect(encoded.contains(#""Shell":["/bin/ash","-eo","pipefail","-c"]"#))
    }

    @Test func dockerConfigWithoutDiffIDsReadsAsNoLayers() throws {
        let image = try ImageConfig.decode(json(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}}"#))
        #expect(image.rootfs.diffIDs.isEmpty)
        #expect(try text(image).contains(#""diff_ids":[]"#))
    }

    @Test func configValidation() throws {
        var image = try ImageConfig.decode(json(Examples.ociConfig))
        image.rootfs.type = "tarballs"
        image.rootfs.diffIDs.removeLast()
        #expect(image.validationErrors().map(\.field) == ["rootfs.type", "history"])
        #expect(throws: ImageSpecError(document: "image config", field: "rootfs.type", problem: #"must be "layers", found "tarballs""#)) {
            try image.validate()
        }
    }

    @Test func badDiffIDIsNamed() throws {
        let doc = #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:ok","x"]}}"#
        let error = try #require(throws: ImageSpecError.self) { try ImageConfig.decode(json(doc)) }
        #expect(error.field == "rootfs.diff_ids[0]")
    }
}

@Suite struct LayoutAndArchiveTests {
    @Test func layoutFile() throws {
        let layout = try ImageLayout.decode(json(Examples.layout))
        #expect(layout == ImageLayout())
        #expect(String(decoding: try layout.encoded(), as: UTF8.self) == #"{"imageLayoutVersion":"1.0.0"}"#)
        #expect(ImageLayout.blobPath(for: try Digest(sha.config)) == "blobs/sha256/" + sha.config.dropFirst(7))
    }

    @Test func dockerSaveManifest() throws {
        let entries = try DockerArchive.decodeManifest(json(Examples.dockerSaveManifest))
        #expect(entries.count == 2)
        #expect(entries[0].repoTags == ["busybox:latest", "localhost:5000/tools/busybox:1.36"])
        #expect(entries[0].parent == nil && entries[0].layerSources == nil)
        #expect(entries[1].repoTags == nil)
        #expect(entries[1].layers.count == 2)
        #expect(entries[1].parent?.encoded == "5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270")
        let diffID = try Digest("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef")
        #expect(entries[1].layerSources?[diffID]?.mediaType == MediaType.dockerForeignLayerGzip)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let encoded = String(decoding: try encoder.encode(entries), as: UTF8.self)
        #expect(encoded.contains(#""LayerSources":{"sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef":{"#))
        #expect(encoded.contains(#""Config":"blobs/sha256/"#))
        #expect(try DockerArchive.decodeManifest(Data(encoded.utf8)) == entries)
    }

    @Test func dockerSaveManifestErrorNamesEntry() {
        #expect(throws: ImageSpecError(document: "manifest.json", field: "[1].Layers", problem: "required field is missing")) {
            try DockerArchive.decodeManifest(json(#"[{"Config":"a","Layers":[]},{"Config":"b"}]"#))
        }
    }

    @Test func legacyRepositoriesFile() throws {
        let repositories = try DockerArchive.Repositories.decode(json(Examples.dockerRepositories))
        #expect(repositories.repositories["busybox"]?["latest"] == "c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1")
        #expect(repositories.repositories.count == 2)
        #expect(try DockerArchive.Repositories.decode(try repositories.encoded()) == repositories)
    }
}

@Suite struct ValidationTests {
    private func manifest() throws -> Manifest { try Manifest.decode(json(Examples.ociManifest)) }

    @Test func schemaVersionMustBeTwo() throws {
        var m = try manifest()
        m.schemaVersion = 1
        #expect(m.validationErrors().map(\.description) == [
            "image manifest: schemaVersion: must be 2, found 1 (Docker image manifest v2, schema 1 is not supported)"
        ])
    }

    @Test func everyProblemNamesItsField() throws {
        var m = try manifest()
        m.mediaType = MediaType.ociIndex
        m.config.mediaType = "not a media type"
        m.layers[0].size = -5
        m.layers[1].mediaType = MediaType.ociConfig
        m.layers[2].data = Data("abc".utf8)
        m.layers[2].urls = ["https://example.com/x", "relative/path"]
        m.subject?.mediaType = "application/vnd.oci.empty.v1+json"
        let errors = m.validationErrors()
        #expect(errors.map(\.field) == [
            "mediaType", "config.mediaType", "layers[0].size", "layers[1].mediaType", "layers[2].urls[1]",
            "layers[2].data", "subject",
        ])
        #expect(errors[2].description == "image manifest: layers[0].size: must be >= 0, found -5")
        #expect(errors[4].problem == #""relative/path" is not an absolute URI (RFC 3986)"#)
        #expect(errors[5].problem == "embedded data is 3 bytes but size is 73109")
        #expect(throws: errors[0]) { try m.validate() }
    }

    @Test func emptyConfigNeedsArtifactType() throws {
        var m = try Manifest.decode(json(Examples.minimalArtifact))
        m.artifactType = nil
        #expect(m.validationErrors().map(\.description) == [
            "image manifest: artifactType: required when config.mediaType is application/vnd.oci.empty.v1+json"
        ])
    }

    @Test func unregisteredDigestsPassUnlessRefused() throws {
        var m = try manifest()
        m.layers[1].digest = try Digest("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8")
        #expect(m.validationErrors().isEmpty)
        let errors = m.validationErrors(allowUnregisteredDigests: false)
        #expect(errors.map(\.field) == ["layers[1].digest"])
        #expect(errors[0].problem.contains(#"unsupported digest algorithm "multihash+base58""#))
    }

    @Test func indexProblemsNameTheirField() throws {
        var index = try Index.decode(json(Examples.ociIndex))
        index.schemaVersion = 3
        index.mediaType = MediaType.dockerManifest
        index.manifests[0].platform?.os = ""
        index.manifests[1].mediaType = MediaType.ociLayerGzip
        index.manifests[2].size = -1
        #expect(index.validationErrors().map(\.field) == [
            "schemaVersion", "mediaType", "manifests[0].platform.os", "manifests[1].mediaType", "manifests[2].size",
        ])
    }
}

@Suite struct ManifestOrIndexTests {
    @Test func chosenByServedMediaType() throws {
        guard case .index(let index) = try ManifestOrIndex.decode(json(Examples.dockerManifestList), mediaType: MediaType.dockerManifestList)
        else { Issue.record("expected an index"); return }
        #expect(index.manifests.count == 2)
        guard case .manifest = try ManifestOrIndex.decode(json(Examples.ociManifest), mediaType: MediaType.ociManifest)
        else { Issue.record("expected a manifest"); return }
    }

    @Test func chosenByOwnMediaTypeOrFields() throws {
        guard case .manifest = try ManifestOrIndex.decode(json(Examples.dockerManifest)) else {
            Issue.record("expected a manifest"); return
        }
        let bare = #"{"schemaVersion":2,"manifests":[]}"#
        guard case .index = try ManifestOrIndex.decode(json(bare)) else { Issue.record("expected an index"); return }
    }

    @Test func refusals() throws {
        #expect(throws: ImageSpecError.self) {  // served as an index, says it is a manifest
            try ManifestOrIndex.decode(json(Examples.ociManifest), mediaType: MediaType.ociIndex)
        }
        #expect(throws: ImageSpecError(document: "manifest", field: "", problem: "ambiguous: has both manifests (index) and config/layers (manifest), and no mediaType")) {
            try ManifestOrIndex.decode(json(#"{"schemaVersion":2,"manifests":[],"layers":[]}"#))
        }
        let schema1 = #"{"schemaVersion":1,"name":"library/busybox","tag":"latest","fsLayers":[]}"#
        let error = try #require(throws: ImageSpecError.self) { try ManifestOrIndex.decode(json(schema1)) }
        #expect(error.problem.contains("schema 1 is not supported"))
        #expect(throws: ImageSpecError.self) {
            try ManifestOrIndex.decode(json(Examples.ociManifest), mediaType: "text/html")
        }
    }
}

@Suite struct MediaTypeTests {
    @Test func kinds() {
        #expect(MediaType.isManifest(MediaType.dockerManifest) && MediaType.isManifest(MediaType.ociManifest))
        #expect(MediaType.isIndex(MediaType.dockerManifestList) && MediaType.isIndex(MediaType.ociIndex))
        #expect(MediaType.isImageConfig(MediaType.dockerConfig) && MediaType.isImageConfig(MediaType.ociConfig))
        #expect(MediaType.layerCompression(MediaType.ociLayer) == .uncompressed)
        #expect(MediaType.layerCompression(MediaType.ociLayerGzip) == .gzip)
        #expect(MediaType.layerCompression(MediaType.ociLayerNondistributableZstd) == .zstd)
        #expect(MediaType.layerCompression(MediaType.dockerLayerGzip) == .gzip)
        #expect(MediaType.layerCompression(MediaType.dockerForeignLayerGzip) == .gzip)
        #expect(MediaType.layerCompression(MediaType.ociConfig) == nil)
        #expect(MediaType.isNondistributable(MediaType.dockerForeignLayerGzip))
        #expect(MediaType.isNondistributable(MediaType.ociLayerNondistributable))
        #expect(!MediaType.isNondistributable(MediaType.ociLayerGzip))
    }

    @Test func wellFormed() {
        #expect(MediaType.isWellFormed("application/vnd.oci.image.manifest.v1+json"))
        #expect(MediaType.isWellFormed("application/vnd.example+type"))
        #expect(!MediaType.isWellFormed("application"))
        #expect(!MediaType.isWellFormed("application/"))
        #expect(!MediaType.isWellFormed("/json"))
        #expect(!MediaType.isWellFormed("application/json; charset=utf-8"))
        #expect(!MediaType.isWellFormed("application/a/b"))
        #expect(!MediaType.isWellFormed("application/" + String(repeating: "x", count: 128)))
    }
}

/// Our encoded output against the image-spec JSON schemas.
@Suite struct SchemaConformanceTests {
    @Test(.enabled(if: SchemaValidator.shared != nil, "no oci-image-schema in /work/shared/reference or <repo>/../shared/reference"))
    func encodedDocumentsMatchTheSchemas() throws {
        let validator = try #require(SchemaValidator.shared)
        var documents: [SchemaValidator.Document] = []
        func add<T: ImageSpecDocument & Equatable>(_ type: T.Type, _ example: String, _ schema: String, _ name: String) throws {
            documents.append(.init(schema: schema, name: name, json: try T.decode(json(example)).encoded()))
        }
        try add(Manifest.self, Examples.ociManifest, "image-manifest-schema.json", "oci manifest")
        try add(Manifest.self, Examples.minimalArtifact, "image-manifest-schema.json", "minimal artifact")
        try add(Manifest.self, Examples.artifactWithConfig, "image-manifest-schema.json", "artifact with config")
        try add(Manifest.self, Examples.dockerManifest, "image-manifest-schema.json", "docker manifest")
        try add(Index.self, Examples.ociIndex, "image-index-schema.json", "oci index")
        try add(Index.self, Examples.dockerManifestList, "image-index-schema.json", "docker manifest list")
        try add(ImageConfig.self, Examples.ociConfig, "config-schema.json", "oci config")
        try add(ImageConfig.self, Examples.dockerConfig, "config-schema.json", "docker config")
        try add(ImageLayout.self, Examples.layout, "image-layout-schema.json", "oci-layout")
        try add(Descriptor.self, Examples.emptyDescriptor, "content-descriptor.json", "empty descriptor")
        // Built in code, not decoded.
        let built = Manifest(
            config: Descriptor(mediaType: MediaType.ociConfig, digest: try Digest(sha.config), size: 1234),
            layers: [Descriptor(mediaType: MediaType.ociLayerZstd, digest: try Digest(sha.a), size: 99, annotations: [Annotation.title: "rootfs"])],
            subject: Descriptor.empty, annotations: [Annotation.created: "2024-01-01T00:00:00Z"])
        documents.append(.init(schema: "image-manifest-schema.json", name: "built manifest", json: try built.encoded()))
        let builtIndex = Index(manifests: [
            Descriptor(mediaType: MediaType.ociManifest, digest: try Digest(sha.a), size: 5, platform: Platform(architecture: "arm", os: "linux", variant: "v7"))
        ])
        documents.append(.init(schema: "image-index-schema.json", name: "built index", json: try builtIndex.encoded()))
        let builtConfig = ImageConfig(
            created: "2024-01-01T00:00:00Z", architecture: "amd64", os: "linux",
            config: .init(exposedPorts: ["80/tcp": EmptyObject()], cmd: ["sh"], volumes: ["/v": EmptyObject()], labels: ["a": "b"]),
            rootfs: .init(diffIDs: [try Digest(sha.a)]), history: [.init(createdBy: "x", emptyLayer: false)])
        documents.append(.init(schema: "config-schema.json", name: "built config", json: try builtConfig.encoded()))

        let problems = try validator.problems(documents)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// The check must be able to fail, or passing it means nothing.
    @Test(.enabled(if: SchemaValidator.shared != nil, "no oci-image-schema in /work/shared/reference or <repo>/../shared/reference"))
    func schemasCatchBadDocuments() throws {
        let validator = try #require(SchemaValidator.shared)
        var bad = try Manifest.decode(json(Examples.ociManifest))
        bad.schemaVersion = 3
        bad.layers[0].size = -1
        bad.config.mediaType = "bogus"
        let problems = try validator.problems([
            .init(schema: "image-manifest-schema.json", name: "bad", json: try bad.encoded()),
            .init(schema: "image-index-schema.json", name: "bad index", json: Data(#"{"schemaVersion":2,"manifests":[{"mediaType":"a/b","size":1,"digest":"sha256:x","platform":{"os":"linux"}}]}"#.utf8)),
            .init(schema: "config-schema.json", name: "bad config", json: Data(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"tar","diff_ids":[]},"created":"yesterday"}"#.utf8)),
        ])
        #expect(problems.contains { $0.hasPrefix("bad: schemaVersion:") })
        #expect(problems.contains { $0.hasPrefix("bad: layers/0/size:") })
        #expect(problems.contains { $0.hasPrefix("bad: config/mediaType:") }, "defs-descriptor.json was not resolved")
        #expect(problems.contains { $0.hasPrefix("bad index: manifests/0/platform:") })
        #expect(problems.contains { $0.hasPrefix("bad config: rootfs/type:") })
        #expect(problems.contains { $0.hasPrefix("bad config: created:") }, "date-time format not checked")
    }
}
