#ifndef TSRUN_INIT_H
#define TSRUN_INIT_H
#include <stdbool.h>
#include <node_api.h>
#include "plan.h"
struct child_ctx;
__attribute__((noreturn)) void tsrun_init_stage1(struct tsrun_plan *p, int sync_fd);
void enter_namespaces(struct child_ctx *c, const struct tsrun_ns *ns, int n_ns, bool allow_new);
void child_reset_signals(void);

/* Fork a child that runs `child(arg, sync_fd)` and never returns; the parent
 * gets { pid, syncFd } (a SOCK_SEQPACKET pair, close-on-exec). The caller
 * frees `arg` afterwards either way. */
typedef void (*tsrun_child_fn)(void *arg, int sync_fd);
napi_value tsrun_fork_with_sync(napi_env env, tsrun_child_fn child, void *arg);
#endif
