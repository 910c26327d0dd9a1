import Glibc
import SkiffArchive
import SkiffImage

/// Test helpers: temporary roots, running tools, the busybox rootfs tar.
enum Support {
    /// A fresh directory under /tmp, removed by `cleanup`.
    static func temporaryDirectory(_ prefix: String = "skiff-image-test") -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    /// Unmounts anything below `dir` and removes it.
    static func cleanup(_ dir: String) {
        _ = run("/bin/sh", ["-c", "grep -o ' \(dir)[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l; rm -rf '\(dir)'"])
    }

    /// Runs a program; returns (exit status, stdout + stderr).
    @discardableResult
    static func run(_ path: String, _ args: [String], environment: [String]? = nil) -> (Int32, String) {
        var pipefd: [Int32] = [-1, -1]
        pipe(&pipefd)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipefd[0])
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup($0) } + [nil] }
        defer { for p in envp ?? [] { free(p) } }
        let rc: Int32
        if envp != nil {
            rc = posix_spawnp(&pid, path, &actions, nil, &argv, &envp!)
        } else {
            rc = posix_spawnp(&pid, path, &actions, nil, &argv, environ)
        }
        close(pipefd[1])
        guard rc == 0 else {
            close(pipefd[0])
            return (127, "spawn \(path): \(String(cString: strerror(rc)))")
        }
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(pipefd[0], $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        close(pipefd[0])
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return ((status >> 8) & 0xff, String(decoding: out, as: UTF8.self))
    }

    /// `command` in a private mount namespace where /run, /var/tmp and /etc
    /// take writes in the test's own directory: the anchor tools (podman,
    /// dockerd) leave nothing on the host.
    static func isolated(_ command: [String], scratch: String) -> [String] {
        let setup = """
            set -e; mkdir -p '\(scratch)/etc-up' '\(scratch)/etc-work'
            mount -t tmpfs none /run; mount -t tmpfs none /var/tmp
            mount -t overlay overlay -o lowerdir=/etc,upperdir='\(scratch)/etc-up',workdir='\(scratch)/etc-work' /etc
            exec "$@"
            """
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", setup, "sh"] + command
    }

    static func which(_ tool: String) -> Bool {
        run("/bin/sh", ["-c", "command -v \(tool)"]).0 == 0
    }

    /// The repository's root (for scripts/).
    static var repo: String {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }

    /// A busybox root filesystem as a tar, made once per test run (in a
    /// directory removed when the test process exits).
    static let busyboxTar: String = {
        let dir = "/tmp/skiff-image-tests-\(getpid())"
        mkdir(dir, 0o755)
        atexit { _ = Support.run("/bin/rm", ["-rf", "/tmp/skiff-image-tests-\(getpid())"]) }
        let rootfs = dir + "/rootfs"
        let tar = dir + "/busybox.tar"
        let (rc, out) = run(repo + "/scripts/make-busybox-rootfs.sh", [rootfs])
        precondition(rc == 0, "make-busybox-rootfs.sh failed: \(out)")
        let (trc, tout) = run("tar", ["--numeric-owner", "-C", rootfs, "-cf", tar, "."])
        precondition(trc == 0, "tar failed: \(tout)")
        return tar
    }()

    static func openFile(_ path: String) -> Int32 {
        open(path, O_RDONLY | O_CLOEXEC)
    }

    static func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Everything in a store's directories, for before/after comparisons.
    static func listing(_ root: String) -> String {
        run("/bin/sh", ["-c", "cd '\(root)' && find content snapshots -path snapshots/tmp -prune -o -print | sort"]).1
    }
}

/// Writes a store's archive to a file.
struct FileSink: ByteSink {
    let fd: Int32
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n <= 0 { throw ImageError(.io, "write failed") }
            off += n
        }
    }
    mutating func finish() throws {}
}
