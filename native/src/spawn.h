/* spawn.c: forking the native children (init, exec) with a sync socketpair,
 * and the parent's side of the sync channel and of waiting for them. */
#ifndef TSRUN_SPAWN_H
#define TSRUN_SPAWN_H
#include <node_api.h>

/* Fork a child that runs `child(arg, sync_fd)` and never returns; the parent
 * gets { pid, syncFd } (a SOCK_SEQPACKET pair, close-on-exec). The caller
 * frees `arg` afterwards either way. */
typedef void (*tsrun_child_fn)(void *arg, int sync_fd);
napi_value tsrun_fork_with_sync(napi_env env, tsrun_child_fn child, void *arg);

/* spawnInit, syncRecv, syncSend, waitPid, waitPidAsync, setChildSubreaper, releaseStart, closeFd */
void tsrun_register_spawn(napi_env env, napi_value exports);

#endif
