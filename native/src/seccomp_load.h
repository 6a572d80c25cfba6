/* Placeholder interface until the seccomp module lands (seccomp branch). */
#ifndef TSRUN_SECCOMP_LOAD_H
#define TSRUN_SECCOMP_LOAD_H
#include <node_api.h>
#include <stdbool.h>
struct tsrun_seccomp_plan;
struct child_ctx;
int tsrun_seccomp_install(const struct tsrun_seccomp_plan *p, int *notify_fd);
void tsrun_seccomp_after_install(struct child_ctx *c, int notify_fd);
bool tsrun_seccomp_from_js(napi_env env, napi_value obj, struct tsrun_seccomp_plan **out);
void tsrun_seccomp_free(struct tsrun_seccomp_plan *p);
#endif
