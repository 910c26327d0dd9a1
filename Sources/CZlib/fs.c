#define _GNU_SOURCE
#include "czlib_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int czlib_openat2_in_root(int dirfd, const char *path, int flags, unsigned int mode) {
    struct open_how how = {
        .flags = (uint64_t)(unsigned int)flags,
        .mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    for (int attempt = 0; attempt < 64; attempt++) {
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        if (fd >= 0) return (int)fd;
        if (errno != EAGAIN && errno != EINTR) return -1;
    }
    return -1;
}

int czlib_start_writeback(int fd, int64_t offset, int64_t length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}

uint64_t czlib_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }
unsigned int czlib_major(uint64_t dev) { return major(dev); }
unsigned int czlib_minor(uint64_t dev) { return minor(dev); }
