/* One register function per C module (each exports its JS-facing calls). */
#ifndef TSRUN_MODULES_H
#define TSRUN_MODULES_H
#include <node_api.h>

void tsrun_register_fsutil(napi_env env, napi_value exports);
void tsrun_register_spawn(napi_env env, napi_value exports);
void tsrun_register_exec(napi_env env, napi_value exports);
void tsrun_register_fdpass(napi_env env, napi_value exports);
void tsrun_register_seccomp(napi_env env, napi_value exports);
void tsrun_register_bpf_devices(napi_env env, napi_value exports);
void tsrun_register_tty(napi_env env, napi_value exports);
void tsrun_register_layer_fs(napi_env env, napi_value exports);

#endif
