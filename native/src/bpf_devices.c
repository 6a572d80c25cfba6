/* cgroup v2 device filter: load a BPF_PROG_TYPE_CGROUP_DEVICE program (generated
 * in TypeScript, src/cgroups/v2/devices-ebpf.ts) and attach it to a cgroup with
 * BPF_F_ALLOW_MULTI, then detach the device programs that were attached before,
 * so an update never leaves the cgroup without a filter. Called from the parent
 * (node) only. Every fd the kernel hands out for bpf objects is O_CLOEXEC. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bpf_devices.h"
#include "napi_util.h"

#define LOG_SIZE (256 * 1024)

static int sys_bpf(int cmd, union bpf_attr *attr) {
  long r;
  do r = syscall(__NR_bpf, cmd, attr, sizeof *attr);
  while (r < 0 && (errno == EINTR || (cmd == BPF_PROG_LOAD && errno == EAGAIN)));
  return (int)r;
}

/* Ids of the device programs attached to cgfd. Returns count, or -1 with errno. */
static int query_device_progs(int cgfd, uint32_t **ids_out) {
  uint32_t cap = 16;
  for (int tries = 0; tries < 8; tries++) {
    uint32_t *ids = calloc(cap, sizeof *ids);
    if (!ids) return -1;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.query.target_fd = (uint32_t)cgfd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = cap;
    if (sys_bpf(BPF_PROG_QUERY, &attr) == 0) {
      *ids_out = ids;
      return (int)attr.query.prog_cnt;
    }
    int e = errno;
    free(ids);
    if (e != ENOSPC) {
      errno = e;
      return -1;
    }
    cap = attr.query.prog_cnt > cap ? attr.query.prog_cnt : cap * 2; /* attached meanwhile: grow */
  }
  errno = ENOSPC;
  return -1;
}

static int open_cgroup(const char *path) {
  int fd;
  do fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  return fd;
}

/* Throw errno as usual, with the verifier's log attached as .verifierLog. */
static napi_value throw_with_log(napi_env env, int err, const char *path, const char *log) {
  tsrun_throw_errno(env, err, "bpf(BPF_PROG_LOAD)", path);
  if (log && log[0]) {
    napi_value exc;
    if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) {
      napi_set_named_property(env, exc, "verifierLog", tsrun_make_string(env, log));
      napi_throw(env, exc);
    }
  }
  return NULL;
}

/* Load the program; on failure retry once with a verifier log for the message. */
static int load_program(const struct bpf_insn *insns, uint32_t count, char **log_out) {
  static const char license[] = "Apache-2.0";
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = count;
  attr.license = (uint64_t)(uintptr_t)license;
  int fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0) return fd;
  int e = errno;
  char *log = calloc(1, LOG_SIZE);
  if (log) {
    attr.log_level = 1;
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = LOG_SIZE;
    fd = sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0) {
      free(log);
      return fd;
    }
    *log_out = log;
  }
  errno = e;
  return -1;
}

/* loadDeviceFilter(cgroupPath, insns: Buffer) */
static napi_value js_load_device_filter(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char *path = NULL;
  void *data = NULL;
  size_t len = 0;
  if (!tsrun_get_args(env, info, 2, argv) || !tsrun_get_string(env, argv[0], &path)) return NULL;
  bool is_buffer = false;
  napi_is_buffer(env, argv[1], &is_buffer);
  if (!is_buffer || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok || len == 0 ||
      len % sizeof(struct bpf_insn) != 0) {
    free(path);
    napi_throw_type_error(env, NULL, "insns must be a non-empty Buffer of struct bpf_insn");
    return NULL;
  }

  napi_value result = NULL;
  uint32_t *old_ids = NULL;
  int *old_fds = NULL;
  int n_old = 0, prog_fd = -1;
  char *log = NULL;
  int cgfd = open_cgroup(path);
  if (cgfd < 0) {
    tsrun_throw_errno(env, errno, "open", path);
    goto out;
  }
  n_old = query_device_progs(cgfd, &old_ids);
  if (n_old < 0) {
    n_old = 0;
    tsrun_throw_errno(env, errno, "bpf(BPF_PROG_QUERY)", path);
    goto out;
  }
  old_fds = calloc((size_t)n_old + 1, sizeof *old_fds);
  if (!old_fds) {
    tsrun_throw_errno(env, ENOMEM, "calloc", NULL);
    goto out;
  }
  for (int i = 0; i < n_old; i++) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_id = old_ids[i];
    old_fds[i] = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    /* gone meanwhile, or hidden by an LSM: nothing we can detach */
    if (old_fds[i] < 0 && errno != ENOENT && errno != EPERM && errno != EACCES) {
      int e = errno;
      for (int j = i + 1; j < n_old; j++) old_fds[j] = -1;
      tsrun_throw_errno(env, e, "bpf(BPF_PROG_GET_FD_BY_ID)", path);
      goto out;
    }
  }

  prog_fd = load_program(data, (uint32_t)(len / sizeof(struct bpf_insn)), &log);
  if (prog_fd < 0) {
    throw_with_log(env, errno, path, log);
    goto out;
  }
  {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cgfd;
    attr.attach_bpf_fd = (uint32_t)prog_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) {
      tsrun_throw_errno(env, errno, "bpf(BPF_PROG_ATTACH)", path);
      goto out;
    }
  }
  /* The new filter is in place: drop the old ones. */
  for (int i = 0; i < n_old; i++) {
    if (old_fds[i] < 0) continue;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cgfd;
    attr.attach_bpf_fd = (uint32_t)old_fds[i];
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT) {
      tsrun_throw_errno(env, errno, "bpf(BPF_PROG_DETACH)", path);
      goto out;
    }
  }
  napi_get_undefined(env, &result);

out:
  if (old_fds)
    for (int i = 0; i < n_old; i++)
      if (old_fds[i] >= 0) close(old_fds[i]);
  free(old_fds);
  free(old_ids);
  free(log);
  if (prog_fd >= 0) close(prog_fd); /* the attachment keeps the program alive */
  if (cgfd >= 0) close(cgfd);
  free(path);
  return result;
}

/* queryDeviceFilters(cgroupPath) -> ids of the attached device programs */
static napi_value js_query_device_filters(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char *path = NULL;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_string(env, argv[0], &path)) return NULL;
  int cgfd = open_cgroup(path);
  if (cgfd < 0) {
    napi_value r = tsrun_throw_errno(env, errno, "open", path);
    free(path);
    return r;
  }
  uint32_t *ids = NULL;
  int n = query_device_progs(cgfd, &ids);
  int e = errno;
  close(cgfd);
  if (n < 0) {
    napi_value r = tsrun_throw_errno(env, e, "bpf(BPF_PROG_QUERY)", path);
    free(path);
    return r;
  }
  free(path);
  napi_value arr;
  napi_create_array_with_length(env, (size_t)n, &arr);
  for (int i = 0; i < n; i++) {
    napi_value v;
    napi_create_uint32(env, ids[i], &v);
    napi_set_element(env, arr, (uint32_t)i, v);
  }
  free(ids);
  return arr;
}

void tsrun_register_bpf_devices(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {
      {"loadDeviceFilter", js_load_device_filter},
      {"queryDeviceFilters", js_query_device_filters},
  };
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
