import FoundationEssentials
import GRDB

/// Containers in SQLite (`<data-root>/containers.db`): one row per
/// container, its record as JSON; every change one transaction.
struct ContainerDatabase: Sendable {
    let queue: DatabaseQueue

    init(path: String) throws(EngineError) {
        do {
            var config = Configuration()
            // Another connection (a daemon still shutting down, a test's second engine) waits, not fails.
            config.busyMode = .timeout(10)
            queue = try DatabaseQueue(path: path, configuration: config)
            // WAL: a commit is one fsync of the log (synchronous stays FULL, so a commit
            // survives a power cut) where the rollback journal took four; `run --rm` commits
            // four times.
            try queue.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
            try Self.migrator.migrate(queue)
        } catch {
            throw EngineError(.system, "container database \(path): \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("containers-v1") { db in
            try db.execute(sql: """
                CREATE TABLE container (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL UNIQUE,
                    created TEXT NOT NULL,
                    record BLOB NOT NULL                   -- Container as JSON
                );
                """)
        }
        return m
    }

    func all() throws(EngineError) -> [Container] {
        do {
            return try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT record FROM container ORDER BY created DESC").compactMap { row in
                    let data: Data = row["record"]
                    return try? JSONDecoder().decode(Container.self, from: data)
                }
            }
        } catch {
            throw EngineError(.system, "read containers: \(error)")
        }
    }

    /// Inserts a new container; a taken name is a conflict.
    func insert(_ container: Container) throws(EngineError) {
        do {
            let data = try JSONEncoder().encode(container)
            try queue.write { db in
                if let other = try String.fetchOne(db, sql: "SELECT id FROM container WHERE name = ?", arguments: [container.name]) {
                    throw EngineError(.conflict, "Conflict. The container name \"/\(container.name)\" is already in use by container \"\(other)\". You have to remove (or rename) that container to be able to reuse that name.")
                }
                try db.execute(sql: "INSERT INTO container (id, name, created, record) VALUES (?, ?, ?, ?)",
                               arguments: [container.id, container.name, container.created, data])
            }
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.system, "save container \(container.id): \(error)")
        }
    }

    func update(_ container: Container) throws(EngineError) {
        do {
            let data = try JSONEncoder().encode(container)
            try queue.write { db in
                try db.execute(sql: "UPDATE container SET record = ?, name = ? WHERE id = ?",
                               arguments: [data, container.name, container.id])
            }
        } catch {
            throw EngineError(.system, "save container \(container.id): \(error)")
        }
    }

    func delete(id: String) throws(EngineError) {
        do {
            try queue.write { db in try db.execute(sql: "DELETE FROM container WHERE id = ?", arguments: [id]) }
        } catch {
            throw EngineError(.system, "delete container \(id): \(error)")
        }
    }
}
