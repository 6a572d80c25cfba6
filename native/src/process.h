/* process.c: the process settings and the execve, in the child (init and exec). */
#ifndef TSRUN_PROCESS_H
#define TSRUN_PROCESS_H
#include <stdbool.h>
#include "child.h"

/* everything up to execve that the process settings ask for, in runc's
 * order: labels, rlimits, umask, cwd, HOME, the argv[0] lookup (before any
 * seccomp filter, with the process's credentials), the filter without
 * no_new_privileges, user, capabilities, no_new_privs */
void process_finalize(struct child_ctx *c);
/* hard rlimits above the current ones, raised by stage 1 before any namespace */
void process_raise_hard_rlimits(struct child_ctx *c);
/* process.oomScoreAdj, written by stage 1 before any namespace (runc's nsexec) */
void process_set_oom_score_adj(struct child_ctx *c);
/* with no_new_privileges: the seccomp filter, last before execve (and the listener fd to the agent) */
void process_seccomp_late(struct child_ctx *c);
/* execve the program process_finalize resolved */
__attribute__((noreturn)) void process_exec(struct child_ctx *c);
/* createContainer / startContainer hooks, run by the init itself */
void run_hooks(struct child_ctx *c, const char *kind, const struct tsrun_hook *hooks, int n);

#endif
