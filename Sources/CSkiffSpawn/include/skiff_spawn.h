// The child side of clone(2) for skiff's OCI runtime.
//
// Swift prepares a `skiff_spawn_config` (every string and array allocated
// before the call), then `skiff_spawn` clones a child that walks the steps
// below from top to bottom, without allocating, and ends in execve. Parent
// and child advance in numbered sync steps over a SOCK_SEQPACKET pair; a
// failing step is reported as {step, errno, detail} and the child exits.
// See docs/ARCHITECTURE.md, "From a bundle to a process".
#ifndef SKIFF_SPAWN_H
#define SKIFF_SPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The steps of the child, in the order they run. Reported with failures.
enum skiff_step {
    SKIFF_STEP_NONE = 0,                
    SKIFF_STEP_WAIT_PARENT = 1,         // wait for the parent: id maps written, cgroup joined
    SKIFF_STEP_JOIN_NAMESPACE = 2,      // setns() into namespaces given by path
    SKIFF_STEP_SET_IDS_IN_USERNS = 3,   // become root of a new user namespace
    SKIFF_STEP_UNSHARE_CGROUP = 4,      // unshare(CLONE_NEWCGROUP) once inside the cgroup
    SKIFF_STEP_LOOPBACK = 5,            // bring up lo in a new network namespace
    SKIFF_STEP_ROOT_PROPAGATION = 6,    // make / a slave so nothing leaks to the host
    SKIFF_STEP_BIND_ROOTFS = 7,         // bind the rootfs onto itself
    SKIFF_STEP_MOUNT = 8,               // config mounts, resolved inside the rootfs
    SKIFF_STEP_DEVICE = 9,              // device nodes and /dev symlinks
    SKIFF_STEP_CONSOLE = 10,            // pty for a terminal, master sent to the console socket
    SKIFF_STEP_HOOKS = 11,              // parent runs prestart/createRuntime hooks; we run createContainer
    SKIFF_STEP_PIVOT_ROOT = 12,         // pivot_root (MS_MOVE+chroot fallback)
    SKIFF_STEP_SYSCTL = 13,             // write sysctls
    SKIFF_STEP_MASK_PATHS = 14,         // maskedPaths
    SKIFF_STEP_READONLY_PATHS = 15,     // readonlyPaths
    SKIFF_STEP_READONLY_ROOT = 16,      // remount / read-only
    SKIFF_STEP_HOSTNAME = 17,           // sethostname/setdomainname
    SKIFF_STEP_CWD = 18,                // chdir to process.cwd
    SKIFF_STEP_RLIMIT = 19,             // setrlimit
    SKIFF_STEP_OOM_SCORE = 20,          // /proc/self/oom_score_adj
    SKIFF_STEP_FIND_EXECUTABLE = 21,    // look args[0] up in PATH
    SKIFF_STEP_SECCOMP = 22,            // install the seccomp filter
    SKIFF_STEP_SET_USER = 23,           // groups, gid, uid
    SKIFF_STEP_CAPABILITIES = 24,       // bounding, effective, permitted, inheritable, ambient
    SKIFF_STEP_NO_NEW_PRIVS = 25,       // prctl(PR_SET_NO_NEW_PRIVS)
    SKIFF_STEP_READY = 26,              // created: tell the parent
    SKIFF_STEP_WAIT_START = 27,         // wait for `start` on the exec fifo (or the parent's go)
    SKIFF_STEP_START_HOOKS = 28,        // startContainer hooks
    SKIFF_STEP_EXEC = 29,               // execve
    SKIFF_STEP_JOIN_CGROUP = 30,        // write "0" to the v1 hierarchies' tasks files (runs first)
};

/// One mount, in order. `target` is the path inside the container.
struct skiff_mount {
    const char *source;        // host path for binds; fs source otherwise
    const char *target;        // absolute path in the container
    const char *fstype;        // NULL for binds
    const char *data;          // fs options ("mode=755,size=65536k") or NULL
    unsigned long flags;       // MS_* for the mount
    unsigned long remount_flags; // binds: MS_RDONLY|MS_NOSUID|... applied by a remount, 0 for none
    unsigned long propagation; // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (|MS_REC), 0 for none
    int is_bind;
    int source_is_dir;         // binds: create a directory (else a file) as the mount point
};

/// A device node to create (or bind from the host inside a user namespace).
struct skiff_device {
    const char *path;          // absolute path in the container
    mode_t mode;               // S_IFCHR/S_IFBLK/S_IFIFO | permission bits
    dev_t dev;
    uid_t uid;
    gid_t gid;
};

struct skiff_symlink {
    const char *target;        // what the link points to
    const char *path;          // absolute path of the link in the container
};

struct skiff_ns_join {
    int fd;                    // open namespace file
    int nstype;                // CLONE_NEW*
};

struct skiff_rlimit {
    int resource;
    uint64_t soft;
    uint64_t hard;
};

struct skiff_sysctl {
    const char *path;          // /proc/sys/net/ipv4/ip_forward
    const char *value;
};

/// A hook run inside the container before execve (startContainer).
struct skiff_hook {
    const char *path;
    char *const *argv;
    char *const *envp;
};

struct skiff_spawn_config {
    // Namespaces.
    unsigned long clone_flags;      // CLONE_NEW* to create with clone (not CLONE_NEWCGROUP)
    int unshare_cgroup;             // unshare(CLONE_NEWCGROUP) after the parent placed us

    // Cgroup placement without a migration by pid: the parent writing our pid to cgroup.procs
    // takes the kernel's global cgroup_threadgroup_rwsem for writing, an RCU grace period
    // (~9 ms here). A single thread moving itself ("0" to a v1 `tasks` file) skips that lock,
    // and CLONE_INTO_CGROUP places us in a cgroup2 directory as we are born.
    int clone_into_cgroup_fd;       // >= 0: a cgroup2 directory (O_RDONLY) for clone3; -1: none
    const int *cgroup_tasks_fds;    // v1 `tasks` files (O_WRONLY) we write "0" to, then close
    size_t n_cgroup_tasks_fds;
    const struct skiff_ns_join *joins;
    size_t n_joins;

    // Sync with the parent.
    int sync_fd;                    // child's end
    int parent_sync_fd;             // parent's end, closed in the child
    int hooks_in_parent;            // stop at SKIFF_STEP_HOOKS for the parent

    // Root filesystem; NULL rootfs for exec into an existing container.
    const char *rootfs;
    int rootfs_readonly;
    unsigned long rootfs_propagation; // applied after pivot_root, 0 for none
    const struct skiff_mount *mounts;
    size_t n_mounts;
    const struct skiff_device *devices;
    size_t n_devices;
    int bind_devices;               // bind from the host instead of mknod (user namespace)
    const struct skiff_symlink *symlinks;
    size_t n_symlinks;
    const char *const *masked_paths;
    size_t n_masked_paths;
    const char *const *readonly_paths;
    size_t n_readonly_paths;
    const struct skiff_sysctl *sysctls;
    size_t n_sysctls;
    const char *hostname;           // NULL: leave as is
    const char *domainname;

    // Terminal.
    int terminal;
    int console_socket_fd;          // connected unix socket the pty master is sent to
    unsigned short console_rows, console_cols;

    // Process.
    const char *path_env;           // PATH to search when args[0] has no '/'
    char *const *argv;
    char *const *envp;
    const char *cwd;
    int set_user;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    size_t n_groups;
    int umask;                      // -1: leave as is
    const struct skiff_rlimit *rlimits;
    size_t n_rlimits;
    int set_oom_score_adj;
    int oom_score_adj;
    int set_caps;
    uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
    int no_new_privs;

    // Seccomp: a BPF program (struct sock_filter[]), installed with seccomp(2).
    const void *seccomp_filter;
    unsigned short seccomp_len;     // instructions
    unsigned int seccomp_flags;     // SECCOMP_FILTER_FLAG_*
    int seccomp_listener_fd;        // >= 0: NEW_LISTENER, send the listener fd here

    // Start.
    int exec_fifo_fd;               // O_PATH fd of the directory holding exec.fifo; -1: wait for the parent's go
    int preserve_fds;               // keep fds 3 .. 3+n-1 open across exec
    int stdio_fds[3];               // >= 3: becomes the process's fd 0, 1, 2; -1: inherited
    dev_t self_exe_dev;             // the runtime binary, refused as the container's program
    ino_t self_exe_ino;
    const struct skiff_hook *create_hooks;  // createContainer: after the parent's hooks, before pivot_root
    size_t n_create_hooks;
    const struct skiff_hook *start_hooks;   // startContainer: after start, before execve
    size_t n_start_hooks;
    const char *hook_state;         // state JSON written to startContainer hooks' stdin
                                    // (createContainer hooks get the parent's, sent at SKIFF_STEP_HOOKS)
};

/// A message on the sync socket.
struct skiff_sync_msg {
    int32_t step;                   // enum skiff_step; SKIFF_STEP_READY etc. on success
    int32_t err;                    // errno of a failed step, 0 otherwise
    char detail[512];               // what the step worked on (a path, a name)
};

/// Clones the child described by `cfg` (namespaces from cfg->clone_flags), with clone3 into
/// cfg->clone_into_cgroup_fd when one is given and the kernel allows it; *cloned_into_cgroup
/// says whether it did (if not, the parent adds the child to that cgroup itself).
/// Returns the child's pid, or -1 with errno set.
pid_t skiff_spawn(const struct skiff_spawn_config *cfg, int *cloned_into_cgroup);

/// Parent side: sends `step` (0 errors) to the child.
int skiff_sync_send(int fd, int32_t step);

/// Receives one sync message; returns 1 on a message, 0 on EOF, -1 on error.
int skiff_sync_recv(int fd, struct skiff_sync_msg *msg);

/// Receives a file descriptor sent with SCM_RIGHTS on `sock`; -1 on error.
int skiff_recv_fd(int sock);

// Parent-side helpers for calls and constants Swift's Glibc module does not
// declare (it is built without _GNU_SOURCE).

#define SKIFF_CLONE_NEWNS 0x00020000
#define SKIFF_CLONE_NEWCGROUP 0x02000000
#define SKIFF_CLONE_NEWUTS 0x04000000
#define SKIFF_CLONE_NEWIPC 0x08000000
#define SKIFF_CLONE_NEWUSER 0x10000000
#define SKIFF_CLONE_NEWPID 0x20000000
#define SKIFF_CLONE_NEWNET 0x40000000
#define SKIFF_CLONE_NEWTIME 0x00000080
#define SKIFF_O_PATH 010000000

/// Opens `path` inside `root` (openat2 RESOLVE_IN_ROOT): symlinks cannot leave it.
int skiff_open_in_root(const char *root, const char *path, int flags);

/// pipe2(fds, O_CLOEXEC).
int skiff_pipe_cloexec(int fds[2]);

/// setns(2).
int skiff_setns(int fd, int nstype);

/// unshare(2).
int skiff_unshare(int flags);

/// Blocks `signals` for the calling thread and returns a non-blocking signalfd for them.
int skiff_signalfd_for(const int *signals, int count);

/// Reads one signal from a signalfd; returns its number, or -1.
int skiff_signalfd_read(int fd);

/// pidfd_open(2): a file descriptor that polls readable when `pid` exits.
int skiff_pidfd_open(pid_t pid);

/// close_range(first, ~0U, 0): closes every fd from `first` up.
int skiff_close_from(int first);

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphans below the caller are reparented to it.
int skiff_set_subreaper(void);

/// malloc_trim(0): returns the heap's free pages to the kernel.
int skiff_malloc_trim(void);

#ifdef __cplusplus
}
#endif
#endif
