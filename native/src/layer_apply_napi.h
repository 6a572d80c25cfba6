/* layer_apply_napi.c: the JS calls of the layer applier (layerApplyStart,
 * layerApplySubmit, layerApplyEnd, layerApplyCancel); events reach JS
 * through a threadsafe function. */
#ifndef TSRUN_LAYER_APPLY_NAPI_H
#define TSRUN_LAYER_APPLY_NAPI_H
#include <node_api.h>

void tsrun_register_layer_apply(napi_env env, napi_value exports);

#endif
