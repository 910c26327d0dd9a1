import CSkiffSpawn
import Glibc

/// Network namespaces kept alive by a bind mount of their nsfs file (as
/// `ip netns add` does), so a container's network outlives restarts of its
/// process and is set up before the process exists.
enum NetworkNamespace {
    /// Creates a namespace bound at `path` (an absent file) with its loopback
    /// up; returns a routing socket inside it.
    static func create(at path: String) throws(NetworkError) -> Netlink {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw .system("create \(path)") }
        close(fd)
        do {
            let socket = try onThread { () throws(NetworkError) -> Int32 in
                guard skiff_unshare(SKIFF_CLONE_NEWNET) == 0 else { throw .system("unshare(CLONE_NEWNET)") }
                guard mount("/proc/thread-self/ns/net", path, nil, UInt(MS_BIND), nil) == 0 else {
                    throw .system("bind network namespace to \(path)")
                }
                let fd = Glibc.socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { throw .system("socket(AF_NETLINK) in \(path)") }
                return fd
            }
            var netlink = Netlink(fd: socket)
            try netlink.setUp(1)  // lo is link 1 in a new namespace
            return netlink
        } catch {
            remove(at: path)
            throw error
        }
    }

    /// A routing socket inside the namespace bound at `path`.
    static func enter(_ path: String) throws(NetworkError) -> Netlink {
        let nsfd = open(path, O_RDONLY | O_CLOEXEC)
        guard nsfd >= 0 else { throw .system("open network namespace \(path)") }
        defer { close(nsfd) }
        let socket = try onThread { () throws(NetworkError) -> Int32 in
            guard skiff_setns(nsfd, SKIFF_CLONE_NEWNET) == 0 else { throw .system("setns(\(path))") }
            let fd = Glibc.socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw .system("socket(AF_NETLINK) in \(path)") }
            return fd
        }
        return Netlink(fd: socket)
    }

    /// Unbinds and deletes the namespace file; the namespace goes with its last user.
    static func remove(at path: String) {
        umount2(path, Int32(MNT_DETACH))
        unlink(path)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Runs `body` on a thread of its own, which ends afterwards: a thread that
    /// changed its network namespace never runs anything else.
    private static func onThread(_ body: @escaping @Sendable () throws(NetworkError) -> Int32) throws(NetworkError) -> Int32 {
        final class Box: @unchecked Sendable {
            let body: @Sendable () throws(NetworkError) -> Int32
            var result: Result<Int32, NetworkError> = .failure(NetworkError(.system, "namespace thread did not run"))
            init(_ body: @escaping @Sendable () throws(NetworkError) -> Int32) { self.body = body }
        }
        let box = Box(body)
        let pointer = Unmanaged.passRetained(box).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeUnretainedValue()
            do throws(NetworkError) {
                box.result = .success(try box.body())
            } catch {
                box.result = .failure(error)
            }
            return nil
        }, pointer)
        defer { Unmanaged<Box>.fromOpaque(pointer).release() }
        guard rc == 0 else { throw .system("pthread_create", errno: rc) }
        pthread_join(thread, nil)
        return try box.result.get()
    }
}
