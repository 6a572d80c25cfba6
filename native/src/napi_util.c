#include "napi_util.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

const char *tsrun_errno_name(int err) {
  const char *n = strerrorname_np(err);
  return n ? n : "EUNKNOWN";
}

napi_value tsrun_make_errno_error(napi_env env, int err, const char *syscall, const char *path) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s: %s%s%s", syscall, strerror(err), path ? " " : "", path ? path : "");
  napi_value m, code, e, sc, p, no;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, tsrun_errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, NULL, m, &e);
  napi_set_named_property(env, e, "code", code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, e, "syscall", sc);
  napi_create_int32(env, -err, &no);
  napi_set_named_property(env, e, "errno", no);
  if (path) {
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &p);
    napi_set_named_property(env, e, "path", p);
  }
  return e;
}

napi_value tsrun_throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  napi_throw(env, tsrun_make_errno_error(env, err, syscall, path));
  return NULL;
}

napi_value tsrun_throw(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

bool tsrun_get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < want) {
    napi_throw_type_error(env, NULL, "too few arguments");
    return false;
  }
  return true;
}

bool tsrun_get_i32(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a number");
    return false;
  }
  return true;
}

bool tsrun_get_u32(napi_env env, napi_value v, uint32_t *out) {
  if (napi_get_value_uint32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a number");
    return false;
  }
  return true;
}

bool tsrun_get_i64(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_bigint) {
    bool lossless;
    if (napi_get_value_bigint_int64(env, v, out, &lossless) == napi_ok) return true;
  } else if (napi_get_value_int64(env, v, out) == napi_ok) {
    return true;
  }
  napi_throw_type_error(env, NULL, "expected a number or bigint");
  return false;
}

bool tsrun_get_bool(napi_env env, napi_value v, bool *out) {
  if (napi_get_value_bool(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a boolean");
    return false;
  }
  return true;
}

bool tsrun_get_string(napi_env env, napi_value v, char **out) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a string");
    return false;
  }
  char *s = malloc(len + 1);
  if (!s) {
    napi_throw_error(env, NULL, "out of memory");
    return false;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  *out = s;
  return true;
}

bool tsrun_prop(napi_env env, napi_value obj, const char *name, napi_value *out, bool *present) {
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok) return false;
  *present = false;
  if (!has) return true;
  if (napi_get_named_property(env, obj, name, out) != napi_ok) return false;
  napi_valuetype t;
  napi_typeof(env, *out, &t);
  *present = t != napi_undefined && t != napi_null;
  return true;
}

napi_value tsrun_make_i32(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

napi_value tsrun_make_string(napi_env env, const char *s) {
  napi_value r;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r);
  return r;
}

void tsrun_export(napi_env env, napi_value exports, const tsrun_fn *fns, size_t n) {
  for (size_t i = 0; i < n; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
}
