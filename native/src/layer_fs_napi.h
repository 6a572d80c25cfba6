/* layer_fs_napi.c: the JS call of the layer unpacker (layerOpenRoot); the
 * entries go through layer_apply_napi.c. */
#ifndef TSRUN_LAYER_FS_NAPI_H
#define TSRUN_LAYER_FS_NAPI_H
#include <node_api.h>

void tsrun_register_layer_fs(napi_env env, napi_value exports);

#endif
