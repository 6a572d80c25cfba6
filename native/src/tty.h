/* tty.c: terminal sizes and modes for the relay (socketPair, getWinsize, setWinsize, makeRaw, restoreTerminal). */
#ifndef TSRUN_TTY_H
#define TSRUN_TTY_H
#include <node_api.h>

void tsrun_register_tty(napi_env env, napi_value exports);

#endif
