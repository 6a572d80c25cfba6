/* fdpass_napi.c: the JS calls over fdpass.h (sendFd, sendFdStream, recvFd, connectUnix, listenUnix, acceptUnix). */
#ifndef TSRUN_FDPASS_NAPI_H
#define TSRUN_FDPASS_NAPI_H
#include <node_api.h>

void tsrun_register_fdpass(napi_env env, napi_value exports);

#endif
