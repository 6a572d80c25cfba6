/* bpf_devices.c: cgroup v2 device filters (loadDeviceFilter, queryDeviceFilters). */
#ifndef TSRUN_BPF_DEVICES_H
#define TSRUN_BPF_DEVICES_H
#include <node_api.h>

void tsrun_register_bpf_devices(napi_env env, napi_value exports);

#endif
