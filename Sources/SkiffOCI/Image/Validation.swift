// Checks beyond what decoding enforces, from manifest.md, image-index.md,
// descriptor.md and config.md (v1.1). Digest strings are already checked when
// decoded (a `Digest` is always well-formed); here they are checked only for
// being verifiable, when asked.
//
// What is NOT an error, because the spec says so: unknown media types (MUST NOT
// error, manifest.md and image-index.md), unregistered digest algorithms (SHOULD
// pass, descriptor.md#digests) unless `allowUnregisteredDigests` is false, an
// empty `layers` (SHOULD have one entry, not MUST).

extension Manifest {
    /// Every problem found, each naming its field (`layers[2].size`), in field order.
    public func validationErrors(allowUnregisteredDigests: Bool = true) -> [ImageSpecError] {
        var check = Checker(document: Self.documentName, allowUnregisteredDigests: allowUnregisteredDigests)
        check.schemaVersion(schemaVersion)
        if let mediaType {
            if !MediaType.isManifest(mediaType) {
                check.fail(
                    "mediaType",
                    "\"\(mediaType)\" is not an image manifest type (expected \(MediaType.ociManifest) or \(MediaType.dockerManifest))"
                )
            }
        }
        if let artifactType { check.mediaType(artifactType, at: "artifactType") }
        if config.mediaType == MediaType.ociEmpty && artifactType == nil {
            check.fail("artifactType", "required when config.mediaType is \(MediaType.ociEmpty)")
        }
        check.descriptor(config, at: "config")
        if MediaType.isLayer(config.mediaType) || MediaType.isManifest(config.mediaType)
            || MediaType.isIndex(config.mediaType)
        {
            check.fail("config.mediaType", "\"\(config.mediaType)\" is not a config type")
        }
        for (i, layer) in layers.enumerated() {
            check.descriptor(layer, at: "layers[\(i)]")
            if MediaType.isImageConfig(layer.mediaType) || MediaType.isManifest(layer.mediaType)
                || MediaType.isIndex(layer.mediaType)
            {
                check.fail("layers[\(i)].mediaType", "\"\(layer.mediaType)\" is not a layer type")
            }
        }
        if let subject { check.descriptor(subject, at: "subject") }
        return check.errors
    }

    /// Throws the first problem `validationErrors` finds.
    public func validate(allowUnregisteredDigests: Bool = true) throws(ImageSpecError) {
        if let first = validationErrors(allowUnregisteredDigests: allowUnregisteredDigests).first { throw first }
    }
}

extension Index {
    /// Every problem found, each naming its field (`manifests[1].platform.os`).
    public func validationErrors(allowUnregisteredDigests: Bool = true) -> [ImageSpecError] {
        var check = Checker(document: Self.documentName, allowUnregisteredDigests: allowUnregisteredDigests)
        check.schemaVersion(schemaVersion)
        if let mediaType {
            if !MediaType.isIndex(mediaType) {
                check.fail(
                    "mediaType",
                    "\"\(mediaType)\" is not an image index type (expected \(MediaType.ociIndex) or \(MediaType.dockerManifestList))"
                )
            }
        }
        if let artifactType { check.mediaType(artifactType, at: "artifactType") }
        for (i, entry) in manifests.enumerated() {
            check.descriptor(entry, at: "manifests[\(i)]")
            if MediaType.isLayer(entry.mediaType) || MediaType.isImageConfig(entry.mediaType) {
                check.fail("manifests[\(i)].mediaType", "\"\(entry.mediaType)\" is not a manifest or index type")
            }
        }
        if let subject { check.descriptor(subject, at: "subject") }
        return check.errors
    }

    /// Throws the first problem `validationErrors` finds.
    public func validate(allowUnregisteredDigests: Bool = true) throws(ImageSpecError) {
        if let first = validationErrors(allowUnregisteredDigests: allowUnregisteredDigests).first { throw first }
    }
}

extension ImageConfig {
    /// Every problem found: `rootfs.type` is `layers`, `architecture` and `os` are
    /// set, and `history` has no more non-empty entries than there are layers
    /// (moby refuses such a config: "too many non-empty layers in History section").
    public func validationErrors() -> [ImageSpecError] {
        var check = Checker(document: Self.documentName, allowUnregisteredDigests: true)
        if architecture.isEmpty { check.fail("architecture", "must not be empty") }
        if os.isEmpty { check.fail("os", "must not be empty") }
        if rootfs.type != RootFS.layersType {
            check.fail("rootfs.type", "must be \"\(RootFS.layersType)\", found \"\(rootfs.type)\"")
        }
        if let history {
            let nonEmpty = history.count(where: { $0.emptyLayer != true })
            if nonEmpty > rootfs.diffIDs.count {
                check.fail(
                    "history",
                    "\(nonEmpty) entries add a layer but rootfs.diff_ids has \(rootfs.diffIDs.count)")
            }
        }
        return check.errors
    }

    /// Throws the first problem `validationErrors` finds.
    public func validate() throws(ImageSpecError) {
        if let first = validationErrors().first { throw first }
    }
}

/// Collects problems, each with its field path.
private struct Checker {
    let document: String
    let allowUnregisteredDigests: Bool
    var errors: [ImageSpecError] = []

    init(document: String, allowUnregisteredDigests: Bool) {
        self.document = document
        self.allowUnregisteredDigests = allowUnregisteredDigests
    }

    mutating func fail(_ field: String, _ problem: String) {
        errors.append(ImageSpecError(document: document, field: field, problem: problem))
    }

    mutating func schemaVersion(_ version: Int) {
        guard version != 2 else { return }
        let note = version == 1 ? " (Docker image manifest v2, schema 1 is not supported)" : ""
        fail("schemaVersion", "must be 2, found \(version)\(note)")
    }

    mutating func mediaType(_ type: String, at field: String) {
        if !MediaType.isWellFormed(type) {
            fail(field, "\"\(type)\" is not a media type (type/subtype, RFC 6838)")
        }
    }

    /// descriptor.md#properties, for the descriptor at `field`.
    mutating func descriptor(_ d: Descriptor, at field: String) {
        mediaType(d.mediaType, at: "\(field).mediaType")
        if !allowUnregisteredDigests && !d.digest.isRegistered {
            let error = DigestError(
                input: d.digest.description, reason: .unregisteredAlgorithm(algorithm: d.digest.algorithm.rawValue))
            fail("\(field).digest", error.description)
        }
        if d.size < 0 { fail("\(field).size", "must be >= 0, found \(d.size)") }
        if d.mediaType == MediaType.ociEmpty && (d.digest != .emptyJSON || d.size != 2) {
            fail(
                field,
                "an \(MediaType.ociEmpty) blob is the 2 bytes {}: digest \(Digest.emptyJSON), size 2 (found \(d.digest), size \(d.size))"
            )
        }
        if let urls = d.urls {
            for (i, url) in urls.enumerated() where !Self.hasURIScheme(url) {
                fail("\(field).urls[\(i)]", "\"\(url)\" is not an absolute URI (RFC 3986)")
            }
        }
        if let data = d.data, Int64(data.count) != d.size {
            fail("\(field).data", "embedded data is \(data.count) bytes but size is \(d.size)")
        }
        if let platform = d.platform {
            if platform.architecture.isEmpty { fail("\(field).platform.architecture", "must not be empty") }
            if platform.os.isEmpty { fail("\(field).platform.os", "must not be empty") }
        }
        if let artifactType = d.artifactType { mediaType(artifactType, at: "\(field).artifactType") }
    }

    /// `scheme ":" ...` with scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1).
    static func hasURIScheme(_ s: String) -> Bool {
        guard let colon = s.utf8.firstIndex(of: UInt8(ascii: ":")) else { return false }
        let scheme = s.utf8[..<colon]
        guard let first = scheme.first, isASCIIAlnum(first), !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9"))
        else { return false }
        return scheme.allSatisfy {
            isASCIIAlnum($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
    }
}
