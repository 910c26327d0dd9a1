import GRDB
import SkiffOCI

extension ImageStore {
    /// The image a build step with this cache key made before, if it is still stored.
    public func cachedStep(_ key: String) throws(ImageError) -> ImageRecord? {
        let id = try db.read { db in
            try String.fetchOne(db, sql: "SELECT image FROM buildCache WHERE key = ?", arguments: [key])
        }
        guard let id else { return nil }
        return try? resolve(id)
    }

    /// Records that the build step with this cache key made `image`.
    public func recordStep(_ key: String, image: Digest) throws(ImageError) {
        try db.write { db in
            try db.execute(
                sql: "INSERT INTO buildCache (key, image) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET image = excluded.image",
                arguments: [key, image.description])
        }
    }

    /// The empty image `FROM scratch` builds on: no layers, no settings, this machine's
    /// platform. Its config has no timestamp, so it is the same image every time.
    public func scratchImage() throws(ImageError) -> ImageRecord {
        let platform = Platform.current
        let config = ImageConfig(
            architecture: platform.architecture, os: platform.os, variant: platform.variant,
            config: ImageConfig.Config(), rootfs: .init(diffIDs: []))
        return try add(config: config, layers: [])
    }
}
