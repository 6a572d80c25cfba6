/* init.c: the container init, in two forked stages (see init.c), and the
 * steps it shares with exec: joining namespaces, default signal dispositions. */
#ifndef TSRUN_INIT_H
#define TSRUN_INIT_H
#include <stdbool.h>
#include "plan.h"
struct child_ctx;

__attribute__((noreturn)) void tsrun_init_stage1(struct tsrun_plan *p, int sync_fd);
/* Join (path) or, with allow_new, create the namespaces: user first, mount last. */
void enter_namespaces(struct child_ctx *c, const struct tsrun_ns *ns, int n_ns, bool allow_new);
/* node ignores SIGPIPE and may block signals: restore the defaults for the container */
void child_reset_signals(void);

#endif
