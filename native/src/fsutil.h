/* fsutil.c: file calls Node lacks (flock, the overlayfs opaque mark). */
#ifndef TSRUN_FSUTIL_H
#define TSRUN_FSUTIL_H
#include <node_api.h>

void tsrun_register_fsutil(napi_env env, napi_value exports);

#endif
