{
  "targets": [
    {
      "target_name": "tsrun",
      "sources": [
        "src/addon.c",
        "src/napi_util.c",
        "src/fsutil.c",
        "src/plan.c",
        "src/child_util.c",
        "src/init.c",
        "src/rootfs.c",
        "src/process.c",
        "src/lsm.c",
        "src/keyring.c",
        "src/spawn.c",
        "src/exec.c",
        "src/console.c",
        "src/fdpass.c",
        "src/fdpass_napi.c",
        "src/seccomp_compile.c",
        "src/seccomp_enosys.c",
        "src/seccomp_kernel.c",
        "src/seccomp_load.c",
        "src/seccomp_plan.c",
        "src/bpf_devices.c",
        "src/tty.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2", "-fno-strict-aliasing"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"],
      "libraries": ["-lseccomp"]
    }
  ]
}
