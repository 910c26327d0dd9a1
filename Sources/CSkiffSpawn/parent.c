// Parent-side helpers (ordinary code: allocation is fine here).
#define _GNU_SOURCE
#include <sys/prctl.h>
#include "skiff_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <malloc.h>
#include <sched.h>
#include <string.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

int skiff_signalfd_for(const int *signals, int count) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    // Non-blocking: in a process with other threads a signal poll() saw can be
    // taken by another thread before the read.
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int skiff_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n;
    do {
        n = read(fd, &info, sizeof info);
    } while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof info ? (int)info.ssi_signo : -1;
}

int skiff_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int skiff_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int skiff_setns(int fd, int nstype) {
    return setns(fd, nstype);
}

int skiff_unshare(int flags) {
    return unshare(flags);
}

int skiff_open_in_root(const char *root, const char *path, int flags) {
    int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return -1;
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    int saved = errno;
    close(rootfd);
    errno = saved;
    return fd;
}

int skiff_set_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int skiff_close_from(int first) {
    return (int)syscall(SYS_close_range, (unsigned)first, ~0U, 0);
}

int skiff_malloc_trim(void) {
    return malloc_trim(0);
}
