/* Parent-side conversion of the TS SeccompPlan (src/native/plan.ts) into the
 * C struct the init reads after fork. Runs in node only (uses malloc and
 * N-API); plan.c calls it while building the InitPlan. */
#ifndef TSRUN_SECCOMP_PLAN_H
#define TSRUN_SECCOMP_PLAN_H
#include <node_api.h>
#include <stdbool.h>

#include "seccomp_load.h"

/* Copy { filter: Buffer, flags: number, listenerPath?: string } into *out
 * (filter and path malloc'd). Checks that the Buffer holds 1..4096 whole
 * struct sock_filter and that listenerPath is present iff flags has
 * SECCOMP_FILTER_FLAG_NEW_LISTENER. On failure it throws a JS error, leaves
 * *out zeroed (nothing to free) and returns false. */
bool tsrun_seccomp_plan_from_js(napi_env env, napi_value seccomp_plan, struct tsrun_seccomp_plan *out);

/* Free what tsrun_seccomp_plan_from_js allocated; safe on a zeroed struct. */
void tsrun_seccomp_plan_free(struct tsrun_seccomp_plan *p);

#endif
