/* File primitives Node lacks: flock, reading overlayfs's opaque mark. Called
 * from the parent only. */
#include <errno.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/xattr.h>
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

/* isOverlayOpaque(path) -> whether the directory at path (not followed when a
 * symlink) carries trusted.overlay.opaque=y, overlayfs's mark that the layers
 * below it are hidden there; false when the path or the attribute is absent */
static napi_value js_is_overlay_opaque(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char *path;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_string(env, argv[0], &path)) return NULL;
  char value[8];
  ssize_t n = lgetxattr(path, "trusted.overlay.opaque", value, sizeof value);
  int err = errno;
  napi_value out;
  if (n < 0 && err != ENODATA && err != ENOENT && err != ENOTDIR && err != ENOTSUP) {
    out = tsrun_throw_errno(env, err, "lgetxattr", path);
  } else {
    napi_get_boolean(env, n == 1 && value[0] == 'y', &out);
  }
  free(path);
  return out;
}

void tsrun_register_fsutil(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {{"flock", js_flock}, {"isOverlayOpaque", js_is_overlay_opaque}};
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
