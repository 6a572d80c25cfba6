/* Parent side: copy the JS plan into C structures before fork. */
#include "plan.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "napi_util.h"
#include "seccomp_plan.h"

static bool get_prop(napi_env env, napi_value obj, const char *name, napi_value *v, bool *present) {
  if (!tsrun_prop(env, obj, name, v, present)) {
    napi_throw_error(env, NULL, "plan: cannot read property");
    return false;
  }
  return true;
}

static bool fail(napi_env env, const char *what, const char *name) {
  char msg[256];
  snprintf(msg, sizeof msg, "plan: %s: %s", name, what);
  napi_throw_type_error(env, NULL, msg);
  return false;
}

bool tsrun_read_string_prop(napi_env env, napi_value obj, const char *name, char **out, bool required) {
  napi_value v;
  bool present;
  *out = NULL;
  if (!get_prop(env, obj, name, &v, &present)) return false;
  if (!present) return required ? fail(env, "missing", name) : true;
  return tsrun_get_string(env, v, out);
}

static bool array_length(napi_env env, napi_value v, const char *name, uint32_t *n) {
  bool is_array;
  napi_is_array(env, v, &is_array);
  if (!is_array) return fail(env, "expected an array", name);
  napi_get_array_length(env, v, n);
  return true;
}

/* String array -> NULL-terminated char** */
static bool strv_from(napi_env env, napi_value v, const char *name, char ***out, int *n) {
  uint32_t len;
  if (!array_length(env, v, name, &len)) return false;
  char **arr = calloc(len + 1, sizeof(char *));
  if (!arr) return fail(env, "out of memory", name);
  for (uint32_t i = 0; i < len; i++) {
    napi_value e;
    napi_get_element(env, v, i, &e);
    if (!tsrun_get_string(env, e, &arr[i])) return false;
  }
  *out = arr;
  if (n) *n = (int)len;
  return true;
}

bool tsrun_read_strv_prop(napi_env env, napi_value obj, const char *name, char ***out, int *n) {
  napi_value v;
  bool present;
  *out = NULL;
  if (n) *n = 0;
  if (!get_prop(env, obj, name, &v, &present)) return false;
  if (!present) {
    *out = calloc(1, sizeof(char *));
    return true;
  }
  return strv_from(env, v, name, out, n);
}

bool tsrun_read_i64_prop(napi_env env, napi_value obj, const char *name, int64_t *out, int64_t dflt) {
  napi_value v;
  bool present;
  *out = dflt;
  if (!get_prop(env, obj, name, &v, &present)) return false;
  if (!present) return true;
  return tsrun_get_i64(env, v, out);
}

bool tsrun_read_bool_prop(napi_env env, napi_value obj, const char *name, bool *out) {
  napi_value v;
  bool present;
  *out = false;
  if (!get_prop(env, obj, name, &v, &present)) return false;
  if (!present) return true;
  return tsrun_get_bool(env, v, out);
}

static bool read_u64_prop(napi_env env, napi_value obj, const char *name, uint64_t *out) {
  napi_value v;
  bool present;
  *out = 0;
  if (!get_prop(env, obj, name, &v, &present)) return false;
  if (!present) return true;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_bigint) {
    bool lossless;
    if (napi_get_value_bigint_uint64(env, v, out, &lossless) != napi_ok) return fail(env, "bad bigint", name);
    return true;
  }
  int64_t i;
  if (!tsrun_get_i64(env, v, &i)) return false;
  *out = (uint64_t)i;
  return true;
}

/* Iterate over an array property of objects, calling fn for each element. */
typedef bool (*elem_fn)(napi_env env, napi_value e, void *slot);
static bool read_obj_array(napi_env env, napi_value obj, const char *name, size_t elem_size, void **out, int *n,
                           elem_fn fn) {
  napi_value v;
  bool present;
  *out = NULL;
  *n = 0;
  if (!get_prop(env, obj, name, &v, &present)) return false;
  if (!present) return true;
  uint32_t len;
  if (!array_length(env, v, name, &len)) return false;
  char *arr = calloc(len ? len : 1, elem_size);
  if (!arr) return fail(env, "out of memory", name);
  for (uint32_t i = 0; i < len; i++) {
    napi_value e;
    napi_get_element(env, v, i, &e);
    if (!fn(env, e, arr + i * elem_size)) {
      free(arr);
      return false;
    }
  }
  *out = arr;
  *n = (int)len;
  return true;
}

const char *const tsrun_ns_names[NS_COUNT] = {"user", "mount", "pid", "network", "uts", "ipc", "cgroup", "time"};

bool tsrun_namespaces_from_js(napi_env env, napi_value plan, struct tsrun_ns ns[NS_COUNT], int *n, bool path_required) {
  napi_value v;
  bool present;
  *n = 0;
  if (!get_prop(env, plan, "namespaces", &v, &present)) return false;
  if (!present) return true;
  uint32_t len;
  if (!array_length(env, v, "namespaces", &len)) return false;
  if (len > NS_COUNT) return fail(env, "too many", "namespaces");
  for (uint32_t i = 0; i < len; i++) {
    napi_value e;
    char *type;
    napi_get_element(env, v, i, &e);
    if (!tsrun_read_string_prop(env, e, "type", &type, true)) return false;
    int kind = -1;
    for (int k = 0; k < NS_COUNT; k++)
      if (strcmp(type, tsrun_ns_names[k]) == 0) kind = k;
    free(type);
    if (kind < 0) return fail(env, "unknown namespace type", "namespaces[].type");
    ns[i].kind = kind;
    if (!tsrun_read_string_prop(env, e, "path", &ns[i].path, path_required)) return false;
    *n = (int)i + 1;
  }
  return true;
}

static bool mount_from(napi_env env, napi_value e, void *slot) {
  struct tsrun_mount *m = slot;
  int64_t flags, remount, set, clr;
  if (!tsrun_read_string_prop(env, e, "source", &m->source, true) ||
      !tsrun_read_string_prop(env, e, "destination", &m->destination, true) ||
      !tsrun_read_string_prop(env, e, "fstype", &m->fstype, true) ||
      !tsrun_read_string_prop(env, e, "data", &m->data, true) || !tsrun_read_i64_prop(env, e, "flags", &flags, 0) ||
      !tsrun_read_i64_prop(env, e, "remountFlags", &remount, 0) ||
      !tsrun_read_i64_prop(env, e, "recursiveAttrSet", &set, 0) ||
      !tsrun_read_i64_prop(env, e, "recursiveAttrClr", &clr, 0) ||
      !tsrun_read_bool_prop(env, e, "destinationIsFile", &m->dest_is_file) ||
      !tsrun_read_string_prop(env, e, "fallbackSource", &m->fallback_source, false))
    return false;
  m->flags = (unsigned long)flags;
  m->remount_flags = (unsigned long)remount;
  m->attr_set = (uint64_t)set;
  m->attr_clr = (uint64_t)clr;
  napi_value prop;
  bool present;
  if (!get_prop(env, e, "propagation", &prop, &present)) return false;
  if (present) {
    uint32_t len;
    if (!array_length(env, prop, "mounts[].propagation", &len)) return false;
    if (len > 4) return fail(env, "too many propagation flags", "mounts[].propagation");
    for (uint32_t i = 0; i < len; i++) {
      napi_value x;
      int64_t f;
      napi_get_element(env, prop, i, &x);
      if (!tsrun_get_i64(env, x, &f)) return false;
      m->propagation[i] = (unsigned long)f;
    }
    m->n_propagation = (int)len;
  }
  return true;
}

static bool device_from(napi_env env, napi_value e, void *slot) {
  struct tsrun_device *d = slot;
  int64_t ft, major, minor, mode, uid, gid;
  if (!tsrun_read_string_prop(env, e, "path", &d->path, true) || !tsrun_read_i64_prop(env, e, "fileType", &ft, 0) ||
      !tsrun_read_i64_prop(env, e, "major", &major, 0) || !tsrun_read_i64_prop(env, e, "minor", &minor, 0) ||
      !tsrun_read_i64_prop(env, e, "mode", &mode, 0666) || !tsrun_read_i64_prop(env, e, "uid", &uid, 0) ||
      !tsrun_read_i64_prop(env, e, "gid", &gid, 0))
    return false;
  d->file_type = (mode_t)ft;
  d->major = (unsigned)major;
  d->minor = (unsigned)minor;
  d->mode = (mode_t)mode;
  d->uid = (uid_t)uid;
  d->gid = (gid_t)gid;
  return true;
}

static bool symlink_from(napi_env env, napi_value e, void *slot) {
  struct tsrun_symlink *s = slot;
  return tsrun_read_string_prop(env, e, "target", &s->target, true) &&
         tsrun_read_string_prop(env, e, "linkPath", &s->link_path, true);
}

static bool rlimit_from(napi_env env, napi_value e, void *slot) {
  struct tsrun_rlimit *r = slot;
  int64_t res;
  return tsrun_read_i64_prop(env, e, "resource", &res, -1) && (r->resource = (int)res, true) &&
         tsrun_read_string_prop(env, e, "name", &r->name, true) && read_u64_prop(env, e, "soft", &r->soft) &&
         read_u64_prop(env, e, "hard", &r->hard);
}

static bool hook_from(napi_env env, napi_value e, void *slot) {
  struct tsrun_hook *h = slot;
  int64_t timeout;
  if (!tsrun_read_string_prop(env, e, "path", &h->path, true) ||
      !tsrun_read_strv_prop(env, e, "args", &h->argv, NULL) || !tsrun_read_strv_prop(env, e, "env", &h->envp, NULL) ||
      !tsrun_read_bool_prop(env, e, "inheritEnv", &h->inherit_env) ||
      !tsrun_read_i64_prop(env, e, "timeout", &timeout, 0))
    return false;
  h->timeout = (int)timeout;
  return true;
}

static bool sysctl_from(napi_env env, napi_value obj, struct tsrun_plan *p) {
  napi_value v;
  bool present;
  if (!get_prop(env, obj, "sysctl", &v, &present)) return false;
  if (!present) return true;
  uint32_t len;
  if (!array_length(env, v, "sysctl", &len)) return false;
  p->sysctl_keys = calloc(len + 1, sizeof(char *));
  p->sysctl_values = calloc(len + 1, sizeof(char *));
  for (uint32_t i = 0; i < len; i++) {
    napi_value pair, k, val;
    napi_get_element(env, v, i, &pair);
    napi_get_element(env, pair, 0, &k);
    napi_get_element(env, pair, 1, &val);
    if (!tsrun_get_string(env, k, &p->sysctl_keys[i]) || !tsrun_get_string(env, val, &p->sysctl_values[i]))
      return false;
  }
  p->n_sysctl = (int)len;
  return true;
}

bool tsrun_process_from_js(napi_env env, napi_value obj, struct tsrun_process *pr) {
  memset(pr, 0, sizeof *pr);
  napi_value user, caps, v;
  bool present;
  int64_t i64;
  int n_env = 0;
  if (!tsrun_read_strv_prop(env, obj, "args", &pr->argv, &pr->argc) ||
      !tsrun_read_strv_prop(env, obj, "env", &pr->envp, &n_env) ||
      !tsrun_read_string_prop(env, obj, "cwd", &pr->cwd, true))
    return false;
  /* a slot for the HOME the child may add (process.c) */
  char **grown = realloc(pr->envp, (size_t)(n_env + 2) * sizeof(char *));
  if (!grown) return fail(env, "out of memory", "process.env");
  grown[n_env + 1] = NULL;
  pr->envp = grown;
  if (pr->argc == 0) return fail(env, "must not be empty", "process.args");
  if (!get_prop(env, obj, "user", &user, &present)) return false;
  if (!present) return fail(env, "missing", "process.user");
  if (!tsrun_read_i64_prop(env, user, "uid", &i64, 0)) return false;
  pr->uid = (uid_t)i64;
  if (!tsrun_read_i64_prop(env, user, "gid", &i64, 0)) return false;
  pr->gid = (gid_t)i64;
  if (!tsrun_read_i64_prop(env, user, "umask", &i64, -1)) return false;
  pr->umask = (int)i64;
  if (!get_prop(env, user, "additionalGids", &v, &present)) return false;
  if (present) {
    uint32_t len;
    if (!array_length(env, v, "process.user.additionalGids", &len)) return false;
    pr->groups = calloc(len ? len : 1, sizeof(gid_t));
    for (uint32_t i = 0; i < len; i++) {
      napi_value g;
      napi_get_element(env, v, i, &g);
      if (!tsrun_get_i64(env, g, &i64)) return false;
      pr->groups[i] = (gid_t)i64;
    }
    pr->n_groups = (int)len;
  }
  if (!get_prop(env, obj, "capabilities", &caps, &present)) return false;
  if (present) {
    if (!read_u64_prop(env, caps, "bounding", &pr->cap_bounding) ||
        !read_u64_prop(env, caps, "effective", &pr->cap_effective) ||
        !read_u64_prop(env, caps, "inheritable", &pr->cap_inheritable) ||
        !read_u64_prop(env, caps, "permitted", &pr->cap_permitted) ||
        !read_u64_prop(env, caps, "ambient", &pr->cap_ambient))
      return false;
  }
  void *rl;
  if (!read_obj_array(env, obj, "rlimits", sizeof(struct tsrun_rlimit), &rl, &pr->n_rlimits, rlimit_from)) return false;
  pr->rlimits = rl;
  if (!tsrun_read_bool_prop(env, obj, "noNewPrivileges", &pr->no_new_privileges) ||
      !tsrun_read_i64_prop(env, obj, "oomScoreAdj", &i64, -1001))
    return false;
  pr->oom_score_adj = (int)i64;
  if (!tsrun_read_bool_prop(env, obj, "terminal", &pr->terminal)) return false;
  if (!tsrun_read_i64_prop(env, obj, "consoleHeight", &i64, 0)) return false;
  pr->console_height = (unsigned)i64;
  if (!tsrun_read_i64_prop(env, obj, "consoleWidth", &i64, 0)) return false;
  pr->console_width = (unsigned)i64;
  for (int i = 0; i < 3; i++) pr->stdio[i] = -1;
  if (!get_prop(env, obj, "stdio", &v, &present)) return false;
  if (present) {
    uint32_t len;
    if (!array_length(env, v, "process.stdio", &len)) return false;
    if (len != 3) return fail(env, "must have 3 entries", "process.stdio");
    for (uint32_t i = 0; i < 3; i++) {
      napi_value e;
      napi_get_element(env, v, i, &e);
      if (!tsrun_get_i64(env, e, &i64)) return false;
      pr->stdio[i] = (int)i64;
    }
  }
  if (!tsrun_read_string_prop(env, obj, "apparmorProfile", &pr->apparmor_profile, false) ||
      !tsrun_read_string_prop(env, obj, "selinuxLabel", &pr->selinux_label, false))
    return false;
  if (!get_prop(env, obj, "seccomp", &v, &present)) return false;
  if (present) {
    pr->seccomp = calloc(1, sizeof *pr->seccomp);
    if (!pr->seccomp) return fail(env, "out of memory", "process.seccomp");
    if (!tsrun_seccomp_plan_from_js(env, v, pr->seccomp)) return false;
  }
  if (!tsrun_read_i64_prop(env, obj, "seccompListenerFd", &i64, -1)) return false;
  pr->seccomp_listener_fd = (int)i64;
  return true;
}

static bool overlay_from(napi_env env, napi_value v, struct tsrun_plan *p);

bool tsrun_plan_from_js(napi_env env, napi_value obj, struct tsrun_plan *p) {
  memset(p, 0, sizeof *p);
  p->console_socket_fd = -1;
  p->personality = -1;
  void *arr;
  int64_t i64;
  napi_value v;
  bool present;

  if (!tsrun_read_string_prop(env, obj, "containerId", &p->container_id, true)) return false;
  if (!tsrun_namespaces_from_js(env, obj, p->ns, &p->n_ns, false)) return false;
  if (!tsrun_read_string_prop(env, obj, "rootfs", &p->rootfs, true) ||
      !tsrun_read_bool_prop(env, obj, "readonlyRootfs", &p->readonly_rootfs) ||
      !tsrun_read_bool_prop(env, obj, "noPivot", &p->no_pivot) ||
      !tsrun_read_i64_prop(env, obj, "rootfsPropagation", &i64, 0))
    return false;
  p->rootfs_propagation = (unsigned long)i64;
  if (!get_prop(env, obj, "overlay", &v, &present)) return false;
  if (present) {
    napi_valuetype t;
    napi_typeof(env, v, &t);
    if (t != napi_null && !overlay_from(env, v, p)) return false;
  }
  if (!read_obj_array(env, obj, "mounts", sizeof(struct tsrun_mount), &arr, &p->n_mounts, mount_from)) return false;
  p->mounts = arr;
  if (!read_obj_array(env, obj, "devices", sizeof(struct tsrun_device), &arr, &p->n_devices, device_from)) return false;
  p->devices = arr;
  if (!tsrun_read_bool_prop(env, obj, "bindDevices", &p->bind_devices) ||
      !tsrun_read_bool_prop(env, obj, "setupDev", &p->setup_dev))
    return false;
  if (!read_obj_array(env, obj, "symlinks", sizeof(struct tsrun_symlink), &arr, &p->n_symlinks, symlink_from))
    return false;
  p->symlinks = arr;
  if (!tsrun_read_strv_prop(env, obj, "maskedPaths", &p->masked_paths, &p->n_masked) ||
      !tsrun_read_strv_prop(env, obj, "readonlyPaths", &p->readonly_paths, &p->n_readonly) ||
      !tsrun_read_string_prop(env, obj, "hostname", &p->hostname, false) ||
      !tsrun_read_string_prop(env, obj, "domainname", &p->domainname, false) || !sysctl_from(env, obj, p) ||
      !tsrun_read_strv_prop(env, obj, "timeOffsets", &p->time_offsets, &p->n_time_offsets) ||
      !tsrun_read_i64_prop(env, obj, "personality", &i64, -1))
    return false;
  p->personality = (long)i64;
  if (!get_prop(env, obj, "process", &v, &present)) return false;
  if (!present) return fail(env, "missing", "process");
  if (!tsrun_process_from_js(env, v, &p->process)) return false;
  if (!tsrun_read_string_prop(env, obj, "startFifoPath", &p->start_fifo_path, true) ||
      !tsrun_read_string_prop(env, obj, "startReplyPath", &p->start_reply_path, true) ||
      !tsrun_read_string_prop(env, obj, "sessionKeyring", &p->session_keyring, false) ||
      !tsrun_read_i64_prop(env, obj, "sessionKeyringPerm", &i64, 0))
    return false;
  p->session_keyring_perm = (uint32_t)i64;
  if (!read_obj_array(env, obj, "createContainerHooks", sizeof(struct tsrun_hook), &arr, &p->n_create_hooks, hook_from))
    return false;
  p->create_hooks = arr;
  if (!read_obj_array(env, obj, "startContainerHooks", sizeof(struct tsrun_hook), &arr, &p->n_start_hooks, hook_from))
    return false;
  p->start_hooks = arr;
  if (!tsrun_read_i64_prop(env, obj, "preserveFds", &i64, 0)) return false;
  p->preserve_fds = (int)i64;
  if (!tsrun_read_i64_prop(env, obj, "consoleSocketFd", &i64, -1)) return false;
  p->console_socket_fd = (int)i64;
  /* scratch buffer for the child: paths, messages, the state JSON */
  p->scratch_len = 1 << 20;
  p->scratch = malloc(p->scratch_len);
  if (!p->scratch) return fail(env, "out of memory", "scratch");
  return true;
}

static bool overlay_from(napi_env env, napi_value v, struct tsrun_plan *p) {
  if (!tsrun_read_string_prop(env, v, "base", &p->overlay_base, true) ||
      !tsrun_read_string_prop(env, v, "upperDir", &p->overlay_upper, true) ||
      !tsrun_read_string_prop(env, v, "workDir", &p->overlay_work, true) ||
      !tsrun_read_strv_prop(env, v, "lowerDirs", &p->overlay_lower, &p->n_overlay_lower) ||
      !tsrun_read_bool_prop(env, v, "forceClassicMount", &p->overlay_force_classic))
    return false;
  if (p->n_overlay_lower < 1) return fail(env, "at least one lower dir is needed", "overlay.lowerDirs");
  return true;
}

static void free_strv(char **v) {
  if (!v) return;
  for (char **s = v; *s; s++) free(*s);
  free(v);
}

static void free_mounts(struct tsrun_mount *m, int n) {
  for (int i = 0; i < n; i++) {
    free(m[i].source);
    free(m[i].destination);
    free(m[i].fstype);
    free(m[i].data);
    free(m[i].fallback_source);
  }
  free(m);
}

static void free_hooks(struct tsrun_hook *h, int n) {
  for (int i = 0; i < n; i++) {
    free(h[i].path);
    free_strv(h[i].argv);
    free_strv(h[i].envp);
  }
  free(h);
}

void tsrun_process_free(struct tsrun_process *pr) {
  free_strv(pr->argv);
  free_strv(pr->envp);
  free(pr->cwd);
  free(pr->groups);
  for (int i = 0; i < pr->n_rlimits; i++) free(pr->rlimits[i].name);
  free(pr->rlimits);
  free(pr->apparmor_profile);
  free(pr->selinux_label);
  if (pr->seccomp) {
    tsrun_seccomp_plan_free(pr->seccomp);
    free(pr->seccomp);
  }
}

void tsrun_plan_free(struct tsrun_plan *p) {
  free(p->container_id);
  for (int i = 0; i < p->n_ns; i++) free(p->ns[i].path);
  free(p->rootfs);
  free(p->overlay_base);
  free(p->overlay_upper);
  free(p->overlay_work);
  free_strv(p->overlay_lower);
  free_mounts(p->mounts, p->n_mounts);
  for (int i = 0; i < p->n_devices; i++) free(p->devices[i].path);
  free(p->devices);
  for (int i = 0; i < p->n_symlinks; i++) {
    free(p->symlinks[i].target);
    free(p->symlinks[i].link_path);
  }
  free(p->symlinks);
  free_strv(p->masked_paths);
  free_strv(p->readonly_paths);
  free(p->hostname);
  free(p->domainname);
  free_strv(p->sysctl_keys);
  free_strv(p->sysctl_values);
  free_strv(p->time_offsets);
  tsrun_process_free(&p->process);
  free(p->start_fifo_path);
  free(p->start_reply_path);
  free(p->session_keyring);
  free_hooks(p->create_hooks, p->n_create_hooks);
  free_hooks(p->start_hooks, p->n_start_hooks);
  free(p->scratch);
}
