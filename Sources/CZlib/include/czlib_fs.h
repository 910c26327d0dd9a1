// File-system calls SkiffArchive needs that Swift's Glibc module does not declare.
// (They live in CZlib only because SkiffArchive may not depend on CSkiffSpawn; they can move.)
#ifndef CZLIB_FS_H
#define CZLIB_FS_H
#include <stdint.h>
#include <sys/types.h>
#include <sys/xattr.h>  // lsetxattr, fsetxattr, llistxattr, ...: not in Glibc

/// openat2(dirfd, path, {flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS}): `path` is resolved
/// with `dirfd` as the root, so neither `..` nor a symlink (absolute or relative) can leave it.
/// Retries EAGAIN and EINTR. Returns the fd, or -1 with errno set (ENOSYS before Linux 5.6).
int czlib_openat2_in_root(int dirfd, const char *path, int flags, unsigned int mode);

/// sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE): starts writeback of that range
/// without waiting for it, so a later fsync finds little left to write. Returns 0 or -1 (errno).
int czlib_start_writeback(int fd, int64_t offset, int64_t length);

/// makedev(3), major(3), minor(3): macros in glibc.
uint64_t czlib_makedev(unsigned int major, unsigned int minor);
unsigned int czlib_major(uint64_t dev);
unsigned int czlib_minor(uint64_t dev);
#endif
