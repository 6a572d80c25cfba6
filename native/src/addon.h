/* addon.c: the N-API entry. Each C module with JS calls has a register
 * function, declared in its own header; this is the list addon.c registers. */
#ifndef TSRUN_ADDON_H
#define TSRUN_ADDON_H
#include "bpf_devices.h"
#include "exec.h"
#include "fdpass_napi.h"
#include "fsutil.h"
#include "layer_apply_napi.h"
#include "layer_decode_napi.h"
#include "layer_fs_napi.h"
#include "seccomp_napi.h"
#include "shim.h"
#include "spawn.h"
#include "tty.h"
#endif
