import FoundationEssentials
import Glibc
import SkiffAPI

/// The daemon's ID (/info): a UUID kept in `<data-root>/engine-id`, as dockerd does.
func daemonID(dataRoot: String) throws(ServerError) -> String {
    let path = dataRoot + "/engine-id"
    if let data = FileManager.default.contents(atPath: path),
       let id = String(data: data, encoding: .utf8)?.split(separator: "\n").first, !id.isEmpty {
        return String(id)
    }
    let id = UUID().uuidString.lowercased()
    guard FileManager.default.createFile(atPath: path, contents: Data(id.utf8), attributes: [.posixPermissions: 0o600]) else {
        throw ServerError("cannot write \(path)")
    }
    return id
}
