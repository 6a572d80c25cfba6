/* SeccompPlan (JS) -> struct tsrun_seccomp_plan (C), in the parent. */
#include "seccomp_plan.h"

#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "napi_util.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

void tsrun_seccomp_plan_free(struct tsrun_seccomp_plan *p) {
  if (!p) return;
  free(p->prog.filter);
  free(p->listener_path);
  memset(p, 0, sizeof *p);
}

static bool fail(napi_env env, struct tsrun_seccomp_plan *out, const char *msg) {
  tsrun_seccomp_plan_free(out);
  napi_throw_type_error(env, NULL, msg);
  return false;
}

bool tsrun_seccomp_plan_from_js(napi_env env, napi_value obj, struct tsrun_seccomp_plan *out) {
  memset(out, 0, sizeof *out);
  napi_value v;
  bool present, isbuf = false;

  if (!tsrun_prop(env, obj, "filter", &v, &present)) return false;
  if (present) napi_is_buffer(env, v, &isbuf);
  if (!isbuf) return fail(env, out, "seccomp plan: filter must be a Buffer");
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, v, &data, &len) != napi_ok) return fail(env, out, "seccomp plan: bad filter");
  size_t insns = len / sizeof(struct sock_filter);
  if (len % sizeof(struct sock_filter) != 0 || insns == 0 || insns > BPF_MAXINSNS)
    return fail(env, out, "seccomp plan: filter must hold 1..4096 struct sock_filter");
  out->prog.filter = malloc(len);
  if (!out->prog.filter) return fail(env, out, "seccomp plan: out of memory");
  memcpy(out->prog.filter, data, len);
  out->prog.len = (unsigned short)insns;

  uint32_t flags = 0;
  if (!tsrun_prop(env, obj, "flags", &v, &present)) {
    tsrun_seccomp_plan_free(out);
    return false;
  }
  if (present && !tsrun_get_u32(env, v, &flags)) {
    tsrun_seccomp_plan_free(out);
    return false;
  }
  out->flags = flags;

  if (!tsrun_prop(env, obj, "listenerPath", &v, &present)) {
    tsrun_seccomp_plan_free(out);
    return false;
  }
  bool wants_listener = (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0;
  if (wants_listener != present)
    return fail(env, out, "seccomp plan: listenerPath must be set exactly when flags has NEW_LISTENER");
  if (present && !tsrun_get_string(env, v, &out->listener_path)) {
    tsrun_seccomp_plan_free(out);
    return false;
  }
  return true;
}
