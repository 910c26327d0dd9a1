import CSkiffSpawn
import Glibc
import SkiffArchive
import SkiffSystem

/// A container's file system as `docker cp` sees it, the way dockerd builds it: the container's
/// root (mounted on the host while it is used) with its volumes, binds and hosts, hostname and
/// resolv.conf files mounted at their places — in a mount namespace of one thread's own, so
/// none of it shows on the host and all of it goes when the thread ends. Mount points are
/// found (and made, when missing) inside the root, and every path the work uses is resolved
/// inside it too (RootedTree): a symlink in the container can only lead to another place in
/// the container, a volume's content included. tmpfs mounts are not part of the view (dockerd's
/// view lacks them too): what is copied there lands in the root below them.
struct ContainerView: Sendable {
    struct Bind: Sendable, Equatable {
        var source: String
        /// Absolute, in the container.
        var destination: String
        var readOnly: Bool
        var recursive: Bool
        /// A missing mount point is made (volumes and binds); else the bind is left out (the
        /// network files of a container that never ran).
        var makeMountPoint: Bool
    }

    /// The container's root, mounted.
    var rootfs: String
    /// Shallow first.
    var binds: [Bind]

    /// Runs `body` on a thread of its own, inside the view.
    func run<T: Sendable>(_ body: @escaping @Sendable (RootedTree) throws -> T) async -> Result<T, any Error> {
        await withCheckedContinuation { continuation in
            detachThread {
                continuation.resume(returning: Result {
                    try enter()
                    return try body(RootedTree(root: rootfs))
                })
            }
        }
    }

    /// Leaves the host's mount namespace (this thread only) and mounts the binds.
    private func enter() throws(EngineError) {
        guard skiff_unshare(SKIFF_CLONE_NEWNS) == 0 else { throw Self.failure("unshare the mount namespace") }
        guard Glibc.mount(nil, "/", nil, UInt(MS_REC | MS_PRIVATE), nil) == 0 else { throw Self.failure("make / private") }
        var root = stat()
        var parent = stat()
        guard stat(rootfs, &root) == 0, stat(rootfs + "/..", &parent) == 0, root.st_dev != parent.st_dev else {
            throw EngineError(.conflict, "the container's root file system is not mounted (it stopped meanwhile): try again")
        }
        for bind in binds { try attach(bind) }
    }

    private func attach(_ bind: Bind) throws(EngineError) {
        let what = "mount \(bind.source) at \(bind.destination)"
        var flags = UInt32(OPEN_TREE_CLONE) | UInt32(OPEN_TREE_CLOEXEC)
        if bind.recursive { flags |= Self.atRecursive }
        let tree = open_tree(AT_FDCWD, bind.source, flags)
        guard tree >= 0 else { throw Self.failure(what) }
        defer { close(tree) }
        if bind.readOnly {
            var attributes = mount_attr()
            attributes.attr_set = UInt64(MOUNT_ATTR_RDONLY)
            let recursive = bind.recursive ? Self.atRecursive : 0
            guard mount_setattr(tree, "", Self.atEmptyPath | recursive, &attributes, MemoryLayout<mount_attr>.size) == 0 else {
                throw Self.failure(what + " read-only")
            }
        }
        var source = stat()
        guard fstat(tree, &source) == 0 else { throw Self.failure(what) }
        guard let target = try mountPoint(bind.destination, directory: source.st_mode & S_IFMT == S_IFDIR, make: bind.makeMountPoint) else {
            return
        }
        defer { close(target) }
        guard move_mount(tree, "", target, "", UInt32(MOVE_MOUNT_F_EMPTY_PATH) | UInt32(MOVE_MOUNT_T_EMPTY_PATH)) == 0 else {
            throw Self.failure(what)
        }
    }

    /// An O_PATH handle on `path` inside the root, made (a directory, or an empty file) with
    /// its missing parents when `make`; nil when it is missing and not to be made.
    private func mountPoint(_ path: String, directory: Bool, make: Bool) throws(EngineError) -> Int32? {
        let found = skiff_open_in_root(rootfs, path, SKIFF_O_PATH | O_CLOEXEC)
        if found >= 0 { return found }
        guard errno == ENOENT, make else {
            if errno == ENOENT { return nil }
            throw Self.failure("open mount point \(path)")
        }
        let components = path.split(separator: "/").map(String.init)
        var current = ""
        for (index, name) in components.enumerated() {
            let parentPath = current.isEmpty ? "/" : current
            current += "/" + name
            let existing = skiff_open_in_root(rootfs, current, SKIFF_O_PATH | O_CLOEXEC)
            if existing >= 0 {
                close(existing)
                continue
            }
            let parent = skiff_open_in_root(rootfs, parentPath, SKIFF_O_PATH | O_DIRECTORY | O_CLOEXEC)
            guard parent >= 0 else { throw Self.failure("open \(parentPath)") }
            defer { close(parent) }
            if index == components.count - 1 && !directory {
                let file = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o755)
                if file >= 0 { close(file) } else if errno != EEXIST { throw Self.failure("make mount point \(current)") }
            } else if mkdirat(parent, name, 0o755) != 0 && errno != EEXIST {
                throw Self.failure("make mount point \(current)")
            }
        }
        let made = skiff_open_in_root(rootfs, path, SKIFF_O_PATH | O_CLOEXEC)
        guard made >= 0 else { throw Self.failure("open mount point \(path)") }
        return made
    }

    /// `AT_RECURSIVE`, `AT_EMPTY_PATH` (Swift's Glibc module lacks them).
    private static let atRecursive: UInt32 = 0x8000
    private static let atEmptyPath: UInt32 = 0x1000

    private static func failure(_ what: String) -> EngineError {
        EngineError(.system, "container file system: \(what): \(String(cString: strerror(errno)))")
    }
}
