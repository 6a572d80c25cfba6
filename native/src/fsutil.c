/* File primitives Node lacks: flock, mkfifo. Called from the parent only. */
#include <errno.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
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

/* mkfifo(path, mode) */
static napi_value js_mkfifo(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char *path = NULL;
  uint32_t mode;
  if (!tsrun_get_args(env, info, 2, argv) || !tsrun_get_string(env, argv[0], &path)) return NULL;
  if (!tsrun_get_u32(env, argv[1], &mode)) {
    free(path);
    return NULL;
  }
  if (mkfifo(path, mode) < 0) {
    int e = errno;
    napi_value r = tsrun_throw_errno(env, e, "mkfifo", path);
    free(path);
    return r;
  }
  /* mkfifo honours the umask; set the exact mode the caller asked for */
  if (chmod(path, mode) < 0) {
    int e = errno;
    napi_value r = tsrun_throw_errno(env, e, "chmod", path);
    free(path);
    return r;
  }
  free(path);
  return NULL;
}

void tsrun_register_fsutil(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {{"flock", js_flock}, {"mkfifo", js_mkfifo}};
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
