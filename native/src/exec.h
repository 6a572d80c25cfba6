/* exec.c: a new process in a running container (spawnExec). */
#ifndef TSRUN_EXEC_H
#define TSRUN_EXEC_H
#include <node_api.h>

void tsrun_register_exec(napi_env env, napi_value exports);

#endif
