/* File primitives Node lacks: flock. Called from the parent only. */
#include <errno.h>
#include <sys/file.h>
#include "fsutil.h"
#include "napi_util.h"

/* flock(fd, exclusive, nonblocking) -> true, or false if nonblocking and busy */
static napi_value js_flock(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd;
  bool excl, nb;
  if (!tsrun_get_args(env, info, 3, argv) || !tsrun_get_i32(env, argv[0], &fd) ||
      !tsrun_get_bool(env, argv[1], &excl) || !tsrun_get_bool(env, argv[2], &nb))
    return NULL;
  int op = (excl ? LOCK_EX : LOCK_SH) | (nb ? LOCK_NB : 0);
  int r;
  do r = flock(fd, op);
  while (r < 0 && errno == EINTR);
  napi_value out;
  if (r < 0) {
    if (nb && errno == EWOULDBLOCK) {
      napi_get_boolean(env, false, &out);
      return out;
    }
    return tsrun_throw_errno(env, errno, "flock", NULL);
  }
  napi_get_boolean(env, true, &out);
  return out;
}

void tsrun_register_fsutil(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {{"flock", js_flock}};
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
