import Glibc
import SkiffSystem
import SkiffOCI

/// A mount as the spawn child performs it.
struct MountEntry: Equatable {
    var source: String?
    var target: String
    var fstype: String?
    var data: String?
    var flags: UInt
    var remountFlags: UInt = 0
    var propagation: UInt = 0
    var isBind = false
    var sourceIsDirectory = true
}

/// Parses OCI mount options into mount(2) flags, the way runc does (also
/// the local volume driver's `o=`).
public struct MountOptions: Equatable, Sendable {
    public var flags: UInt = 0
    public var propagation: UInt = 0
    /// File-system options (`size=64m`), in order.
    public var data: [String] = []
    public var isBind = false

    static let setFlags: [String: UInt] = [
        "bind": UInt(MS_BIND), "rbind": UInt(MS_BIND | MS_REC), "dirsync": UInt(MS_DIRSYNC),
        "mand": UInt(MS_MANDLOCK), "noatime": UInt(MS_NOATIME), "nodev": UInt(MS_NODEV),
        "nodiratime": UInt(MS_NODIRATIME), "noexec": UInt(MS_NOEXEC), "nosuid": UInt(MS_NOSUID),
        "relatime": UInt(MS_RELATIME), "remount": UInt(MS_REMOUNT), "ro": UInt(MS_RDONLY),
        "rro": UInt(MS_RDONLY), "silent": UInt(MS_SILENT), "strictatime": UInt(MS_STRICTATIME),
        "sync": UInt(MS_SYNCHRONOUS),
    ]
    static let clearFlags: [String: UInt] = [
        "async": UInt(MS_SYNCHRONOUS), "atime": UInt(MS_NOATIME), "defaults": 0, "dev": UInt(MS_NODEV),
        "diratime": UInt(MS_NODIRATIME), "exec": UInt(MS_NOEXEC), "nomand": UInt(MS_MANDLOCK),
        "norelatime": UInt(MS_RELATIME), "nostrictatime": UInt(MS_STRICTATIME), "rw": UInt(MS_RDONLY),
        "suid": UInt(MS_NOSUID),
    ]
    static let propagationFlags: [String: UInt] = [
        "private": UInt(MS_PRIVATE), "rprivate": UInt(MS_PRIVATE | MS_REC),
        "shared": UInt(MS_SHARED), "rshared": UInt(MS_SHARED | MS_REC),
        "slave": UInt(MS_SLAVE), "rslave": UInt(MS_SLAVE | MS_REC),
        "unbindable": UInt(MS_UNBINDABLE), "runbindable": UInt(MS_UNBINDABLE | MS_REC),
    ]
    /// runc extensions with no meaning here.
    static let ignored: Set<String> = ["tmpcopyup", "idmap", "ridmap", "rrw", "recursive"]

    public init(_ options: [String]) {
        for option in options {
            if let f = Self.setFlags[option] {
                flags |= f
                if option == "bind" || option == "rbind" { isBind = true }
            } else if let f = Self.clearFlags[option] {
                flags &= ~f
            } else if let p = Self.propagationFlags[option] {
                propagation = p
            } else if !Self.ignored.contains(option) {
                data.append(option)
            }
        }
    }

    /// Flags a bind mount applies in a second, remounting step.
    public var remountFlags: UInt {
        flags & ~UInt(MS_BIND | MS_REC | MS_REMOUNT)
    }
}

extension MountEntry {
    /// The child-side mount for an OCI mount; relative bind sources are
    /// relative to the bundle.
    init(_ mount: RuntimeSpec.Mount, bundle: String) {
        let options = MountOptions(mount.options ?? [])
        let isBind = options.isBind || mount.type == "bind"
        var source = mount.source
        if isBind, let s = source, !s.hasPrefix("/") { source = bundle + "/" + s }
        self.init(
            source: source,
            target: mount.destination,
            fstype: isBind ? nil : mount.type,
            data: options.data.isEmpty ? nil : options.data.joined(separator: ","),
            flags: isBind ? (options.flags & UInt(MS_REC)) | UInt(MS_BIND) : options.flags,
            remountFlags: isBind ? options.remountFlags : 0,
            propagation: options.propagation,
            isBind: isBind,
            sourceIsDirectory: isBind ? Directories.isDirectory(source ?? "") : true)
    }
}
