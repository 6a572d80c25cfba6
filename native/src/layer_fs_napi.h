/* layer_fs_napi.c: the JS calls of the layer unpacker (layerOpenRoot,
 * layerCreateFile, layerWrite, layerFinishFile, layerWriteFile, layerMkdir, layerSymlink,
 * layerHardlink, layerMknod, layerWhiteout, layerOpaque, layerSetTimes). */
#ifndef TSRUN_LAYER_FS_NAPI_H
#define TSRUN_LAYER_FS_NAPI_H
#include <node_api.h>

void tsrun_register_layer_fs(napi_env env, napi_value exports);

#endif
