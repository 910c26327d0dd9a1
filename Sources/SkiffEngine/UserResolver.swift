import CSkiffSpawn
import Glibc
import SkiffOCI

/// Docker's `--user` forms (`uid`, `uid:gid`, `name`, `name:group`) resolved
/// against the container's own /etc/passwd and /etc/group, read inside its
/// root (a symlink in the image cannot point the lookup at the host's files).
public struct UserResolver {
    let rootfs: String

    public init(rootfs: String) {
        self.rootfs = rootfs
    }

    public struct Resolved: Equatable, Sendable {
        public var uid: UInt32
        public var gid: UInt32
        public var additionalGids: [UInt32]
    }

    /// `spec` (`user`, `uid`, `user:group`, `uid:gid`) against the root's passwd and group files.
    public func resolve(_ spec: String) throws(EngineError) -> Resolved {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0].isEmpty ? "0" : parts[0]
        let passwd = entries(file("/etc/passwd"))
        let groups = entries(file("/etc/group"))
        var uid: UInt32
        var gid: UInt32 = 0
        var name: String?
        if let n = UInt32(userPart) {
            uid = n
            if let entry = passwd.first(where: { $0.count > 3 && UInt32($0[2]) == n }) {
                gid = UInt32(entry[3]) ?? 0
                name = entry[0]
            }
        } else {
            guard let entry = passwd.first(where: { $0.first == userPart }), entry.count > 3,
                  let u = UInt32(entry[2]), let g = UInt32(entry[3]) else {
                throw EngineError(.invalid, "unable to find user \(userPart): no matching entries in passwd file")
            }
            uid = u
            gid = g
            name = userPart
        }
        if parts.count > 1 {
            let groupPart = parts[1]
            if let n = UInt32(groupPart) {
                gid = n
            } else if let entry = groups.first(where: { $0.first == groupPart }), entry.count > 2, let g = UInt32(entry[2]) {
                gid = g
            } else {
                throw EngineError(.invalid, "unable to find group \(groupPart): no matching entries in group file")
            }
        }
        // As dockerd (runc's GetExecUser): the primary group, then, unless a group
        // was given, the groups that list the user as a member.
        var additional: [UInt32] = [gid]
        if let name, parts.count == 1 {
            for entry in groups where entry.count > 3 {
                let members = entry[3].split(separator: ",").map(String.init)
                if members.contains(name), let g = UInt32(entry[2]), !additional.contains(g) { additional.append(g) }
            }
        }
        return Resolved(uid: uid, gid: gid, additionalGids: additional)
    }

    /// The owner `COPY --chown=user[:group]` gives (Docker's rule, not `--user`'s): names from
    /// the root's passwd and group files; without a group, the group named like the user, else
    /// the uid's number as the gid.
    public func chownIDs(_ spec: String) throws(EngineError) -> (uid: UInt32, gid: UInt32) {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0]
        let uid: UInt32
        if let n = UInt32(userPart) {
            uid = n
        } else {
            guard let entry = entries(file("/etc/passwd")).first(where: { $0.first == userPart }), entry.count > 2,
                  let n = UInt32(entry[2]) else {
                throw EngineError(.invalid, "unable to convert uid/gid chown string to host mapping: can't find uid for user \(userPart): no such user: \(userPart)")
            }
            uid = n
        }
        let groupPart = parts.count > 1 ? parts[1] : userPart
        if let n = UInt32(groupPart) { return (uid, n) }
        if let entry = entries(file("/etc/group")).first(where: { $0.first == groupPart }), entry.count > 2, let n = UInt32(entry[2]) {
            return (uid, n)
        }
        guard parts.count == 1 else {
            throw EngineError(.invalid, "unable to convert uid/gid chown string to host mapping: can't find gid for group \(groupPart): no such group: \(groupPart)")
        }
        return (uid, uid)
    }

    /// `spec` resolved, with the `--group-add` groups after its own: a process's user.
    func processUser(_ spec: String, groupAdd: [String]) throws(EngineError) -> RuntimeSpec.User {
        let user = try resolve(spec)
        var gids = user.additionalGids
        for g in try groupIDs(groupAdd) where !gids.contains(g) { gids.append(g) }
        return RuntimeSpec.User(uid: user.uid, gid: user.gid, additionalGids: gids)
    }

    /// Group names or ids (`--group-add`) to gids.
    func groupIDs(_ names: [String]) throws(EngineError) -> [UInt32] {
        let groups = entries(file("/etc/group"))
        var result: [UInt32] = []
        for name in names {
            if let n = UInt32(name) {
                result.append(n)
            } else if let entry = groups.first(where: { $0.first == name }), entry.count > 2, let g = UInt32(entry[2]) {
                result.append(g)
            } else {
                throw EngineError(.invalid, "Unable to find group \(name)")
            }
        }
        return result
    }

    private func entries(_ text: String) -> [[String]] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map {
            $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
    }

    private func file(_ path: String) -> String {
        let fd = skiff_open_in_root(rootfs, path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while bytes.count < 4 << 20 {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
