/* Reading the JS seccomp profile into C; see seccomp_profile.h. */
#include "seccomp_profile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "napi_util.h"

#define JSON_ROOT "linux.seccomp"
#define PATH_LEN 160

void tsrun_seccomp_throw(napi_env env, const char *json_path, const char *message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  napi_value m, e;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  napi_set_named_property(env, e, "jsonPath", tsrun_make_string(env, json_path));
  napi_set_named_property(env, e, "code", tsrun_make_string(env, "ESECCOMPPROFILE"));
  napi_throw(env, e);
}

static bool fail(napi_env env, const char *path, const char *fmt, ...) {
  char msg[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  tsrun_seccomp_throw(env, path, msg);
  return false;
}

static bool get_opt_string(napi_env env, napi_value obj, const char *key, char **out, bool *present) {
  napi_value v;
  *out = NULL;
  if (!tsrun_prop(env, obj, key, &v, present)) return false;
  if (!*present) return true;
  return tsrun_get_string(env, v, out);
}

static bool get_array(napi_env env, napi_value obj, const char *key, napi_value *arr, uint32_t *len) {
  bool present, isarr = false;
  *len = 0;
  if (!tsrun_prop(env, obj, key, arr, &present)) return false;
  if (!present) return true;
  napi_is_array(env, *arr, &isarr);
  if (!isarr) {
    napi_throw_type_error(env, NULL, "seccomp profile: expected an array");
    return false;
  }
  return napi_get_array_length(env, *arr, len) == napi_ok;
}

/* Throws with `path` (the key's JSON path) when the value is no uint32. */
static bool get_opt_u32(napi_env env, napi_value obj, const char *key, uint32_t *out, bool *present, const char *path) {
  napi_value v;
  if (!tsrun_prop(env, obj, key, &v, present)) return false;
  if (!*present) return true;
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d > 4294967295.0 || d != (double)(uint32_t)d)
    return fail(env, path, "%s must be an integer 0..4294967295", key);
  *out = (uint32_t)d;
  return true;
}

static bool get_u64(napi_env env, napi_value obj, const char *key, uint64_t *out, const char *path) {
  napi_value v;
  bool present;
  *out = 0;
  if (!tsrun_prop(env, obj, key, &v, &present)) return false;
  if (!present) return true;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_bigint) {
    bool lossless;
    if (napi_get_value_bigint_uint64(env, v, out, &lossless) == napi_ok && lossless) return true;
  } else if (t == napi_number) {
    double d;
    napi_get_value_double(env, v, &d);
    if (d >= 0 && d <= 9007199254740991.0 && d == (double)(uint64_t)d) {
      *out = (uint64_t)d;
      return true;
    }
  }
  return fail(env, path, "%s must be a bigint 0..2^64-1 or a safe integer", key);
}

/* An action and its errnoRet as one SCMP_ACT_* value (runc: errno defaults to EPERM). */
static bool read_action(napi_env env, napi_value obj, const char *key, const char *errkey, const char *path,
                        const struct tsrun_seccomp_action **action, uint32_t *value) {
  char *name, p[PATH_LEN];
  bool present;
  snprintf(p, sizeof p, "%s.%s", path, key);
  if (!get_opt_string(env, obj, key, &name, &present)) return false;
  if (!present) return fail(env, p, "seccomp action is required");
  const struct tsrun_seccomp_action *a = tsrun_seccomp_find_action(name);
  if (!a) {
    fail(env, p, "unknown seccomp action \"%s\"", name);
    free(name);
    return false;
  }
  free(name);
  uint32_t errno_ret = EPERM;
  bool has_errno;
  snprintf(p, sizeof p, "%s.%s", path, errkey);
  if (!get_opt_u32(env, obj, errkey, &errno_ret, &has_errno, p)) return false;
  /* the errno lives in the action's 16 data bits */
  if (errno_ret > 0xffff) return fail(env, p, "%s %u does not fit in 16 bits", errkey, errno_ret);
  *action = a;
  *value = a->takes_errno ? (a->base | errno_ret) : a->base;
  return true;
}

static bool read_args(napi_env env, napi_value rule, const char *rpath, struct tsrun_seccomp_rule *r) {
  napi_value args;
  uint32_t n;
  char p[PATH_LEN];
  if (!get_array(env, rule, "args", &args, &n)) return false;
  if (n > TSRUN_SECCOMP_MAX_ARGS_PER_RULE) {
    snprintf(p, sizeof p, "%s.args", rpath);
    return fail(env, p, "more than %d argument conditions", TSRUN_SECCOMP_MAX_ARGS_PER_RULE);
  }
  r->args = calloc(n ? n : 1, sizeof *r->args);
  if (!r->args) return tsrun_throw(env, "out of memory"), false;
  for (uint32_t k = 0; k < n; k++) {
    napi_value arg;
    uint32_t index = 0;
    bool present;
    char *op, apath[PATH_LEN - 16];
    snprintf(apath, sizeof apath, "%s.args[%u]", rpath, k);
    napi_get_element(env, args, k, &arg);
    snprintf(p, sizeof p, "%s.index", apath);
    if (!get_opt_u32(env, arg, "index", &index, &present, p)) return false;
    if (!present || index > 5) return fail(env, p, "argument index must be 0..5");
    if (!get_opt_string(env, arg, "op", &op, &present)) return false;
    const struct tsrun_seccomp_operator *o = present ? tsrun_seccomp_find_operator(op) : NULL;
    if (!o) {
      snprintf(p, sizeof p, "%s.op", apath);
      fail(env, p, "unknown seccomp operator \"%s\"", present ? op : "");
      free(op);
      return false;
    }
    free(op);
    struct tsrun_seccomp_arg *a = &r->args[k];
    char vpath[PATH_LEN], v2path[PATH_LEN];
    snprintf(vpath, sizeof vpath, "%s.value", apath);
    snprintf(v2path, sizeof v2path, "%s.valueTwo", apath);
    if (!get_u64(env, arg, "value", &a->value, vpath) || !get_u64(env, arg, "valueTwo", &a->value_two, v2path))
      return false;
    a->index = index;
    a->op = o->op;
    r->n_args = k + 1;
  }
  return true;
}

static bool read_names(napi_env env, napi_value rule, struct tsrun_seccomp_rule *r) {
  napi_value names;
  uint32_t n;
  if (!get_array(env, rule, "names", &names, &n)) return false;
  r->names = calloc(n ? n : 1, sizeof *r->names);
  if (!r->names) return tsrun_throw(env, "out of memory"), false;
  for (uint32_t j = 0; j < n; j++) {
    napi_value v;
    napi_get_element(env, names, j, &v);
    if (!tsrun_get_string(env, v, &r->names[j])) return false;
    r->n_names = j + 1;
  }
  return true;
}

static bool read_rules(napi_env env, napi_value profile, struct tsrun_seccomp_profile *out) {
  napi_value rules;
  uint32_t n;
  if (!get_array(env, profile, "syscalls", &rules, &n)) return false;
  out->rules = calloc(n ? n : 1, sizeof *out->rules);
  if (!out->rules) return tsrun_throw(env, "out of memory"), false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value rule;
    char rpath[48]; /* "linux.seccomp.syscalls[4294967295]" */
    struct tsrun_seccomp_rule *r = &out->rules[i];
    out->n_rules = i + 1;
    snprintf(rpath, sizeof rpath, JSON_ROOT ".syscalls[%u]", i);
    napi_get_element(env, rules, i, &rule);
    if (!read_action(env, rule, "action", "errnoRet", rpath, &r->action, &r->action_value)) return false;
    if (r->action->base == SCMP_ACT_NOTIFY) out->uses_notify = true;
    if (!read_args(env, rule, rpath, r) || !read_names(env, rule, r)) return false;
  }
  return true;
}

static bool read_archs(napi_env env, napi_value profile, struct tsrun_seccomp_profile *out) {
  napi_value archs;
  uint32_t n;
  if (!get_array(env, profile, "architectures", &archs, &n)) return false;
  out->archs = calloc(n ? n : 1, sizeof *out->archs);
  if (!out->archs) return tsrun_throw(env, "out of memory"), false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    char *name, p[PATH_LEN];
    snprintf(p, sizeof p, JSON_ROOT ".architectures[%u]", i);
    napi_get_element(env, archs, i, &v);
    if (!tsrun_get_string(env, v, &name)) return false;
    out->archs[i] = tsrun_seccomp_find_arch(name);
    if (!out->archs[i]) {
      fail(env, p, "unknown seccomp architecture \"%s\"", name);
      free(name);
      return false;
    }
    free(name);
    out->n_archs = i + 1;
  }
  return true;
}

static bool read_flags(napi_env env, napi_value profile, struct tsrun_seccomp_profile *out) {
  napi_value arr;
  uint32_t n;
  if (!tsrun_prop(env, profile, "flags", &arr, &out->flags_given)) return false;
  if (!out->flags_given) return true;
  if (!get_array(env, profile, "flags", &arr, &n)) return false;
  out->flags = calloc(n ? n : 1, sizeof *out->flags);
  if (!out->flags) return tsrun_throw(env, "out of memory"), false;
  for (uint32_t i = 0; i < n; i++) {
    char p[PATH_LEN], *name;
    napi_value v;
    snprintf(p, sizeof p, JSON_ROOT ".flags[%u]", i);
    napi_get_element(env, arr, i, &v);
    if (!tsrun_get_string(env, v, &name)) return false;
    out->flags[i] = tsrun_seccomp_find_flag(name);
    if (!out->flags[i]) {
      fail(env, p, "unknown seccomp flag \"%s\"", name);
      free(name);
      return false;
    }
    free(name);
    out->n_flags = i + 1;
  }
  return true;
}

bool tsrun_seccomp_profile_from_js(napi_env env, napi_value obj, struct tsrun_seccomp_profile *out) {
  memset(out, 0, sizeof *out);
  return read_action(env, obj, "defaultAction", "defaultErrnoRet", JSON_ROOT, &out->default_action,
                     &out->default_value) &&
         read_flags(env, obj, out) && read_archs(env, obj, out) && read_rules(env, obj, out);
}

void tsrun_seccomp_profile_free(struct tsrun_seccomp_profile *p) {
  for (uint32_t i = 0; i < p->n_rules; i++) {
    for (uint32_t j = 0; j < p->rules[i].n_names; j++) free(p->rules[i].names[j]);
    free(p->rules[i].names);
    free(p->rules[i].args);
  }
  free(p->rules);
  free(p->archs);
  free(p->flags);
  memset(p, 0, sizeof *p);
}
