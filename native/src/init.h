#ifndef TSRUN_INIT_H
#define TSRUN_INIT_H
#include <stdbool.h>
#include "plan.h"
struct child_ctx;
__attribute__((noreturn)) void tsrun_init_stage1(struct tsrun_plan *p, int sync_fd);
void enter_namespaces(struct child_ctx *c, const struct tsrun_ns *ns, int n_ns, bool allow_new);
void child_reset_signals(void);
#endif
