import Glibc
import SkiffCgroups
import SkiffOCI

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

    static func add(pid: Int32, to paths: CgroupPaths) throws(RuntimeError) {
        do {
            try CgroupManager(paths: paths).addProcess(pid: pid)
        } catch {
            throw RuntimeError(stage: "cgroup", "\(error)", errno: error.errno)
        }
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
