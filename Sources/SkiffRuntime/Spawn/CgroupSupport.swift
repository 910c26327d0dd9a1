import Glibc
import SkiffCgroups
import SkiffOCI

/// A child's own way into its cgroup: the v1 `tasks` files it writes "0" to, and the cgroup2
/// directory it is cloned into (-1: none). The fds are the parent's; the child gets copies.
struct CgroupEntry {
    var tasksFDs: [Int32] = []
    var cgroup2FD: Int32 = -1

    mutating func close() {
        for fd in tasksFDs { Glibc.close(fd) }
        if cgroup2FD >= 0 { Glibc.close(cgroup2FD) }
        tasksFDs = []
        cgroup2FD = -1
    }
}

/// The runtime's use of SkiffCgroups: errors as RuntimeError, runc's standard
/// device rules after the config's, and the container's /sys/fs/cgroup mounts.
enum CgroupSupport {
    static func create(
        cgroupsPath: String?, id: String, resources: RuntimeSpec.Resources?, devices: [RuntimeSpec.Device]?
    ) throws(RuntimeError) -> CgroupPaths {
        var resources = resources ?? RuntimeSpec.Resources()
        var rules = resources.devices ?? []
        if !rules.isEmpty {
            rules += CgroupManager.standardDeviceRules
            for d in devices ?? [] where d.type != "p" {
                rules.append(.init(allow: true, type: d.type == "u" ? "c" : d.type, major: d.major, minor: d.minor, access: "rwm"))
            }
            resources.devices = rules
        }
        var manager: CgroupManager
        do {
            manager = try CgroupManager.forContainer(id: id, cgroupsPath: cgroupsPath)
        } catch {
            throw RuntimeError(stage: "cgroup", "\(error)")
        }
        do {
            try manager.create(resources: resources)
        } catch {
            try? manager.destroy()
            throw RuntimeError(stage: "cgroup", "\(error)", errno: error.errno)
        }
        return manager.paths
    }

    /// Adds `pid` to the v1 hierarchies (`v1`) and the cgroup2 directory (`cgroup2`): the parts
    /// it did not enter by itself.
    static func add(pid: Int32, to paths: CgroupPaths, v1: Bool = true, cgroup2: Bool = true) throws(RuntimeError) {
        do {
            try CgroupManager(paths: paths).addProcess(pid: pid, v1: v1, cgroup2: cgroup2)
        } catch {
            throw RuntimeError(stage: "cgroup", "\(error)", errno: error.errno)
        }
    }

    /// Opens what a child needs to enter the cgroup by itself (see `CgroupManager.entry`).
    static func openEntry(_ paths: CgroupPaths) throws(RuntimeError) -> CgroupEntry {
        let (tasksFiles, cgroup2) = CgroupManager(paths: paths).entry
        var entry = CgroupEntry()
        for file in tasksFiles {
            let fd = open(file, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                entry.close()
                throw RuntimeError.system("cgroup", "open \(file)")
            }
            entry.tasksFDs.append(fd)
        }
        if let cgroup2 { entry.cgroup2FD = open(cgroup2, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        return entry
    }

    static func destroy(_ paths: CgroupPaths) throws(RuntimeError) {
        do {
            try CgroupManager(paths: paths).destroy()
        } catch {
            throw RuntimeError(stage: "cgroup", "\(error)", errno: error.errno)
        }
    }

    static func freeze(_ paths: CgroupPaths) throws(RuntimeError) {
        do {
            try CgroupManager(paths: paths).freeze()
        } catch {
            throw RuntimeError(stage: "pause", "\(error)", errno: error.errno)
        }
    }

    static func unfreeze(_ paths: CgroupPaths) throws(RuntimeError) {
        do {
            try CgroupManager(paths: paths).thaw()
        } catch {
            throw RuntimeError(stage: "resume", "\(error)", errno: error.errno)
        }
    }

    static func thaw(_ paths: CgroupPaths) {
        let manager = CgroupManager(paths: paths)
        if (try? manager.isFrozen()) == true { try? manager.thaw() }
    }

    static func isFrozen(_ paths: CgroupPaths) -> Bool {
        (try? CgroupManager(paths: paths).isFrozen()) ?? false
    }

    static func processes(_ paths: CgroupPaths) -> [Int32] {
        (try? CgroupManager(paths: paths).processes()) ?? []
    }

    /// The mounts that stand for an OCI `cgroup` mount: the container's own
    /// cgroup, through a cgroup namespace when it has one, else bind-mounted.
    static func mounts(for mount: RuntimeSpec.Mount, cgroup: CgroupPaths, cgroupNamespace: Bool) -> [MountEntry] {
        let options = MountOptions(mount.options ?? [])
        let readonly = options.flags & UInt(MS_RDONLY) != 0
        let baseFlags = options.flags & UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME)
        let dest = mount.destination
        func bind(_ source: String, _ target: String) -> MountEntry {
            MountEntry(source: source, target: target, fstype: nil, data: nil, flags: UInt(MS_BIND | MS_REC),
                       remountFlags: baseFlags | (readonly ? UInt(MS_RDONLY) : 0), isBind: true, sourceIsDirectory: true)
        }
        if cgroup.mode == .unified {
            guard let dir = cgroup.unified else { return [] }
            if cgroupNamespace {
                return [MountEntry(source: "cgroup2", target: dest, fstype: "cgroup2", data: nil, flags: options.flags)]
            }
            return [bind(dir, dest)]
        }
        var entries = [MountEntry(source: "tmpfs", target: dest, fstype: "tmpfs", data: "mode=755",
                                  flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC))]
        // Co-mounted controllers share a directory: one mount for each.
        var byDirectory: [String: [String]] = [:]
        for (controller, dir) in cgroup.controllers { byDirectory[dir, default: []].append(controller) }
        for (dir, controllers) in byDirectory.sorted(by: { $0.value.sorted()[0] < $1.value.sorted()[0] }) {
            let names = controllers.sorted().joined(separator: ",")
            // A named hierarchy (name=systemd) is mounted as /sys/fs/cgroup/systemd.
            let target = dest + "/" + (names.hasPrefix("name=") ? String(names.dropFirst(5)) : names)
            if cgroupNamespace {
                let data = names.hasPrefix("name=") ? "none," + names : names
                entries.append(MountEntry(source: "cgroup", target: target, fstype: "cgroup", data: data, flags: options.flags))
            } else {
                entries.append(bind(dir, target))
            }
        }
        return entries
    }
}
