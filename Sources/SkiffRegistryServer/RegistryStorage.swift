import FoundationEssentials
import Glibc
import SkiffImage
import SkiffOCI
import SkiffSystem

/// The registry's files under its root (default /var/lib/skiff-registry):
///
///     blobs/sha256/<hex>                                     every blob and manifest, shared by all repositories
///     ingest/<random>                                        blobs being uploaded (emptied at start)
///     repositories/<name>/_layers/sha256/<hex>               a blob the repository has (content: the digest)
///     repositories/<name>/_manifests/revisions/sha256/<hex>  a manifest the repository has (content: its media type)
///     repositories/<name>/_manifests/tags/<tag>              a tag (content: the manifest's digest)
///
/// Blobs go through SkiffImage's ContentStore (temp file, hashed as written,
/// fsync, checked, renamed into place); every link file is written to a
/// temporary name, fsync'd and renamed. So a reader sees a whole file or none,
/// and a blob is linked into a repository only once it is complete.
/// Repository names cannot start with `_` (the name grammar), so they never
/// collide with `_layers` and `_manifests`.
public final class RegistryStorage: Sendable {
    public let root: String
    public let content: ContentStore

    public init(root: String) throws {
        self.root = root
        try Directories.make(root + "/repositories")
        content = try ContentStore(root: root)
    }

    // MARK: Paths

    func repositoryPath(_ name: String) -> String { "\(root)/repositories/\(name)" }

    func layerLink(_ name: String, _ digest: Digest) -> String {
        "\(repositoryPath(name))/_layers/\(digest.algorithm.rawValue)/\(digest.encoded)"
    }

    func revisionLink(_ name: String, _ digest: Digest) -> String {
        "\(repositoryPath(name))/_manifests/revisions/\(digest.algorithm.rawValue)/\(digest.encoded)"
    }

    func tagLink(_ name: String, _ tag: String) -> String { "\(repositoryPath(name))/_manifests/tags/\(tag)" }

    // MARK: Blobs

    /// The size of a blob in the shared store.
    public func blobSize(_ digest: Digest) -> Int64? {
        guard digest.algorithm == .sha256 else { return nil }
        return content.size(digest)
    }

    /// Whether repository `name` has the blob (uploaded, mounted, or a manifest of it) and it is stored.
    public func repositoryHasBlob(_ name: String, _ digest: Digest) -> Bool {
        guard digest.algorithm == .sha256, content.has(digest) else { return false }
        return exists(layerLink(name, digest)) || exists(revisionLink(name, digest))
    }

    /// Records that repository `name` has a stored blob.
    public func linkBlob(_ name: String, _ digest: Digest) throws {
        try writeAtomically(layerLink(name, digest), Array(digest.description.utf8))
    }

    /// Forgets repository `name`'s link to a blob (the blob stays for others; gc removes it).
    public func unlinkBlob(_ name: String, _ digest: Digest) -> Bool {
        unlink(layerLink(name, digest)) == 0
    }

    /// Opens a stored blob for reading.
    public func openBlob(_ digest: Digest) -> Int32? {
        let fd = open(content.path(digest), O_RDONLY | O_CLOEXEC)
        return fd >= 0 ? fd : nil
    }

    // MARK: Manifests

    /// A stored manifest of repository `name` by tag or digest.
    public func manifest(_ name: String, reference: String) -> (bytes: [UInt8], mediaType: String, digest: Digest)? {
        let digest: Digest
        if let parsed = RegistryNames.digest(reference) {
            digest = parsed
        } else {
            guard RegistryNames.isValidTag(reference), let text = readSmall(tagLink(name, reference)),
                  let linked = RegistryNames.digest(text) else { return nil }
            digest = linked
        }
        guard digest.algorithm == .sha256, let mediaType = readSmall(revisionLink(name, digest)),
              let bytes = try? content.read(digest) else { return nil }
        return (bytes, mediaType, digest)
    }

    /// Whether repository `name` has the manifest.
    public func hasManifest(_ name: String, _ digest: Digest) -> Bool {
        digest.algorithm == .sha256 && exists(revisionLink(name, digest)) && content.has(digest)
    }

    /// Stores manifest bytes (checked by the caller) in repository `name`,
    /// then points `tag` at it. Returns its digest.
    @discardableResult
    public func putManifest(_ name: String, bytes: [UInt8], mediaType: String, tag: String?) throws -> Digest {
        let descriptor = try content.put(bytes, mediaType: mediaType)
        try writeAtomically(revisionLink(name, descriptor.digest), Array(mediaType.utf8))
        if let tag { try writeAtomically(tagLink(name, tag), Array(descriptor.digest.description.utf8)) }
        return descriptor.digest
    }

    /// Deletes a manifest from repository `name`, with every tag pointing at it.
    public func deleteManifest(_ name: String, _ digest: Digest) -> Bool {
        guard exists(revisionLink(name, digest)) else { return false }
        for tag in tags(name) ?? [] where readSmall(tagLink(name, tag)) == digest.description {
            unlink(tagLink(name, tag))
        }
        return unlink(revisionLink(name, digest)) == 0
    }

    /// Deletes a tag (not the manifest it points at).
    public func deleteTag(_ name: String, _ tag: String) -> Bool {
        RegistryNames.isValidTag(tag) && unlink(tagLink(name, tag)) == 0
    }

    /// The repository's tags, sorted; nil when it has never had a manifest.
    public func tags(_ name: String) -> [String]? {
        let manifests = repositoryPath(name) + "/_manifests"
        guard Directories.isDirectory(manifests) else { return nil }
        return Directories.list(manifests + "/tags").filter { RegistryNames.isValidTag($0) }.sorted()
    }

    /// Every repository with manifests, sorted.
    public func repositories() -> [String] {
        var found: [String] = []
        func walk(_ path: String, _ name: String) {
            for entry in Directories.list(path) where !entry.hasPrefix("_") && !entry.hasPrefix(".") {
                let child = path + "/" + entry
                guard Directories.isDirectory(child) else { continue }
                let childName = name.isEmpty ? entry : name + "/" + entry
                if Directories.isDirectory(child + "/_manifests") { found.append(childName) }
                walk(child, childName)
            }
        }
        walk(root + "/repositories", "")
        return found.sorted()
    }

    // MARK: Files

    private func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// A small file's text (links); nil if it is missing.
    private func readSmall(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while total < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, $0.count - total) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            total += n
        }
        return String(decoding: bytes[0..<total], as: UTF8.self)
    }

    /// Writes `bytes` to a temporary file beside `path`, fsyncs it and renames it over `path`.
    func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
        let directory = String(path[..<path.lastIndex(of: "/")!])
        try Directories.make(directory)
        let temporary = "\(directory)/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("create \(temporary)") }
        var offset = 0
        var failure: SystemError?
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = SystemError("write \(temporary)")
                break
            }
            offset += n
        }
        if failure == nil, fsync(fd) != 0 { failure = SystemError("fsync \(temporary)") }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = SystemError("rename \(temporary) to \(path)") }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }
}
