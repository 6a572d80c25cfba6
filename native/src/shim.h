/* shim.c: what the containerd shim needs beyond the lifecycle (mount, unmount, exitedChild, pipe). */
#ifndef TSRUN_SHIM_H
#define TSRUN_SHIM_H
#include <node_api.h>

void tsrun_register_shim(napi_env env, napi_value exports);

#endif
