import FoundationEssentials
import Glibc
import SkiffOCI
import SkiffSystem

/// The runtime's state directory (`--root`, default /run/skiff-runtime):
/// one directory per container holding state.json and, until `start`,
/// exec.fifo.
public struct StateStore: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    func directory(_ id: String) -> String { "\(root)/\(id)" }
    func fifoPath(_ id: String) -> String { "\(root)/\(id)/exec.fifo" }

    /// Container ids are path components: letters, digits, `_`, `-`, `.`, `+`.
    static func validate(id: String) throws(RuntimeError) {
        let allowed = id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d || c == 0x2e || c == 0x2b
        }
        guard !id.isEmpty, allowed, id != ".", id != ".." else {
            throw RuntimeError(stage: "id", "invalid container id \"\(id)\": use letters, digits and _ - . +")
        }
    }

    /// Makes the container's directory; fails if the id is taken.
    func reserve(_ id: String) throws(RuntimeError) {
        try StateStore.validate(id: id)
        try FileIO.makeDirectories(root, mode: 0o711)
        guard mkdir(directory(id), 0o711) == 0 else {
            if errno == EEXIST { throw RuntimeError(stage: "create", "container with id \"\(id)\" already exists", errno: EEXIST) }
            throw .system("create", "mkdir \(directory(id))")
        }
    }

    func save(_ record: ContainerRecord) throws(RuntimeError) {
        let data: Data
        do {
            data = try JSONEncoder().encode(record)
        } catch {
            throw RuntimeError(stage: "state", "encode state of \(record.id): \(error)")
        }
        try FileIO.writeAtomic("\(directory(record.id))/state.json", Array(data), mode: 0o600)
    }

    func load(_ id: String) throws(RuntimeError) -> ContainerRecord {
        try StateStore.validate(id: id)
        let path = "\(directory(id))/state.json"
        guard Directories.exists(path) else {
            throw RuntimeError(stage: "state", "container \"\(id)\" does not exist", errno: ENOENT)
        }
        let bytes = try FileIO.read(path)
        do {
            return try JSONDecoder().decode(ContainerRecord.self, from: Data(bytes))
        } catch {
            throw RuntimeError(stage: "state", "state of container \"\(id)\" is unreadable: \(error)")
        }
    }

    /// Keeps the container's config as it was read at create.
    func saveConfig(_ bytes: [UInt8], id: String) throws(RuntimeError) {
        try FileIO.writeAtomic("\(directory(id))/config.json", bytes, mode: 0o600)
    }

    /// The config the container was created with.
    func config(_ id: String) throws(RuntimeError) -> RuntimeSpec {
        let bytes = try FileIO.read("\(directory(id))/config.json")
        do {
            return try RuntimeSpec.decode(Data(bytes))
        } catch {
            throw RuntimeError(stage: "state", "config of container \"\(id)\": \(error)")
        }
    }

    func remove(_ id: String) {
        Directories.removeTree(directory(id))
    }

    func ids() -> [String] {
        Directories.list(root).filter { Directories.exists("\(root)/\($0)/state.json") }.sorted()
    }
}
