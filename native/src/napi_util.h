/* Small helpers for reading JS values into C and throwing typed errors.
 * These run in the parent (node) only: never after fork. */
#ifndef TSRUN_NAPI_UTIL_H
#define TSRUN_NAPI_UTIL_H
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define NAPI_OK(call)                   \
  do {                                  \
    if ((call) != napi_ok) return NULL; \
  } while (0)

/* An Error whose .code is the errno name and .syscall the call name, like
 * Node's own fs errors, so TS can wrap it with fromNodeError(); throw it. */
napi_value tsrun_make_errno_error(napi_env env, int err, const char *syscall, const char *path);
napi_value tsrun_throw_errno(napi_env env, int err, const char *syscall, const char *path);
napi_value tsrun_throw(napi_env env, const char *msg);
const char *tsrun_errno_name(int err);

/* Argument access; each returns false after throwing a TypeError. */
bool tsrun_get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv);
bool tsrun_get_i32(napi_env env, napi_value v, int32_t *out);
bool tsrun_get_u32(napi_env env, napi_value v, uint32_t *out);
bool tsrun_get_i64(napi_env env, napi_value v, int64_t *out);
bool tsrun_get_bool(napi_env env, napi_value v, bool *out);
/* Allocates with malloc; caller frees. */
bool tsrun_get_string(napi_env env, napi_value v, char **out);
/* Property helpers: a missing or undefined property yields the default. */
bool tsrun_prop(napi_env env, napi_value obj, const char *name, napi_value *out, bool *present);
napi_value tsrun_make_i32(napi_env env, int32_t v);
napi_value tsrun_make_string(napi_env env, const char *s);

typedef struct {
  const char *name;
  napi_callback cb;
} tsrun_fn;
void tsrun_export(napi_env env, napi_value exports, const tsrun_fn *fns, size_t n);

#endif
