/* layer_decode_napi.c: the JS calls of the layer decoder (layerDecodeStart,
 * layerDecodeRelease, layerDecodeCancel); events reach JS through a
 * threadsafe function. */
#ifndef TSRUN_LAYER_DECODE_NAPI_H
#define TSRUN_LAYER_DECODE_NAPI_H
#include <node_api.h>

void tsrun_register_layer_decode(napi_env env, napi_value exports);

#endif
