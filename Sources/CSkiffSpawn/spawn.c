// The child side of clone(2): from a fresh clone to execve, top to bottom.
//
// Rules for everything reached from child_main: no allocation (the parent may
// be multi-threaded and malloc's locks may be held), stack buffers only, and
// every failure reported to the parent as {step, errno, detail} before _exit.
#define _GNU_SOURCE
#include "skiff_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <net/if.h>
#include <linux/openat2.h>
#include <linux/sched.h>  // struct clone_args, CLONE_INTO_CGROUP
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

// MARK: - Sync messages (shared by parent and child)

int skiff_sync_send(int fd, int32_t step) {
    struct skiff_sync_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.step = step;
    ssize_t n;
    do {
        n = send(fd, &msg, sizeof msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof msg ? 0 : -1;
}

int skiff_sync_recv(int fd, struct skiff_sync_msg *msg) {
    ssize_t n;
    do {
        n = recv(fd, msg, sizeof *msg, 0);
    } while (n < 0 && errno == EINTR);
    if (n == 0) return 0;
    if (n != (ssize_t)sizeof *msg) return -1;
    msg->detail[sizeof msg->detail - 1] = 0;
    return 1;
}

int skiff_recv_fd(int sock) {
    char data[256];
    struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
    ssize_t n;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS) {
        errno = EBADMSG;
        return -1;
    }
    int fd;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    return fd;
}

// MARK: - Child helpers (no allocation below this line)

static void copy_detail(char *dst, size_t size, const char *a, const char *b) {
    size_t i = 0;
    for (const char *p = a; p && *p && i + 1 < size; p++) dst[i++] = *p;
    for (const char *p = b; p && *p && i + 1 < size; p++) dst[i++] = *p;
    dst[i] = 0;
}

/// Reports a failed step to the parent and exits.
__attribute__((noreturn)) static void fail(const struct skiff_spawn_config *cfg, int step, int err, const char *what, const char *more) {
    struct skiff_sync_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.step = step;
    msg.err = err ? err : EINVAL;
    copy_detail(msg.detail, sizeof msg.detail, what, more);
    (void)send(cfg->sync_fd, &msg, sizeof msg, MSG_NOSIGNAL);
    _exit(step == SKIFF_STEP_FIND_EXECUTABLE ? (err == ENOENT ? 127 : 126) : 1);
}

static void send_step(const struct skiff_spawn_config *cfg, int step) {
    if (skiff_sync_send(cfg->sync_fd, step) < 0) fail(cfg, step, errno, "sync socket", NULL);
}

/// Waits for the parent to send `step` (err 0). Any other answer ends the child.
static void wait_step(const struct skiff_spawn_config *cfg, int step) {
    struct skiff_sync_msg msg;
    int r = skiff_sync_recv(cfg->sync_fd, &msg);
    if (r != 1 || msg.step != step || msg.err != 0) _exit(1);
}

static void proc_fd_path(char *buf, size_t size, int fd) {
    snprintf(buf, size, "/proc/self/fd/%d", fd);
}

static int openat2_in_root(int rootfd, const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    int fd;
    do {
        fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
    return fd;
}

/// Opens `path` (absolute in the container) below `rootfd`, creating it and
/// its parents when missing: a directory when `kind` is 'd', an empty file
/// when 'f'. Symlinks resolve inside the root, so nothing lands outside it.
/// Returns an O_PATH fd.
static int open_or_create_in_root(int rootfd, const char *path, char kind) {
    int fd = openat2_in_root(rootfd, path, O_PATH);
    if (fd >= 0 || errno != ENOENT) return fd;

    char buf[4096];
    size_t len = strlen(path);
    if (len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len + 1);
    // Walk the components, creating each missing one.
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        char saved = buf[i];
        buf[i] = 0;
        int probe = openat2_in_root(rootfd, buf, O_PATH);
        if (probe >= 0) {
            close(probe);
        } else if (errno == ENOENT) {
            // Split into parent and name.
            char *slash = strrchr(buf, '/');
            const char *name = slash + 1;
            int parent;
            if (slash == buf) {
                parent = openat2_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
            } else {
                *slash = 0;
                parent = openat2_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
                *slash = '/';
            }
            if (parent < 0) return -1;
            int is_last = saved == 0;
            int rc;
            if (is_last && kind == 'f') {
                int f = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                rc = f < 0 ? -1 : 0;
                if (f >= 0) close(f);
            } else {
                rc = mkdirat(parent, name, 0755);
            }
            int saved_errno = errno;
            close(parent);
            if (rc < 0 && saved_errno != EEXIST) {
                errno = saved_errno;
                return -1;
            }
        } else {
            return -1;
        }
        buf[i] = saved;
    }
    return openat2_in_root(rootfd, path, O_PATH);
}

/// Opens the parent directory of `path` inside the root (creating it) and
/// returns it with the last component in `*name`.
static int open_parent_in_root(int rootfd, const char *path, char *namebuf, size_t namesize) {
    char buf[4096];
    size_t len = strlen(path);
    if (len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len + 1);
    while (len > 1 && buf[len - 1] == '/') buf[--len] = 0;
    char *slash = strrchr(buf, '/');
    if (slash == NULL) {
        errno = EINVAL;
        return -1;
    }
    copy_detail(namebuf, namesize, slash + 1, NULL);
    if (slash == buf) return openat2_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
    *slash = 0;
    int fd = open_or_create_in_root(rootfd, buf, 'd');
    return fd;
}

static unsigned long locked_flags(const char *path) {
    struct statvfs st;
    if (statvfs(path, &st) < 0) return 0;
    unsigned long f = 0;
    if (st.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (st.f_flag & ST_NODEV) f |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (st.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (st.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (st.f_flag & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

// MARK: - Steps

static void join_namespaces(const struct skiff_spawn_config *cfg) {
    // The user namespace first: it grants the rights to join the others.
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < cfg->n_joins; i++) {
            int is_user = cfg->joins[i].nstype == CLONE_NEWUSER;
            if ((pass == 0) != is_user) continue;
            if (setns(cfg->joins[i].fd, cfg->joins[i].nstype) < 0) {
                char what[32];
                snprintf(what, sizeof what, "setns(fd %d, 0x%x)", cfg->joins[i].fd, cfg->joins[i].nstype);
                fail(cfg, SKIFF_STEP_JOIN_NAMESPACE, errno, what, NULL);
            }
            close(cfg->joins[i].fd);
        }
    }
}

static void do_mount(const struct skiff_spawn_config *cfg, int rootfd, const struct skiff_mount *m) {
    int fd = open_or_create_in_root(rootfd, m->target, (m->is_bind && !m->source_is_dir) ? 'f' : 'd');
    if (fd < 0) fail(cfg, SKIFF_STEP_MOUNT, errno, "mountpoint ", m->target);
    char target[64];
    proc_fd_path(target, sizeof target, fd);
    if (m->is_bind) {
        if (mount(m->source, target, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
            fail(cfg, SKIFF_STEP_MOUNT, errno, "bind mount on ", m->target);
    } else {
        if (mount(m->source, target, m->fstype, m->flags, m->data) < 0)
            fail(cfg, SKIFF_STEP_MOUNT, errno, "mount on ", m->target);
    }
    close(fd);
    if (m->remount_flags == 0 && m->propagation == 0) return;
    // Reopen: the path now resolves to the new mount, not the one below it.
    fd = openat2_in_root(rootfd, m->target, O_PATH);
    if (fd < 0) fail(cfg, SKIFF_STEP_MOUNT, errno, "reopen ", m->target);
    proc_fd_path(target, sizeof target, fd);
    if (m->remount_flags) {
        unsigned long flags = MS_REMOUNT | MS_BIND | m->remount_flags | locked_flags(target);
        if (mount(NULL, target, NULL, flags, NULL) < 0)
            fail(cfg, SKIFF_STEP_MOUNT, errno, "remount ", m->target);
    }
    if (m->propagation && mount(NULL, target, NULL, m->propagation, NULL) < 0)
        fail(cfg, SKIFF_STEP_MOUNT, errno, "propagation of ", m->target);
    close(fd);
}

static void bring_up_loopback(const struct skiff_spawn_config *cfg) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail(cfg, SKIFF_STEP_LOOPBACK, errno, "socket(AF_INET)", NULL);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) fail(cfg, SKIFF_STEP_LOOPBACK, errno, "SIOCGIFFLAGS lo", NULL);
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) fail(cfg, SKIFF_STEP_LOOPBACK, errno, "SIOCSIFFLAGS lo up", NULL);
    close(s);
}

static void make_devices(const struct skiff_spawn_config *cfg, int rootfd) {
    for (size_t i = 0; i < cfg->n_devices; i++) {
        const struct skiff_device *d = &cfg->devices[i];
        char name[256];
        int parent = open_parent_in_root(rootfd, d->path, name, sizeof name);
        if (parent < 0) fail(cfg, SKIFF_STEP_DEVICE, errno, "parent of ", d->path);
        if (cfg->bind_devices) {
            int f = openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (f < 0) fail(cfg, SKIFF_STEP_DEVICE, errno, "create ", d->path);
            char target[64];
            proc_fd_path(target, sizeof target, f);
            // openat with O_WRONLY gives a real fd; mount on its path.
            if (mount(d->path, target, NULL, MS_BIND, NULL) < 0) fail(cfg, SKIFF_STEP_DEVICE, errno, "bind ", d->path);
            close(f);
        } else {
            (void)unlinkat(parent, name, 0);
            if (mknodat(parent, name, d->mode, d->dev) < 0) fail(cfg, SKIFF_STEP_DEVICE, errno, "mknod ", d->path);
            if (fchownat(parent, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0) fail(cfg, SKIFF_STEP_DEVICE, errno, "chown ", d->path);
            // mknod applies the umask; set the exact mode.
            if (fchmodat(parent, name, d->mode & 07777, 0) < 0) fail(cfg, SKIFF_STEP_DEVICE, errno, "chmod ", d->path);
        }
        close(parent);
    }
    for (size_t i = 0; i < cfg->n_symlinks; i++) {
        const struct skiff_symlink *s = &cfg->symlinks[i];
        char name[256];
        int parent = open_parent_in_root(rootfd, s->path, name, sizeof name);
        if (parent < 0) fail(cfg, SKIFF_STEP_DEVICE, errno, "parent of ", s->path);
        if (symlinkat(s->target, parent, name) < 0 && errno != EEXIST) fail(cfg, SKIFF_STEP_DEVICE, errno, "symlink ", s->path);
        close(parent);
    }
}

static int send_fd(int sock, int fd, const char *name) {
    struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    ssize_t n;
    do {
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

/// Opens a pty from the container's devpts, binds its peer on /dev/console
/// and sends the master to the console socket. Returns the peer (slave) fd.
static int setup_console(const struct skiff_spawn_config *cfg, int rootfd) {
    int ptmx = rootfd >= 0 ? openat2_in_root(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY)
                           : open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (ptmx < 0) ptmx = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (ptmx < 0) fail(cfg, SKIFF_STEP_CONSOLE, errno, "open /dev/pts/ptmx", NULL);
    int unlock = 0;
    if (ioctl(ptmx, TIOCSPTLCK, &unlock) < 0) fail(cfg, SKIFF_STEP_CONSOLE, errno, "unlock pty", NULL);
    int peer = ioctl(ptmx, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (peer < 0) fail(cfg, SKIFF_STEP_CONSOLE, errno, "open pty peer", NULL);
    if (cfg->console_rows || cfg->console_cols) {
        struct winsize ws = {.ws_row = cfg->console_rows, .ws_col = cfg->console_cols};
        (void)ioctl(ptmx, TIOCSWINSZ, &ws);
    }
    if (rootfd >= 0) {
        int console = open_or_create_in_root(rootfd, "/dev/console", 'f');
        if (console < 0) fail(cfg, SKIFF_STEP_CONSOLE, errno, "create /dev/console", NULL);
        char src[64], dst[64];
        proc_fd_path(src, sizeof src, peer);
        proc_fd_path(dst, sizeof dst, console);
        if (mount(src, dst, NULL, MS_BIND, NULL) < 0) fail(cfg, SKIFF_STEP_CONSOLE, errno, "bind /dev/console", NULL);
        close(console);
    }
    if (send_fd(cfg->console_socket_fd, ptmx, "/dev/ptmx") < 0) fail(cfg, SKIFF_STEP_CONSOLE, errno, "send pty master to the console socket", NULL);
    close(ptmx);
    close(cfg->console_socket_fd);
    return peer;
}

static void pivot_into(const struct skiff_spawn_config *cfg) {
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    int newroot = open(cfg->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0 || newroot < 0) fail(cfg, SKIFF_STEP_PIVOT_ROOT, errno, "open ", cfg->rootfs);
    if (fchdir(newroot) < 0) fail(cfg, SKIFF_STEP_PIVOT_ROOT, errno, "chdir ", cfg->rootfs);
    if (syscall(SYS_pivot_root, ".", ".") == 0) {
        // The old root is now stacked under "."; detach it.
        if (fchdir(oldroot) < 0) fail(cfg, SKIFF_STEP_PIVOT_ROOT, errno, "fchdir old root", NULL);
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail(cfg, SKIFF_STEP_PIVOT_ROOT, errno, "make old root a slave", NULL);
        if (umount2(".", MNT_DETACH) < 0) fail(cfg, SKIFF_STEP_PIVOT_ROOT, errno, "detach old root", NULL);
    } else if (errno == EINVAL) {
        // pivot_root cannot work from an initramfs root: move and chroot.
        if (mount(cfg->rootfs, "/", NULL, MS_MOVE, NULL) < 0) fail(cfg, SKIFF_STEP_PIVOT_ROOT, errno, "move rootfs to /", NULL);
        if (chroot(".") < 0) fail(cfg, SKIFF_STEP_PIVOT_ROOT, errno, "chroot", NULL);
    } else {
        fail(cfg, SKIFF_STEP_PIVOT_ROOT, errno, "pivot_root ", cfg->rootfs);
    }
    if (chdir("/") < 0) fail(cfg, SKIFF_STEP_PIVOT_ROOT, errno, "chdir /", NULL);
    close(oldroot);
    close(newroot);
}

static void write_sysctls(const struct skiff_spawn_config *cfg) {
    for (size_t i = 0; i < cfg->n_sysctls; i++) {
        int fd = open(cfg->sysctls[i].path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) fail(cfg, SKIFF_STEP_SYSCTL, errno, "open ", cfg->sysctls[i].path);
        size_t len = strlen(cfg->sysctls[i].value);
        if (write(fd, cfg->sysctls[i].value, len) != (ssize_t)len) fail(cfg, SKIFF_STEP_SYSCTL, errno, "write ", cfg->sysctls[i].path);
        close(fd);
    }
}

static void mask_paths(const struct skiff_spawn_config *cfg) {
    for (size_t i = 0; i < cfg->n_masked_paths; i++) {
        const char *p = cfg->masked_paths[i];
        struct stat st;
        if (lstat(p, &st) < 0) {
            if (errno == ENOENT) continue;
            fail(cfg, SKIFF_STEP_MASK_PATHS, errno, "stat ", p);
        }
        int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k")
                                     : mount("/dev/null", p, NULL, MS_BIND, NULL);
        if (rc < 0 && errno != ENOENT) fail(cfg, SKIFF_STEP_MASK_PATHS, errno, "mask ", p);
    }
}

static void readonly_paths(const struct skiff_spawn_config *cfg) {
    for (size_t i = 0; i < cfg->n_readonly_paths; i++) {
        const char *p = cfg->readonly_paths[i];
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
            if (errno == ENOENT) continue;
            fail(cfg, SKIFF_STEP_READONLY_PATHS, errno, "bind ", p);
        }
        if (mount(p, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | locked_flags(p), NULL) < 0)
            fail(cfg, SKIFF_STEP_READONLY_PATHS, errno, "remount read-only ", p);
    }
}

static int is_runtime_binary(const struct skiff_spawn_config *cfg, const char *path) {
    if (cfg->self_exe_ino == 0) return 0;
    // Follow a short chain of "#!" interpreters: "#!/proc/self/exe" would
    // run the runtime inside the container (CVE-2019-5736).
    char current[4096];
    copy_detail(current, sizeof current, path, NULL);
    for (int depth = 0; depth < 4; depth++) {
        struct stat st;
        if (stat(current, &st) < 0) return 0;
        if (st.st_dev == cfg->self_exe_dev && st.st_ino == cfg->self_exe_ino) return 1;
        int fd = open(current, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return 0;
        char head[256];
        ssize_t n = read(fd, head, sizeof head - 1);
        close(fd);
        if (n < 3 || head[0] != '#' || head[1] != '!') return 0;
        head[n] = 0;
        char *p = head + 2;
        while (*p == ' ' || *p == '\t') p++;
        char *end = p;
        while (*end && *end != ' ' && *end != '\t' && *end != '\n') end++;
        *end = 0;
        copy_detail(current, sizeof current, p, NULL);
    }
    return 0;
}

static int is_executable_file(const char *path, int *err) {
    struct stat st;
    if (stat(path, &st) < 0) {
        *err = errno;
        return 0;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) {
        *err = EACCES;
        return 0;
    }
    return 1;
}

/// Resolves args[0] the way execvp would, into `out`.
static void find_executable(const struct skiff_spawn_config *cfg, char *out, size_t size) {
    const char *name = cfg->argv[0];
    if (name == NULL || name[0] == 0) fail(cfg, SKIFF_STEP_FIND_EXECUTABLE, EINVAL, "args is empty", NULL);
    int err = ENOENT;
    if (strchr(name, '/') != NULL) {
        copy_detail(out, size, name, NULL);
        if (!is_executable_file(out, &err)) fail(cfg, SKIFF_STEP_FIND_EXECUTABLE, err, name, NULL);
    } else {
        const char *path = cfg->path_env ? cfg->path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        int found = 0;
        const char *p = path;
        while (!found) {
            const char *colon = strchr(p, ':');
            size_t dirlen = colon ? (size_t)(colon - p) : strlen(p);
            if (dirlen + strlen(name) + 2 < size) {
                if (dirlen == 0) {
                    out[0] = '.';
                    dirlen = 1;
                } else {
                    memcpy(out, p, dirlen);
                }
                out[dirlen] = '/';
                strcpy(out + dirlen + 1, name);
                int e = 0;
                if (is_executable_file(out, &e)) found = 1;
            }
            if (!colon) break;
            p = colon + 1;
        }
        // ENOENT here means "not found in $PATH"; the parent words it.
        if (!found) fail(cfg, SKIFF_STEP_FIND_EXECUTABLE, ENOENT, name, NULL);
    }
    if (is_runtime_binary(cfg, out)) fail(cfg, SKIFF_STEP_FIND_EXECUTABLE, EPERM, "refusing to run the runtime binary in the container: ", name);
}

static void install_seccomp(const struct skiff_spawn_config *cfg) {
    struct sock_fprog prog = {.len = cfg->seccomp_len, .filter = (struct sock_filter *)cfg->seccomp_filter};
    unsigned int flags = cfg->seccomp_flags;
    if (cfg->seccomp_listener_fd >= 0) flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    if (rc < 0) fail(cfg, SKIFF_STEP_SECCOMP, errno, "seccomp(SECCOMP_SET_MODE_FILTER)", NULL);
    if (cfg->seccomp_listener_fd >= 0) {
        if (send_fd(cfg->seccomp_listener_fd, (int)rc, "seccomp") < 0) fail(cfg, SKIFF_STEP_SECCOMP, errno, "send the seccomp listener", NULL);
        close((int)rc);
        close(cfg->seccomp_listener_fd);
    }
}

static void set_user(const struct skiff_spawn_config *cfg) {
    if (!cfg->set_user) return;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail(cfg, SKIFF_STEP_SET_USER, errno, "prctl(PR_SET_KEEPCAPS)", NULL);
    // Raw system calls, not glibc's wrappers: those change every thread of the
    // process (SIGSETXID to each thread in glibc's list), and a clone of a
    // multi-threaded parent inherits that list without the threads: it would
    // wait for them forever.
    if (syscall(SYS_setgroups, cfg->n_groups, cfg->groups) < 0 && errno != EPERM) fail(cfg, SKIFF_STEP_SET_USER, errno, "setgroups", NULL);
    if (syscall(SYS_setresgid, cfg->gid, cfg->gid, cfg->gid) < 0) fail(cfg, SKIFF_STEP_SET_USER, errno, "setresgid", NULL);
    if (syscall(SYS_setresuid, cfg->uid, cfg->uid, cfg->uid) < 0) fail(cfg, SKIFF_STEP_SET_USER, errno, "setresuid", NULL);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fail(cfg, SKIFF_STEP_SET_USER, errno, "prctl(PR_SET_KEEPCAPS, 0)", NULL);
}

static void drop_bounding(const struct skiff_spawn_config *cfg) {
    if (!cfg->set_caps) return;
    for (int cap = 0; cap <= 63; cap++) {
        if (cfg->cap_bounding & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
            char what[48];
            snprintf(what, sizeof what, "prctl(PR_CAPBSET_DROP, %d)", cap);
            fail(cfg, SKIFF_STEP_CAPABILITIES, errno, what, NULL);
        }
    }
}

static void set_capabilities(const struct skiff_spawn_config *cfg) {
    if (!cfg->set_caps) return;
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    for (int i = 0; i < 2; i++) {
        data[i].effective = (uint32_t)(cfg->cap_effective >> (32 * i));
        data[i].permitted = (uint32_t)(cfg->cap_permitted >> (32 * i));
        data[i].inheritable = (uint32_t)(cfg->cap_inheritable >> (32 * i));
    }
    if (syscall(SYS_capset, &hdr, data) < 0) fail(cfg, SKIFF_STEP_CAPABILITIES, errno, "capset", NULL);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        fail(cfg, SKIFF_STEP_CAPABILITIES, errno, "clear ambient capabilities", NULL);
    for (int cap = 0; cap <= 63; cap++) {
        if (!(cfg->cap_ambient & (1ULL << cap))) continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
            char what[48];
            snprintf(what, sizeof what, "raise ambient capability %d", cap);
            fail(cfg, SKIFF_STEP_CAPABILITIES, errno, what, NULL);
        }
    }
}

/// Runs hooks one after the other, `state` on their stdin; any failure ends the child.
static void run_hooks(const struct skiff_spawn_config *cfg, int step, const struct skiff_hook *hooks, size_t n, const char *state) {
    for (size_t i = 0; i < n; i++) {
        const struct skiff_hook *h = &hooks[i];
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0) fail(cfg, step, errno, "pipe for hook ", h->path);
        pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
        if (pid < 0) fail(cfg, step, errno, "fork hook ", h->path);
        if (pid == 0) {
            dup2(pipefd[0], 0);
            execve(h->path, h->argv, h->envp);
            _exit(127);
        }
        close(pipefd[0]);
        if (state) (void)!write(pipefd[1], state, strlen(state));
        close(pipefd[1]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail(cfg, step, ECHILD, "hook failed: ", h->path);
    }
}

// MARK: - The child, top to bottom

__attribute__((noreturn)) static void child_main(const struct skiff_spawn_config *cfg) {
    // Not dumpable until execve: other processes in the container cannot
    // open /proc/<pid>/exe (the runtime binary) while we are in there.
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    close(cfg->parent_sync_fd);

    // The caller's signal mask and ignored signals would survive execve
    // (a monitor blocks SIGTERM for its signalfd, ignores SIGPIPE): the
    // container's program starts with every signal at its default.
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP) (void)signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);

    // 0. Into our v1 cgroups, ourselves: a single thread writing "0" to `tasks` takes no
    //    global lock (see skiff_spawn_config). Before any namespace is joined or unshared.
    for (size_t i = 0; i < cfg->n_cgroup_tasks_fds; i++) {
        if (write(cfg->cgroup_tasks_fds[i], "0", 1) != 1) fail(cfg, SKIFF_STEP_JOIN_CGROUP, errno, "write 0 to a cgroup's tasks", NULL);
        close(cfg->cgroup_tasks_fds[i]);
    }

    // 1. Wait until the parent wrote our id maps and finished placing us in our cgroup.
    wait_step(cfg, SKIFF_STEP_WAIT_PARENT);

    // 2. Join namespaces given by path.
    join_namespaces(cfg);

    // 3. In a new user namespace, become its root.
    if (cfg->clone_flags & CLONE_NEWUSER) {
        if (syscall(SYS_setresgid, 0, 0, 0) < 0) fail(cfg, SKIFF_STEP_SET_IDS_IN_USERNS, errno, "setresgid(0)", NULL);
        if (syscall(SYS_setresuid, 0, 0, 0) < 0) fail(cfg, SKIFF_STEP_SET_IDS_IN_USERNS, errno, "setresuid(0)", NULL);
    }

    // 4. A cgroup namespace rooted at our cgroup.
    if (cfg->unshare_cgroup && unshare(CLONE_NEWCGROUP) < 0) fail(cfg, SKIFF_STEP_UNSHARE_CGROUP, errno, "unshare(CLONE_NEWCGROUP)", NULL);

    // 5. A new network namespace starts with lo down; runc and crun bring it up.
    if (cfg->clone_flags & CLONE_NEWNET) bring_up_loopback(cfg);

    int peer = -1;
    if (cfg->rootfs != NULL) {
        // 6. Nothing we mount propagates back to the host.
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail(cfg, SKIFF_STEP_ROOT_PROPAGATION, errno, "make / a recursive slave", NULL);

        // 7. The rootfs becomes a mount point of its own.
        if (mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) fail(cfg, SKIFF_STEP_BIND_ROOTFS, errno, "bind ", cfg->rootfs);
        int rootfd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) fail(cfg, SKIFF_STEP_BIND_ROOTFS, errno, "open ", cfg->rootfs);

        // 8. Mounts, each target resolved inside the rootfs.
        for (size_t i = 0; i < cfg->n_mounts; i++) do_mount(cfg, rootfd, &cfg->mounts[i]);

        // 9. Devices and /dev symlinks.
        make_devices(cfg, rootfd);

        // 10. The terminal.
        if (cfg->terminal) peer = setup_console(cfg, rootfd);

        // The working directory exists before we pivot (runc creates it too).
        if (cfg->cwd) {
            int cwdfd = open_or_create_in_root(rootfd, cfg->cwd, 'd');
            if (cwdfd < 0) fail(cfg, SKIFF_STEP_CWD, errno, "create ", cfg->cwd);
            close(cwdfd);
        }

        // 11. prestart and createRuntime hooks run in the parent now; it
        // then sends the state, and createContainer hooks run here, in the
        // container's mount namespace before pivot_root.
        if (cfg->hooks_in_parent) {
            send_step(cfg, SKIFF_STEP_HOOKS);
            wait_step(cfg, SKIFF_STEP_HOOKS);
            char state[16384];
            ssize_t n;
            do {
                n = recv(cfg->sync_fd, state, sizeof state - 1, 0);
            } while (n < 0 && errno == EINTR);
            if (n < 0) fail(cfg, SKIFF_STEP_HOOKS, errno, "receive the state for hooks", NULL);
            state[n] = 0;
            run_hooks(cfg, SKIFF_STEP_HOOKS, cfg->create_hooks, cfg->n_create_hooks, state);
        }

        // 12. Into the new root.
        close(rootfd);
        pivot_into(cfg);
        if (cfg->rootfs_propagation && mount(NULL, "/", NULL, cfg->rootfs_propagation, NULL) < 0)
            fail(cfg, SKIFF_STEP_PIVOT_ROOT, errno, "rootfsPropagation", NULL);

        // 13-16. Sysctls, masked and read-only paths, read-only root.
        write_sysctls(cfg);
        mask_paths(cfg);
        readonly_paths(cfg);
        if (cfg->rootfs_readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
            fail(cfg, SKIFF_STEP_READONLY_ROOT, errno, "remount / read-only", NULL);
    } else {
        if (cfg->terminal) peer = setup_console(cfg, -1);
    }

    // 17. Names.
    if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0) fail(cfg, SKIFF_STEP_HOSTNAME, errno, "sethostname ", cfg->hostname);
    if (cfg->domainname && setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0) fail(cfg, SKIFF_STEP_HOSTNAME, errno, "setdomainname ", cfg->domainname);

    // The process's session and stdio.
    if (setsid() < 0 && errno != EPERM) fail(cfg, SKIFF_STEP_CONSOLE, errno, "setsid", NULL);
    if (peer >= 0) {
        if (ioctl(peer, TIOCSCTTY, 0) < 0) fail(cfg, SKIFF_STEP_CONSOLE, errno, "TIOCSCTTY", NULL);
        for (int fd = 0; fd < 3; fd++)
            if (dup2(peer, fd) < 0) fail(cfg, SKIFF_STEP_CONSOLE, errno, "dup2 pty", NULL);
        if (peer > 2) close(peer);
    } else {
        for (int fd = 0; fd < 3; fd++)
            if (cfg->stdio_fds[fd] >= 0 && dup2(cfg->stdio_fds[fd], fd) < 0) fail(cfg, SKIFF_STEP_CONSOLE, errno, "dup2 stdio", NULL);
    }

    // 18. Working directory.
    if (cfg->cwd && chdir(cfg->cwd) < 0) fail(cfg, SKIFF_STEP_CWD, errno, "chdir ", cfg->cwd);

    // 19-20. Limits.
    for (size_t i = 0; i < cfg->n_rlimits; i++) {
        struct rlimit64 lim = {.rlim_cur = cfg->rlimits[i].soft, .rlim_max = cfg->rlimits[i].hard};
        if (setrlimit64(cfg->rlimits[i].resource, &lim) < 0) {
            char what[32];
            snprintf(what, sizeof what, "setrlimit(%d)", cfg->rlimits[i].resource);
            fail(cfg, SKIFF_STEP_RLIMIT, errno, what, NULL);
        }
    }
    if (cfg->set_oom_score_adj) {
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        char value[16];
        int len = snprintf(value, sizeof value, "%d", cfg->oom_score_adj);
        if (fd < 0 || write(fd, value, (size_t)len) != len) fail(cfg, SKIFF_STEP_OOM_SCORE, errno, "write /proc/self/oom_score_adj", NULL);
        close(fd);
    }
    if (cfg->umask >= 0) umask((mode_t)cfg->umask);

    // 21. The program, found before we report success.
    char exe[4096];
    find_executable(cfg, exe, sizeof exe);

    // 22. Without no_new_privs, seccomp needs CAP_SYS_ADMIN: install it now.
    if (cfg->seccomp_filter && !cfg->no_new_privs) install_seccomp(cfg);

    // 23-25. Who the process is and what it may do.
    drop_bounding(cfg);
    set_user(cfg);
    set_capabilities(cfg);
    if (cfg->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(cfg, SKIFF_STEP_NO_NEW_PRIVS, errno, "prctl(PR_SET_NO_NEW_PRIVS)", NULL);

    // Only the preserved fds cross execve.
    if (syscall(SYS_close_range, 3 + cfg->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        fail(cfg, SKIFF_STEP_READY, errno, "close_range", NULL);

    // 26. Created.
    send_step(cfg, SKIFF_STEP_READY);

    // 27. Wait for `start`: a reader on the exec fifo, or the parent's go.
    // The fifo is opened by name in its (0711) state directory: the process
    // may by now be a user without CAP_DAC_OVERRIDE, and, not dumpable, it
    // could not reopen an fd through /proc/self/fd.
    if (cfg->exec_fifo_fd >= 0) {
        int fifo;
        do {
            fifo = openat(cfg->exec_fifo_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
        } while (fifo < 0 && errno == EINTR);
        if (fifo < 0) fail(cfg, SKIFF_STEP_WAIT_START, errno, "open exec fifo", NULL);
        if (write(fifo, "0", 1) != 1) fail(cfg, SKIFF_STEP_WAIT_START, errno, "write exec fifo", NULL);
        close(fifo);
        close(cfg->exec_fifo_fd);
    } else {
        wait_step(cfg, SKIFF_STEP_WAIT_START);
    }

    // 28. startContainer hooks, inside the container.
    run_hooks(cfg, SKIFF_STEP_START_HOOKS, cfg->start_hooks, cfg->n_start_hooks, cfg->hook_state);

    // With no_new_privs, seccomp goes in as late as possible.
    if (cfg->seccomp_filter && cfg->no_new_privs) install_seccomp(cfg);

    // 29. The program. On success the sync socket closes (CLOEXEC): EOF tells the parent.
    execve(exe, cfg->argv, cfg->envp);
    int err = errno;
    char msg[512];
    int len = snprintf(msg, sizeof msg, "skiff-runtime: exec %s: %s\n", exe, strerror(err));
    if (len > 0) (void)!write(2, msg, (size_t)len);
    fail(cfg, SKIFF_STEP_EXEC, err, exe, NULL);
}

pid_t skiff_spawn(const struct skiff_spawn_config *cfg, int *cloned_into_cgroup) {
    // A raw clone without CLONE_VM: the child runs on a copy-on-write copy of
    // this stack, like fork, but with new namespaces from the start.
    long pid = -1;
    *cloned_into_cgroup = 0;
    if (cfg->clone_into_cgroup_fd >= 0) {
        struct clone_args args;
        memset(&args, 0, sizeof args);
        args.flags = (uint64_t)cfg->clone_flags | CLONE_INTO_CGROUP;
        args.exit_signal = SIGCHLD;
        args.cgroup = (uint64_t)cfg->clone_into_cgroup_fd;
        pid = syscall(SYS_clone3, &args, sizeof args);
        // Refused (no clone3 before Linux 5.7, a seccomp filter, a cgroup that takes no
        // process): a plain clone, and the parent places the child.
        if (pid > 0) *cloned_into_cgroup = 1;
    }
    if (pid < 0) pid = syscall(SYS_clone, (unsigned long)cfg->clone_flags | SIGCHLD, 0, NULL, NULL, 0);
    if (pid < 0) return -1;
    if (pid == 0) child_main(cfg);
    return (pid_t)pid;
}
