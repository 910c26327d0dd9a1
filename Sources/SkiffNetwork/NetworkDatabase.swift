import SkiffDNS
import FoundationEssentials
import GRDB

/// Networks and endpoints in SQLite (`<data-root>/networks.db`). An
/// endpoint's address is unique in its network (a constraint, so an address
/// is never handed out twice, across daemon restarts too); every change is
/// one transaction.
struct NetworkDatabase: Sendable {
    let queue: DatabaseQueue

    init(path: String) throws(NetworkError) {
        do {
            var config = Configuration()
            config.busyMode = .timeout(10)
            // Endpoints are rebuilt from the running containers at every start: a
            // change lost to a power cut costs nothing, so commits do not wait for the disk.
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            queue = try DatabaseQueue(path: path, configuration: config)
            try queue.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
            try Self.migrator.migrate(queue)
        } catch {
            throw NetworkError(.system, "network database \(path): \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("networks-v1") { db in
            try db.execute(sql: """
                CREATE TABLE network (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL UNIQUE,
                    record BLOB NOT NULL                 -- Network as JSON
                );
                CREATE TABLE endpoint (
                    id TEXT PRIMARY KEY NOT NULL,
                    network_id TEXT NOT NULL REFERENCES network(id),
                    container_id TEXT NOT NULL,
                    address TEXT NOT NULL,
                    record BLOB NOT NULL,                -- Endpoint as JSON
                    UNIQUE (network_id, address),
                    UNIQUE (network_id, container_id)
                );
                """)
        }
        return m
    }

    func networks() throws(NetworkError) -> [Network] {
        try read("read networks") { db in
            try Data.fetchAll(db, sql: "SELECT record FROM network").compactMap { try? JSONDecoder().decode(Network.self, from: $0) }
        }
    }

    func endpoints() throws(NetworkError) -> [Endpoint] {
        try read("read endpoints") { db in
            try Data.fetchAll(db, sql: "SELECT record FROM endpoint").compactMap { try? JSONDecoder().decode(Endpoint.self, from: $0) }
        }
    }

    func insert(_ network: Network) throws(NetworkError) {
        let data = try encode(network)
        try write("save network \(network.name)") { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM network WHERE name = ?", arguments: [network.name]) == true {
                throw NetworkError(.conflict, "network with name \(network.name) already exists")
            }
            try db.execute(sql: "INSERT INTO network (id, name, record) VALUES (?, ?, ?)", arguments: [network.id, network.name, data])
        }
    }

    func deleteNetwork(id: String) throws(NetworkError) {
        try write("delete network \(id)") { db in
            try db.execute(sql: "DELETE FROM network WHERE id = ?", arguments: [id])
        }
    }

    /// Records `endpoint` with the first free address `choose` offers: the
    /// check and the insert are one transaction.
    func insert(_ endpoint: Endpoint, choose: (Set<IPv4Address>) throws(NetworkError) -> IPv4Address) throws(NetworkError) -> Endpoint {
        var result = endpoint
        try write("save endpoint of \(endpoint.containerID.prefix(12))") { db in
            let used = Set(try String.fetchAll(db, sql: "SELECT address FROM endpoint WHERE network_id = ?", arguments: [endpoint.networkID])
                .compactMap { IPv4Address($0) })
            result.address = try choose(used)
            result.mac = MACAddress(for: result.address).description
            let data = try JSONEncoder().encode(result)
            try db.execute(sql: """
                INSERT INTO endpoint (id, network_id, container_id, address, record) VALUES (?, ?, ?, ?, ?)
                """, arguments: [result.id, result.networkID, result.containerID, result.address.description, data])
        }
        return result
    }

    /// Rewrites an endpoint's record (a rename); its address stays.
    func update(_ endpoint: Endpoint) throws(NetworkError) {
        let data = try encode(endpoint)
        try write("save endpoint of \(endpoint.containerID.prefix(12))") { db in
            try db.execute(sql: "UPDATE endpoint SET record = ? WHERE id = ?", arguments: [data, endpoint.id])
        }
    }

    func deleteEndpoint(id: String) throws(NetworkError) {
        try write("delete endpoint \(id)") { db in
            try db.execute(sql: "DELETE FROM endpoint WHERE id = ?", arguments: [id])
        }
    }

    private func encode<T: Encodable>(_ value: T) throws(NetworkError) -> Data {
        do { return try JSONEncoder().encode(value) } catch { throw NetworkError(.system, "encode: \(error)") }
    }

    private func read<T>(_ step: String, _ body: (Database) throws -> T) throws(NetworkError) -> T {
        do { return try queue.read(body) } catch { throw NetworkError(.system, "\(step): \(error)") }
    }

    private func write(_ step: String, _ body: (Database) throws -> Void) throws(NetworkError) {
        do {
            try queue.write(body)
        } catch let error as NetworkError {
            throw error
        } catch {
            throw NetworkError(.system, "\(step): \(error)")
        }
    }
}
