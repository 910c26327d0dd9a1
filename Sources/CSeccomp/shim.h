#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

/* memfd_create(2) with MFD_CLOEXEC; glibc only declares it under _GNU_SOURCE, which Swift's Glibc lacks. */
static inline int skiff_seccomp_memfd(const char *name) {
    return (int)syscall(SYS_memfd_create, name, 1U /* MFD_CLOEXEC */);
}
