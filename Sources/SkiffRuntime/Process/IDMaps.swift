import SkiffOCI

enum IDMaps {
    /// Writes the user namespace id maps of `pid` (the parent's part).
    static func write(pid: Int32, uid: [RuntimeSpec.IDMapping]?, gid: [RuntimeSpec.IDMapping]?) throws(RuntimeError) {
        func text(_ maps: [RuntimeSpec.IDMapping]?) -> String {
            (maps ?? []).map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
        }
        guard let uid, !uid.isEmpty, let gid, !gid.isEmpty else {
            throw RuntimeError(stage: "config", "config.json: linux.uidMappings and linux.gidMappings: required with a new user namespace")
        }
        try FileIO.writeInPlace("/proc/\(pid)/uid_map", text(uid))
        try FileIO.writeInPlace("/proc/\(pid)/gid_map", text(gid))
    }
}
