import FoundationEssentials
import GRDB

/// Volumes in SQLite (`<data-root>/volumes.db`): one row per volume, every
/// change one transaction. A file of its own, not a table in containers.db:
/// the store is its own module with its own migrations, as dockerd keeps
/// volumes' metadata apart from containers'.
struct VolumeDatabase: Sendable {
    let queue: DatabaseQueue

    init(path: String) throws(VolumeError) {
        do {
            var config = Configuration()
            config.busyMode = .timeout(10)
            queue = try DatabaseQueue(path: path, configuration: config)
            try Self.migrator.migrate(queue)
        } catch {
            throw VolumeError(.system, "volume database \(path): \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("volumes-v1") { db in
            try db.execute(sql: """
                CREATE TABLE volume (
                    name TEXT PRIMARY KEY NOT NULL,
                    driver TEXT NOT NULL,
                    created TEXT NOT NULL,                 -- RFC 3339
                    anonymous INTEGER NOT NULL,
                    labels BLOB NOT NULL,                  -- JSON object
                    options BLOB NOT NULL                  -- JSON object: type, device, o
                );
                """)
        }
        return m
    }

    /// A row as a volume whose data lives under `root`.
    static func volume(_ row: Row, root: String) -> Volume {
        let name: String = row["name"]
        let labels: Data = row["labels"]
        let options: Data = row["options"]
        return Volume(
            name: name, driver: row["driver"],
            labels: (try? JSONDecoder().decode([String: String].self, from: labels)) ?? [:],
            options: (try? JSONDecoder().decode([String: String].self, from: options)) ?? [:],
            createdAt: row["created"], anonymous: row["anonymous"], mountpoint: "\(root)/\(name)/_data")
    }

    static func insert(_ volume: Volume, into db: Database) throws {
        try db.execute(
            sql: "INSERT INTO volume (name, driver, created, anonymous, labels, options) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [volume.name, volume.driver, volume.createdAt, volume.anonymous,
                        try JSONEncoder().encode(volume.labels), try JSONEncoder().encode(volume.options)])
    }
}
