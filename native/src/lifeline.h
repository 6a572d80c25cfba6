/* lifeline.c: until `create` has stored the container's state, the processes
 * it forks must not outlive it, or nobody would know them (docs/reliability.md).
 * Stage 1 and the init are both children of tsrun (the init through
 * CLONE_PARENT), armed with PR_SET_PDEATHSIG SIGKILL and checked right after
 * arming; EOF on the sync channel is the second line. The init disarms
 * before it takes on the container's credentials and seccomp filter, and from
 * then on waits for SYNC_COMMIT, exiting on EOF. */
#ifndef TSRUN_LIFELINE_H
#define TSRUN_LIFELINE_H
#include <sys/types.h>

/* Die with SIGKILL when the creator dies; exit now if it already has: our
 * parent is not `creator` (getppid() is 0 when the parent sits outside our pid
 * namespace) or its end of `sync_fd` is closed. Re-arm after a change of
 * euid/egid: the kernel clears the parent-death signal then. */
void lifeline_arm(pid_t creator, int sync_fd);
/* The init is about to be committed: it must outlive tsrun from now on. */
void lifeline_disarm(void);
/* fork(), but the child's parent is our parent (CLONE_PARENT), so the init's
 * parent-death signal follows tsrun, not stage 1 (which exits at once). */
pid_t lifeline_fork_sibling(void);

#endif
