/// Where one container's cgroup is: enough to rebuild its `CgroupManager` in another process
/// (a later `delete` or `pause`) from the container's state file.
public struct CgroupPaths: Codable, Sendable, Equatable {
    public var mode: CgroupMode
    /// v1 and hybrid: controller name → the container's directory in that controller's hierarchy.
    /// Co-mounted controllers (`cpu,cpuacct`) share a directory.
    public var controllers: [String: String]
    /// unified: the container's directory. hybrid: its directory in the controller-less cgroup2
    /// hierarchy, where processes are placed too (nil if that could not be made).
    public var unified: String?
    /// The cgroup2 mount point above `unified`; controllers are enabled from there down.
    public var unifiedMount: String?
    /// Directories `create` made, outermost first. `destroy` always removes the container's own
    /// directories, and of these the ones left empty.
    public var created: [String]

    /// The container's v1 directories, one per hierarchy (co-mounted controllers counted once), sorted.
    public var hierarchyDirectories: [String] { Set(controllers.values).sorted() }

    public init(
        mode: CgroupMode, controllers: [String: String] = [:], unified: String? = nil,
        unifiedMount: String? = nil, created: [String] = []
    ) {
        self.mode = mode
        self.controllers = controllers
        self.unified = unified
        self.unifiedMount = unifiedMount
        self.created = created
    }

    /// The v1 hierarchies a container is placed in, when mounted: the
    /// controllers, and systemd's named hierarchy as runc and crun do.
    public static let v1Controllers = ["cpu", "cpuacct", "cpuset", "memory", "pids", "freezer", "devices", "blkio", "hugetlb", "name=systemd"]

    /// The container's directories, each once: the v1 ones, then the cgroup2 one.
    public var directories: [String] {
        var seen: Set<String> = []
        var result: [String] = []
        for dir in controllers.keys.sorted().compactMap({ controllers[$0] }) + (unified.map { [$0] } ?? [])
        where seen.insert(dir).inserted {
            result.append(dir)
        }
        return result
    }
}

extension CgroupPaths {
    /// Resolves a container's cgroup on this host (`root` prefixes /proc and the mount points).
    public static func resolve(cgroupsPath: String?, id: String, root: String = "") throws(CgroupError) -> CgroupPaths {
        try resolve(
            cgroupsPath: cgroupsPath, id: id, mounts: CgroupMounts.read(root: root), own: ProcessCgroups.read(root: root))
    }

    /// Resolves OCI `linux.cgroupsPath` for container `id`:
    /// - absolute (`/a/b`): that path in every hierarchy;
    /// - relative (`a/b`), or `skiff/<id>` when absent: under the caller's own cgroup of each hierarchy
    ///   (`own`), so a runtime confined to `memory:/process_api/x` nests below it;
    /// - systemd style (`slice:prefix:name`): `/<expanded slice>/<prefix>-<name>.scope`, as if made by
    ///   systemd but without asking it.
    public static func resolve(
        cgroupsPath: String?, id: String, mounts: CgroupMounts, own: ProcessCgroups
    ) throws(CgroupError) -> CgroupPaths {
        let (absolute, path) = try parseCgroupsPath(cgroupsPath, id: id)
        func cgroup(_ key: String) -> [String] {
            absolute ? path : clean(components(of: own.paths[key] ?? "/") + path)
        }
        var paths = CgroupPaths(mode: mounts.mode)
        if mounts.mode != .unified {
            for controller in v1Controllers {
                if let hierarchy = mounts.hierarchy(for: controller) {
                    paths.controllers[controller] = hierarchy.directory(of: cgroup(controller))
                }
            }
        }
        if let unified = mounts.unified, mounts.mode != .v1 {
            paths.unified = unified.directory(of: cgroup(""))
            paths.unifiedMount = unified.mountPoint
        }
        return paths
    }

    /// Splits `cgroupsPath` into (is absolute, clean components).
    static func parseCgroupsPath(_ cgroupsPath: String?, id: String) throws(CgroupError) -> (Bool, [String]) {
        let stage = "resolve cgroupsPath"
        guard let given = cgroupsPath, !given.isEmpty else {
            guard !id.isEmpty, !id.contains("/"), id != ".", id != ".." else {
                throw CgroupError(stage: stage, detail: "container id \"\(id)\" cannot name a cgroup")
            }
            return (false, ["skiff", id])
        }
        if given.hasPrefix("/") { return (true, clean(components(of: given))) }
        guard given.contains(":") else { return (false, clean(components(of: given))) }

        let parts = given.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[2].isEmpty, !parts.contains(where: { $0.contains("/") }) else {
            throw CgroupError(stage: stage, detail: "\"\(given)\" is neither a path nor \"slice:prefix:name\"")
        }
        let slice = parts[0].isEmpty ? "system.slice" : parts[0]
        guard let expanded = expandSlice(slice) else {
            throw CgroupError(stage: stage, detail: "\"\(given)\": invalid slice name \"\(slice)\"")
        }
        let (prefix, name) = (parts[1], parts[2])
        let unit = name.hasSuffix(".slice") ? name : (prefix.isEmpty ? "\(name).scope" : "\(prefix)-\(name).scope")
        return (true, clean(expanded + [unit]))
    }

    /// systemd's slice nesting: `a-b-c.slice` → `a.slice/a-b.slice/a-b-c.slice`; `-.slice` is the root.
    static func expandSlice(_ slice: String) -> [String]? {
        let suffix = ".slice"
        guard slice.hasSuffix(suffix), slice.count > suffix.count, !slice.contains("/") else { return nil }
        let name = String(slice.dropLast(suffix.count))
        if name == "-" { return [] }
        var path: [String] = []
        var prefix = ""
        for part in name.split(separator: "-", omittingEmptySubsequences: false) {
            if part.isEmpty { return nil }
            path.append(prefix + part + suffix)
            prefix += part + "-"
        }
        return path
    }

    /// Drops `.` and resolves `..` lexically, never above the first component.
    static func clean(_ parts: [String]) -> [String] {
        var result: [String] = []
        for part in parts {
            switch part {
            case "", ".": continue
            case "..": if !result.isEmpty { result.removeLast() }
            default: result.append(part)
            }
        }
        return result
    }
}
