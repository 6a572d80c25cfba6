/* process.c: the process settings and the execve, in the child (init and exec). */
#ifndef TSRUN_PROCESS_H
#define TSRUN_PROCESS_H
#include <stdbool.h>
#include "child.h"

/* rlimits, oom_score_adj, user and groups, capabilities, cwd, no_new_privs */
void process_finalize(struct child_ctx *c, bool is_init);
/* Resolve argv[0] with the process PATH into buf; fails like runc ("executable file not found in $PATH"). */
const char *process_lookup_exec(struct child_ctx *c);
/* the seccomp filter, last before execve (and the listener fd to the agent) */
void process_seccomp_late(struct child_ctx *c);
__attribute__((noreturn)) void process_exec(struct child_ctx *c, const char *path);
/* createContainer / startContainer hooks, run by the init itself */
void run_hooks(struct child_ctx *c, const char *kind, const struct tsrun_hook *hooks, int n);

#endif
