import FoundationEssentials
import Glibc
import SkiffOCI
import SkiffSystem

extension RegistryStorage {
    /// What a collection found.
    public struct GarbageReport: Sendable {
        /// Blobs removed (or, in a dry run, that would be).
        public var removed: [Digest] = []
        public var removedBytes: Int64 = 0
        /// Blobs kept: manifests of a repository and what they reference.
        public var kept = 0
    }

    /// Mark and sweep, as distribution's `garbage-collect`: every manifest a
    /// repository has (tagged or not) and the blobs and manifests it names
    /// are kept; every other blob is removed, with the repositories' links to
    /// it. Blobs uploaded but not yet named by a manifest are removed too, so
    /// run it while the server is stopped (or read-only).
    public func collectGarbage(dryRun: Bool = false) -> GarbageReport {
        var marked = Set<Digest>()
        for name in repositories() {
            let revisions = repositoryPath(name) + "/_manifests/revisions/sha256"
            for hex in Directories.list(revisions) {
                guard let digest = try? Digest.sha256(hex), content.has(digest) else { continue }
                marked.insert(digest)
                guard let bytes = try? content.read(digest), let parsed = try? ManifestOrIndex.decode(Data(bytes)) else { continue }
                switch parsed {
                case .manifest(let manifest):
                    marked.insert(manifest.config.digest)
                    for layer in manifest.layers { marked.insert(layer.digest) }
                    if let subject = manifest.subject { marked.insert(subject.digest) }
                case .index(let index):
                    for child in index.manifests { marked.insert(child.digest) }
                }
            }
        }
        var report = GarbageReport()
        for digest in content.digests() {
            if marked.contains(digest) {
                report.kept += 1
                continue
            }
            report.removed.append(digest)
            report.removedBytes += content.size(digest) ?? 0
            if !dryRun { content.delete(digest) }
        }
        if !dryRun {
            // Links to blobs that are gone.
            for name in repositoryNames() {
                let layers = repositoryPath(name) + "/_layers/sha256"
                for hex in Directories.list(layers) {
                    guard let digest = try? Digest.sha256(hex) else { continue }
                    if !content.has(digest) { unlink(layers + "/" + hex) }
                }
            }
        }
        report.removed.sort()
        return report
    }

    /// Every repository directory with blob links or manifests.
    func repositoryNames() -> [String] {
        var found: [String] = []
        func walk(_ path: String, _ name: String) {
            for entry in Directories.list(path) where !entry.hasPrefix("_") && !entry.hasPrefix(".") {
                let child = path + "/" + entry
                guard Directories.isDirectory(child) else { continue }
                let childName = name.isEmpty ? entry : name + "/" + entry
                if Directories.isDirectory(child + "/_layers") || Directories.isDirectory(child + "/_manifests") {
                    found.append(childName)
                }
                walk(child, childName)
            }
        }
        walk(root + "/repositories", "")
        return found
    }
}
