/// A mount a container asks for (`-v`, `--mount`), as the API layer parsed
/// it; the volumes it names are found or made at create.
public struct MountRequest: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case bind, volume, tmpfs
    }
    public var kind: Kind
    /// bind: the host path; volume: the name ("" for a new anonymous volume); tmpfs: "".
    public var source: String
    /// Absolute and clean.
    public var destination: String
    public var readOnly = false
    /// Docker's mode text (`-v`'s third field: "ro", "ro,z", "nocopy"), shown in inspect.
    public var mode = ""
    /// bind: "rprivate", "rshared", "slave", ... (nil: rprivate).
    public var propagation: String?
    /// bind: `bind-nonrecursive` (a plain bind, not rbind).
    public var nonRecursive = false
    /// bind: a missing source becomes a directory (`-v`, and `--mount` with
    /// CreateMountpoint) rather than an error.
    public var createSource = false
    /// volume: the image's content is not copied into a new volume.
    public var noCopy = false
    /// volume: the driver, labels and driver options for a volume made here.
    public var volumeDriver: String?
    public var volumeLabels: [String: String] = [:]
    public var volumeOptions: [String: String] = [:]
    /// tmpfs: size in bytes and permission bits (0: the kernel's defaults).
    public var tmpfsSize: Int64 = 0
    public var tmpfsMode: UInt32 = 0
    /// tmpfs: "exec" or "noexec".
    public var tmpfsFlags: [String] = []
    /// The `-v` text it came from; nil for `--mount` (inspect echoes each in its own list).
    public var bindSpec: String?

    public init(kind: Kind, source: String, destination: String) {
        self.kind = kind
        self.source = source
        self.destination = destination
    }
}

/// `--volumes-from CONTAINER[:MODE]`.
public struct VolumesFromRequest: Codable, Sendable, Equatable {
    public var container: String
    /// As given ("", "ro", "rw", "z", "ro,z").
    public var mode: String
    public var readOnly: Bool

    public init(container: String, mode: String, readOnly: Bool) {
        self.container = container
        self.mode = mode
        self.readOnly = readOnly
    }

    /// Back to Docker's text: `CONTAINER[:MODE]`.
    public var text: String { mode.isEmpty ? container : container + ":" + mode }
}

/// A container's mount as resolved at create (inspect's `Mounts`, and the
/// binds and tmpfs mounts of its spec).
public struct ContainerMount: Codable, Sendable, Equatable {
    public var kind: MountRequest.Kind
    /// volume: its name.
    public var name: String?
    /// bind: the host path; volume: its `_data`; tmpfs: "".
    public var source: String
    public var destination: String
    /// volume: "local".
    public var driver: String?
    /// Docker's Mode: "z" for a named local volume given without one, "" for an anonymous image volume.
    public var mode: String
    public var readWrite: Bool
    /// Docker's Propagation: "rprivate" unless given for a bind, "" for volumes and tmpfs.
    public var propagation: String
    public var nonRecursive = false
    /// volume: the image's content goes in when the volume is empty (at create).
    public var copyUp = false
    /// bind: a missing source becomes a directory at start.
    public var createSource = false
    /// tmpfs: mount options ("size=64m", "mode=1777", "ro").
    public var tmpfsOptions: [String] = []
    /// volume: made for this container without a name; `rm -v` removes it.
    public var anonymous = false

    public init(kind: MountRequest.Kind, source: String, destination: String, readWrite: Bool) {
        self.kind = kind
        self.source = source
        self.destination = destination
        self.readWrite = readWrite
        self.mode = ""
        self.propagation = ""
    }
}
