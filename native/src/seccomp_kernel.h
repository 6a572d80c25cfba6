/* What the running kernel's seccomp supports. Parent only: the probes are
 * failing seccomp(2) calls without side effects, safe in multithreaded node. */
#ifndef TSRUN_SECCOMP_KERNEL_H
#define TSRUN_SECCOMP_KERNEL_H
#include <stdbool.h>
#include <stdint.h>

#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* SECCOMP_GET_ACTION_AVAIL for an action (its 16 data bits are ignored).
 * Kernels without that operation (< 4.14) only have the classic actions. */
bool tsrun_seccomp_action_available(uint32_t action);

/* Whether seccomp(SECCOMP_SET_MODE_FILTER) accepts this flag combination:
 * with a NULL program a known combination fails with EFAULT, an unknown one
 * with EINVAL. WAIT_KILLABLE_RECV must be probed together with NEW_LISTENER. */
bool tsrun_seccomp_flags_supported(unsigned int flags);

#endif
