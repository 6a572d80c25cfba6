/* N-API entry: each C module registers its own functions. */
#include "addon.h"

static napi_value init(napi_env env, napi_value exports) {
  tsrun_register_fsutil(env, exports);
  tsrun_register_spawn(env, exports);
  tsrun_register_exec(env, exports);
  tsrun_register_fdpass(env, exports);
  tsrun_register_seccomp(env, exports);
  tsrun_register_bpf_devices(env, exports);
  tsrun_register_tty(env, exports);
  tsrun_register_shim(env, exports);
  tsrun_register_layer_fs(env, exports);
  tsrun_register_layer_decode(env, exports);
  tsrun_register_layer_apply(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
