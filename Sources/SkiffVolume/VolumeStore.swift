import FoundationEssentials
import Glibc
import GRDB
import SkiffSystem

/// The local volume driver: `<data-root>/volumes/<name>/_data` directories
/// (Docker's layout), their metadata in `volumes.db`. Who uses a volume is
/// the engine's to know (its containers); the store creates, lists, mounts
/// (driver options), fills (copy-up) and removes.
///
/// Not an actor: the engine calls it from its own thread only, so a check
/// ("in use?") and the change that follows cannot interleave with another.
public struct VolumeStore: Sendable {
    /// `<data-root>/volumes`.
    public let root: String
    let db: VolumeDatabase

    public init(dataRoot: String) throws(VolumeError) {
        root = dataRoot + "/volumes"
        do {
            try Directories.make(root, mode: 0o701)
        } catch {
            throw VolumeError(.system, "volume root: \(error)")
        }
        db = try VolumeDatabase(path: dataRoot + "/volumes.db")
        try reconcile()
    }

    public func directory(_ name: String) -> String { "\(root)/\(name)" }
    public func dataPath(_ name: String) -> String { "\(root)/\(name)/_data" }

    // MARK: Reading

    /// Every volume, by name.
    public func list() throws(VolumeError) -> [Volume] {
        do {
            return try db.queue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM volume ORDER BY name").map { VolumeDatabase.volume($0, root: root) }
            }
        } catch {
            throw VolumeError(.system, "read volumes: \(error)")
        }
    }

    /// The volume called `name`, nil if there is none.
    public func find(_ name: String) throws(VolumeError) -> Volume? {
        do {
            return try db.queue.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM volume WHERE name = ?", arguments: [name]).map { VolumeDatabase.volume($0, root: root) }
            }
        } catch {
            throw VolumeError(.system, "read volume \(name): \(error)")
        }
    }

    /// The volume called `name`; dockerd's "no such volume" if there is none.
    public func get(_ name: String) throws(VolumeError) -> Volume {
        guard let volume = try find(name) else { throw .noSuchVolume(name) }
        return volume
    }

    // MARK: Create and remove

    /// Creates `name` (its directories and row in one transaction), or
    /// returns the existing one of that name (its options and labels kept,
    /// as dockerd does). `created` says which.
    public func create(
        name: String, driver: String? = nil, labels: [String: String] = [:], options: [String: String] = [:], anonymous: Bool = false
    ) throws(VolumeError) -> (volume: Volume, created: Bool) {
        do {
            try VolumeRules.validateDriver(driver)
            try VolumeRules.validateName(name)
            try VolumeRules.validateOptions(options)
        } catch {
            throw VolumeError(error.kind, "create \(name): \(error.message)")
        }
        if let existing = try find(name) { return (existing, false) }
        var allLabels = labels
        if anonymous { allLabels[VolumeRules.anonymousLabel] = "" }
        let volume = Volume(
            name: name, driver: VolumeRules.localDriver, labels: allLabels, options: options,
            createdAt: Timestamp.format(seconds: Int64(time(nil))), anonymous: anonymous, mountpoint: dataPath(name))
        let dir = directory(name)
        do {
            return try db.queue.write { db in
                if let row = try Row.fetchOne(db, sql: "SELECT * FROM volume WHERE name = ?", arguments: [name]) {
                    return (VolumeDatabase.volume(row, root: root), false)
                }
                guard mkdir(dir, 0o701) == 0 || errno == EEXIST else { throw SystemError("mkdir \(dir)") }
                do {
                    guard mkdir(volume.mountpoint, 0o755) == 0 || errno == EEXIST else { throw SystemError("mkdir \(volume.mountpoint)") }
                    try VolumeDatabase.insert(volume, into: db)
                } catch {
                    Directories.removeTree(dir)
                    throw error
                }
                return (volume, true)
            }
        } catch {
            throw VolumeError(.system, "create \(name): \(error)")
        }
    }

    /// Removes a volume: its mount (driver options) undone first, then its
    /// row and its directory — never what a mount below it holds.
    public func remove(_ name: String) throws(VolumeError) {
        let volume = try get(name)
        try unmount(volume)
        let dir = directory(name)
        do {
            try db.queue.write { db in
                try db.execute(sql: "DELETE FROM volume WHERE name = ?", arguments: [name])
                Directories.removeTree(dir)
                if Directories.exists(dir) { throw SystemError("remove \(dir)", errno: ENOTEMPTY) }
            }
        } catch {
            throw VolumeError(.system, "remove \(name): \(error)")
        }
    }

    /// Bytes in the files of a volume (hard links once), not crossing into other file systems.
    public func size(_ volume: Volume) -> Int64 {
        var seen = Set<UInt64>()
        var st = stat()
        guard lstat(volume.mountpoint, &st) == 0 else { return 0 }
        return Self.size(of: volume.mountpoint, device: st.st_dev, seen: &seen)
    }

    private static func size(of path: String, device: dev_t, seen: inout Set<UInt64>) -> Int64 {
        var total: Int64 = 0
        for name in Directories.list(path) {
            let child = path + "/" + name
            var st = stat()
            guard lstat(child, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR where st.st_dev == device:
                total += size(of: child, device: device, seen: &seen)
            case S_IFREG:
                if st.st_nlink > 1 && !seen.insert(UInt64(st.st_ino)).inserted { continue }
                total += Int64(st.st_size)
            default:
                break
            }
        }
        return total
    }

    /// After a crash: a row whose directories went missing gets them back;
    /// a directory without a row that a create left half-made (empty `_data`)
    /// goes. A directory with data and no row is left for the operator.
    private func reconcile() throws(VolumeError) {
        let volumes = try list()
        let known = Set(volumes.map(\.name))
        for volume in volumes where !Directories.isDirectory(volume.mountpoint) {
            try? Directories.make(volume.mountpoint, mode: 0o755)
        }
        for name in Directories.list(root) where !known.contains(name) {
            let data = dataPath(name)
            if Directories.isDirectory(directory(name)), Directories.list(data).isEmpty, !MountTable.current().isMountPoint(data) {
                Directories.removeTree(directory(name))
            }
        }
    }
}
