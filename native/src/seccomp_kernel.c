/* Kernel seccomp feature probes; see seccomp_kernel.h. */
#include "seccomp_kernel.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

bool tsrun_seccomp_action_available(uint32_t action) {
  uint32_t base = action & SECCOMP_RET_ACTION_FULL;
  if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &base) == 0) return true;
  if (errno == EOPNOTSUPP) return false;
  /* no GET_ACTION_AVAIL: only what every seccomp-filter kernel has */
  return base == SECCOMP_RET_KILL_THREAD || base == SECCOMP_RET_TRAP || base == SECCOMP_RET_ERRNO ||
         base == SECCOMP_RET_TRACE || base == SECCOMP_RET_ALLOW;
}

bool tsrun_seccomp_flags_supported(unsigned int flags) {
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);
  return r < 0 && errno == EFAULT;
}
