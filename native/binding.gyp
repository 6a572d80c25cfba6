{
  "targets": [
    {
      "target_name": "tsrun",
      "sources": [
        "src/addon.c",
        "src/napi_util.c",
        "src/fsutil.c",
        "src/bpf_devices.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2", "-fno-strict-aliasing"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"],
      "libraries": []
    }
  ]
}
