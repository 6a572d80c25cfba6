/* seccomp_napi.c: the seccomp calls JS makes, in the parent: compileSeccomp
 * (read the profile, compile it, hand back the filter) and seccompInfo
 * (libseccomp version, what this kernel supports; `tsrun features`). */
#ifndef TSRUN_SECCOMP_NAPI_H
#define TSRUN_SECCOMP_NAPI_H
#include <node_api.h>

void tsrun_register_seccomp(napi_env env, napi_value exports);

#endif
