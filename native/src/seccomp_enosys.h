/* The -ENOSYS prefix runc puts before libseccomp's program: a syscall whose
 * number is above the highest one the profile names (per architecture) is a
 * syscall newer than the profile, so it gets ENOSYS (and libc falls back to
 * an older call) rather than the profile's default EPERM/kill. Parent only. */
#ifndef TSRUN_SECCOMP_ENOSYS_H
#define TSRUN_SECCOMP_ENOSYS_H
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

struct tsrun_arch_max {
  uint32_t scmp_arch; /* SCMP_ARCH_* token as libseccomp uses it */
  uint32_t max_nr;    /* highest syscall number the profile names on it */
};

/* Write the stub for these architectures into out[0..cap); returns its
 * length (0 when no architecture has syscalls), or -ENOSPC / -EINVAL (two
 * entries for one native arch other than x86_64 + x32). The stub ends by
 * falling into the next instruction, which must be libseccomp's program
 * (it reloads the architecture itself). */
int tsrun_enosys_stub(const struct tsrun_arch_max *archs, size_t n, struct sock_filter *out, size_t cap);

#endif
