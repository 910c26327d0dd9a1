import CZlib
import Glibc
import SkiffSystem
import Testing

@testable import SkiffVolume

/// The local driver: names and options as dockerd checks them, rows and
/// directories made and removed together, driver-option mounts (as root),
/// and copy-up preserving what an image holds.
@Suite(.serialized) struct VolumeStoreTests {
    let dir: String

    init() throws {
        var template = Array("/tmp/skiff-volume-XXXXXX".utf8CString)
        dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    func cleanup() {
        for entry in MountTable.current().entries.reversed() where entry.mountPoint.hasPrefix(dir + "/") {
            umount2(entry.mountPoint, Int32(MNT_DETACH))
        }
        Directories.removeTree(dir)
    }

    func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return (error as? VolumeError)?.message ?? "\(error)"
        }
    }

    @Test func namesAndOptionsFollowDocker() throws {
        defer { cleanup() }
        for good in ["ab", "a.b", "x_y-z.1", "0abc"] {
            #expect(message { try VolumeRules.validateName(good) } == nil)
        }
        #expect(message { try VolumeRules.validateName("a") } == "volume name is too short, names should be at least two alphanumeric characters")
        for bad in ["", "-ab", ".ab", "a b", "a/b", "../x", "a:b"] {
            #expect(message { try VolumeRules.validateName(bad) } == "\"\(bad)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")
        }
        #expect(message { try VolumeRules.validateOptions(["type": "tmpfs", "device": "tmpfs", "o": "size=1m"]) } == nil)
        #expect(message { try VolumeRules.validateOptions(["foo": "x"]) } == "invalid option: \"foo\"")
        #expect(message { try VolumeRules.validateOptions(["type": "tmpfs"]) } == "missing required option: \"device\"")
        #expect(message { try VolumeRules.validateOptions(["o": "bind"]) } == "missing required option: \"device\"")
        #expect(message { try VolumeRules.validateOptions(["size": "1g"]) } == "quota size requested but no quota support")
        #expect(message { try VolumeRules.validateDriver("nfs-plugin") } == "error looking up volume plugin nfs-plugin: plugin \"nfs-plugin\" not found")
        #expect(message { try VolumeRules.validateDriver("local") } == nil)

        let store = try VolumeStore(dataRoot: dir)
        #expect(message { _ = try store.create(name: "no/slash") }?.hasPrefix("create no/slash: \"no/slash\" includes invalid characters") == true)
        #expect(!Directories.exists(dir + "/volumes/no"))
    }

    @Test func mountTableReadsPointsEscapesAndPropagation() {
        defer { cleanup() }
        let table = MountTable(parsing: """
            22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw
            30 22 0:40 / /data\\040dir rw - tmpfs tmpfs rw
            31 30 0:41 / /data\\040dir/sub rw master:5 - tmpfs tmpfs rw
            bad line
            """)
        #expect(table.entries.map(\.mountPoint) == ["/", "/data dir", "/data dir/sub"])
        #expect(table.isMountPoint("/data dir") && !table.isMountPoint("/data"))
        #expect(table.mount(containing: "/data dir/sub/x")?.isSlave == true)
        #expect(table.mount(containing: "/data dirt")?.mountPoint == "/")
        #expect(table.mount(containing: "/etc")?.isShared == true)
    }

    @Test func createGetListRemove() throws {
        defer { cleanup() }
        let store = try VolumeStore(dataRoot: dir)
        let (made, created) = try store.create(name: "data", labels: ["team": "a"])
        #expect(created)
        #expect(made.mountpoint == dir + "/volumes/data/_data")
        #expect(made.driver == "local" && !made.anonymous && made.labels == ["team": "a"])
        #expect(Timestamp.parse(made.createdAt) != nil)
        var st = stat()
        #expect(stat(dir + "/volumes/data", &st) == 0 && st.st_mode & 0o777 == 0o701)
        #expect(stat(made.mountpoint, &st) == 0 && st.st_mode & 0o777 == 0o755)

        // The same name again: the existing volume, unchanged.
        let (again, createdAgain) = try store.create(name: "data", labels: ["other": "b"])
        #expect(!createdAgain && again == made)

        let (anonymous, _) = try store.create(name: String(repeating: "ab", count: 32), anonymous: true)
        #expect(anonymous.anonymous && anonymous.labels == [VolumeRules.anonymousLabel: ""])
        #expect(try store.list().map(\.name) == [String(repeating: "ab", count: 32), "data"])

        // Metadata outlives the store.
        let reopened = try VolumeStore(dataRoot: dir)
        #expect(try reopened.get("data") == made)

        let fd = open(made.mountpoint + "/file", O_WRONLY | O_CREAT, 0o644)
        #expect(write(fd, "12345", 5) == 5)
        close(fd)
        #expect(store.size(made) == 5)
        try store.remove("data")
        #expect(!Directories.exists(dir + "/volumes/data"))
        #expect(message { _ = try store.get("data") } == "get data: no such volume")
        #expect(message { try store.remove("data") } == "get data: no such volume")
    }

    @Test func halfMadeDirectoriesAreCleanedAtOpen() throws {
        defer { cleanup() }
        _ = try VolumeStore(dataRoot: dir)
        try Directories.make(dir + "/volumes/crashed/_data")
        try Directories.make(dir + "/volumes/kept/_data")
        let fd = open(dir + "/volumes/kept/_data/x", O_WRONLY | O_CREAT, 0o644)
        close(fd)
        let store = try VolumeStore(dataRoot: dir)
        #expect(!Directories.exists(dir + "/volumes/crashed"))
        #expect(Directories.exists(dir + "/volumes/kept/_data/x"))
        #expect(try store.list().isEmpty)
    }

    @Test func driverOptionsMountAndUnmount() throws {
        defer { cleanup() }
        let store = try VolumeStore(dataRoot: dir)
        let (tmpfs, _) = try store.create(name: "scratch", options: ["type": "tmpfs", "device": "tmpfs", "o": "size=1m,mode=0700"])
        #expect(!store.isMounted(tmpfs))
        try store.mount(tmpfs)
        try store.mount(tmpfs)  // once only
        #expect(MountTable.current().entries.filter { $0.mountPoint == tmpfs.mountpoint }.count == 1)
        var st = stat()
        #expect(stat(tmpfs.mountpoint, &st) == 0 && st.st_mode & 0o777 == 0o700)
        try store.unmount(tmpfs)
        #expect(!store.isMounted(tmpfs))

        // A bind of a host directory: same file system, still seen as mounted; removal keeps the host's files.
        let host = dir + "/host"
        try Directories.make(host)
        let fd = open(host + "/keep", O_WRONLY | O_CREAT, 0o644)
        close(fd)
        let (bind, _) = try store.create(name: "hostdir", options: ["type": "none", "device": host, "o": "bind,ro"])
        try store.mount(bind)
        #expect(store.isMounted(bind))
        #expect(Directories.exists(bind.mountpoint + "/keep"))
        #expect(open(bind.mountpoint + "/new", O_WRONLY | O_CREAT, 0o644) < 0 && errno == EROFS)
        try store.remove("hostdir")
        #expect(Directories.exists(host + "/keep"))
        #expect(!Directories.exists(dir + "/volumes/hostdir"))

        let (missing, _) = try store.create(name: "missing", options: ["type": "none", "device": dir + "/nope", "o": "bind"])
        #expect(message { try store.mount(missing) }?.contains("failed to mount local volume: mount \(dir)/nope:") == true)
        #expect(!store.isMounted(missing))
        #expect(MountTable.current().entries.allSatisfy { !$0.mountPoint.hasPrefix(dir + "/") })
    }

    @Test func copyUpKeepsOwnersModesLinksAndXattrs() throws {
        defer { cleanup() }
        let store = try VolumeStore(dataRoot: dir)
        let root = dir + "/rootfs"
        let image = root + "/srv/app"
        try Directories.make(image + "/sub")
        #expect(chown(image, 1000, 1001) == 0 && chmod(image, 0o750) == 0)
        let fd = open(image + "/sub/file", O_WRONLY | O_CREAT, 0o640)
        #expect(write(fd, "content", 7) == 7)
        close(fd)
        #expect(chown(image + "/sub/file", 33, 44) == 0 && chmod(image + "/sub/file", 0o4755) == 0)
        #expect(link(image + "/sub/file", image + "/hardlink") == 0)
        #expect(symlink("/etc/passwd", image + "/abs-link") == 0)
        #expect(mkfifo(image + "/fifo", 0o600) == 0)
        #expect(setxattr(image + "/sub/file", "user.note", "v1", 2, 0) == 0)
        // A symlinked mount point resolves inside the root, never on the host.
        #expect(symlink("/srv/app", root + "/linked") == 0)
        #expect(symlink("/etc", root + "/escape") == 0)

        let (volume, _) = try store.create(name: "app")
        #expect(try store.populate(volume, fromRoot: root, path: "/linked"))
        let data = volume.mountpoint
        var st = stat()
        #expect(stat(data, &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001 && st.st_mode & 0o7777 == 0o750)
        #expect(stat(data + "/sub/file", &st) == 0 && st.st_uid == 33 && st.st_gid == 44 && st.st_mode & 0o7777 == 0o4755)
        let inode = st.st_ino
        #expect(stat(data + "/hardlink", &st) == 0 && st.st_ino == inode && st.st_nlink == 2)
        var target = [UInt8](repeating: 0, count: 64)
        #expect(readlink(data + "/abs-link", &target, 63) == 11)
        #expect(String(decoding: target.prefix(11), as: UTF8.self) == "/etc/passwd")
        #expect(lstat(data + "/fifo", &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)
        var value = [CChar](repeating: 0, count: 8)
        #expect(getxattr(data + "/sub/file", "user.note", &value, 8) == 2)

        // Not again: the volume is no longer empty.
        #expect(try !store.populate(volume, fromRoot: root, path: "/srv/app"))
        // An /etc in the image is the image's, not the host's; a missing path copies nothing.
        let (other, _) = try store.create(name: "other")
        try Directories.make(root + "/etc")
        #expect(try store.populate(other, fromRoot: root, path: "/escape"))
        #expect(Directories.list(other.mountpoint).isEmpty)
        #expect(try !store.populate(other, fromRoot: root, path: "/no/such/dir"))
    }
}
