/* JS-facing call of the layer unpacker (layer_fs.h): the layer root fd. The
 * entries themselves are carried out by the applying thread (layer_apply.c),
 * relative to it. */
#include <stdlib.h>

#include "layer_fs.h"
#include "layer_fs_napi.h"
#include "napi_util.h"

/* layerOpenRoot(path) -> O_PATH fd of the layer directory */
static napi_value js_open_root(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char *path;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_string(env, argv[0], &path)) return NULL;
  const char *call = "";
  int fd = tsrun_layer_open_root(path, &call);
  napi_value out = fd < 0 ? tsrun_throw_errno(env, -fd, call, path) : tsrun_make_i32(env, fd);
  free(path);
  return out;
}

void tsrun_register_layer_fs(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {
      {"layerOpenRoot", js_open_root},
  };
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
