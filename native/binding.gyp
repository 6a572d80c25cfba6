{
  "targets": [
    {
      "target_name": "tsrun",
      "sources": [
        "src/addon.c",
        "src/bpf_devices.c",
        "src/child.c",
        "src/console.c",
        "src/exec.c",
        "src/fdpass.c",
        "src/fdpass_napi.c",
        "src/fsutil.c",
        "src/init.c",
        "src/keyring.c",
        "src/layer_apply.c",
        "src/layer_apply_napi.c",
        "src/layer_decode.c",
        "src/layer_decode_napi.c",
        "src/layer_fs.c",
        "src/layer_fs_napi.c",
        "src/lifeline.c",
        "src/lsm.c",
        "src/napi_util.c",
        "src/overlay.c",
        "src/plan.c",
        "src/process.c",
        "src/procfs.c",
        "src/rootfs.c",
        "src/seccomp_compile.c",
        "src/seccomp_enosys.c",
        "src/seccomp_kernel.c",
        "src/seccomp_load.c",
        "src/seccomp_names.c",
        "src/seccomp_napi.c",
        "src/seccomp_plan.c",
        "src/seccomp_profile.c",
        "src/shim.c",
        "src/spawn.c",
        "src/sysctl.c",
        "src/tty.c",
        "src/unix_addr.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2", "-fno-strict-aliasing"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"],
      "libraries": ["-lseccomp", "-lzstd"]
    },
    {
      "target_name": "containerd-shim-tsrun-v2",
      "type": "executable",
      "sources": ["launcher/main.c", "launcher/sha256.c", "launcher/annotations.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["_GNU_SOURCE"]
    },
    {
      "target_name": "tsrun-monitor",
      "type": "executable",
      "sources": ["monitor/main.c", "monitor/json_log.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"],
      "defines": ["_GNU_SOURCE"]
    }
  ]
}
