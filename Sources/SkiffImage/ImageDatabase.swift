import FoundationEssentials
import GRDB
import SkiffOCI

/// Image metadata in SQLite (`<data-root>/images.db`): images, their names,
/// and the layer chain each one stands on. Blobs and unpacked layers live on
/// disk (ContentStore, SnapshotStore); this records what refers to what.
struct ImageDatabase: Sendable {
    let queue: DatabaseQueue

    init(path: String) throws(ImageError) {
        do {
            var config = Configuration()
            config.foreignKeysEnabled = true
            config.busyMode = .timeout(10)
            queue = try DatabaseQueue(path: path, configuration: config)
            try Self.migrator.migrate(queue)
        } catch {
            throw ImageError(.io, "image database \(path): \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("images-v1") { db in
            try db.execute(sql: """
                CREATE TABLE image (
                    id TEXT PRIMARY KEY NOT NULL,          -- config digest
                    manifest TEXT NOT NULL,                -- manifest digest
                    manifestMediaType TEXT NOT NULL,
                    created TEXT,                          -- from the config
                    size INTEGER NOT NULL,                 -- unpacked size of its layers
                    parent TEXT,                           -- local parent (commit, build)
                    added TEXT NOT NULL
                );
                CREATE TABLE tag (
                    name TEXT PRIMARY KEY NOT NULL,        -- docker.io/library/busybox:latest
                    image TEXT NOT NULL REFERENCES image(id) ON DELETE CASCADE
                );
                CREATE INDEX tag_image ON tag(image);
                CREATE TABLE repoDigest (
                    name TEXT NOT NULL,                    -- docker.io/library/busybox@sha256:...
                    image TEXT NOT NULL REFERENCES image(id) ON DELETE CASCADE,
                    PRIMARY KEY (name, image)
                );
                CREATE TABLE layer (
                    chainID TEXT PRIMARY KEY NOT NULL,
                    diffID TEXT NOT NULL,
                    parent TEXT,                           -- chain id below
                    blob TEXT NOT NULL,                    -- a stored blob with this diff
                    mediaType TEXT NOT NULL,
                    blobSize INTEGER NOT NULL,
                    size INTEGER NOT NULL                  -- uncompressed tar size
                );
                CREATE TABLE imageLayer (
                    image TEXT NOT NULL REFERENCES image(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    chainID TEXT NOT NULL REFERENCES layer(chainID),
                    PRIMARY KEY (image, position)
                );
                CREATE INDEX imageLayer_chain ON imageLayer(chainID);
                """)
        }
        m.registerMigration("images-v2-manifest-size") { db in
            try db.execute(sql: "ALTER TABLE image ADD COLUMN manifestSize INTEGER NOT NULL DEFAULT 0")
        }
        m.registerMigration("images-v3-build-cache") { db in
            // A build step's result, by the step's cache key (SkiffBuilder's BuildCacheKey):
            // the image goes, its entries go.
            try db.execute(sql: """
                CREATE TABLE buildCache (
                    key TEXT PRIMARY KEY NOT NULL,
                    image TEXT NOT NULL REFERENCES image(id) ON DELETE CASCADE
                );
                CREATE INDEX buildCache_image ON buildCache(image);
                """)
        }
        return m
    }

    func read<T>(_ body: (Database) throws -> T) throws(ImageError) -> T {
        do {
            return try queue.read(body)
        } catch {
            throw ImageError(error)
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(ImageError) -> T {
        do {
            return try queue.write(body)
        } catch {
            throw ImageError(error)
        }
    }
}
