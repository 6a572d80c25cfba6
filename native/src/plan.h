/* The init plan in C: filled from the JS plan (src/native/plan.ts) in the
 * parent before fork; the child only reads it. All strings are malloc'd in the
 * parent and never freed in the child. */
#ifndef TSRUN_PLAN_H
#define TSRUN_PLAN_H
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct tsrun_seccomp_plan; /* seccomp_load.h */

enum tsrun_ns_kind { NS_USER, NS_MOUNT, NS_PID, NS_NET, NS_UTS, NS_IPC, NS_CGROUP, NS_TIME, NS_COUNT };
/* The OCI name of each kind ("user", "mount", ...): the plan's namespaces[].type
 * and the word in messages. Checked against oci-spec's NAMESPACE_TYPES by
 * test/unit/native-parity.test.ts. */
extern const char *const tsrun_ns_names[NS_COUNT];

struct tsrun_ns {
  enum tsrun_ns_kind kind;
  char *path; /* NULL: create a new one */
};

struct tsrun_mount {
  char *source, *destination, *fstype, *data;
  unsigned long flags, remount_flags;
  unsigned long propagation[4];
  int n_propagation;
  uint64_t attr_set, attr_clr;
  bool dest_is_file;
  char *fallback_source; /* bind this when the kernel refuses the mount (EPERM, EBUSY); NULL: none */
};

struct tsrun_device {
  char *path;
  mode_t file_type, mode;
  unsigned major, minor;
  uid_t uid;
  gid_t gid;
};

struct tsrun_symlink {
  char *target, *link_path;
};

struct tsrun_rlimit {
  int resource;
  char *name;
  uint64_t soft, hard;
};

struct tsrun_hook {
  char *path;
  char **argv;      /* NULL-terminated */
  char **envp;      /* NULL-terminated */
  bool inherit_env; /* no env in the config: the process's environment at the time */
  int timeout;
};

struct tsrun_process {
  char **argv, **envp; /* NULL-terminated; envp has room for one more entry (HOME) */
  int argc;
  char *cwd;
  uid_t uid;
  gid_t gid;
  gid_t *groups;
  int n_groups;
  int umask; /* -1: unchanged */
  uint64_t cap_bounding, cap_effective, cap_inheritable, cap_permitted, cap_ambient;
  struct tsrun_rlimit *rlimits;
  int n_rlimits;
  bool no_new_privileges;
  int oom_score_adj; /* -1001: not set */
  bool terminal;
  unsigned console_height, console_width;
  struct tsrun_seccomp_plan *seccomp;     /* NULL: none */
  int seccomp_listener_fd;                /* connected to listenerPath by the parent (-1: none) */
  char *apparmor_profile, *selinux_label; /* "" = none */
  int stdio[3];                           /* fds the process gets as 0, 1, 2 (-1: the caller's own, unchanged) */
};

struct tsrun_plan {
  char *container_id;
  struct tsrun_ns ns[NS_COUNT];
  int n_ns;
  char *rootfs;
  /* overlayfs rootfs (overlay_upper NULL: rootfs is a plain directory): lower
     dirs top first, relative to overlay_base, mounted on rootfs by the init */
  char *overlay_base, *overlay_upper, *overlay_work;
  char **overlay_lower;
  int n_overlay_lower;
  bool overlay_force_classic; /* mount(2) with a data string even where fsconfig lowerdir+ works */
  bool readonly_rootfs, no_pivot;
  unsigned long rootfs_propagation;
  struct tsrun_mount *mounts;
  int n_mounts;
  struct tsrun_device *devices;
  int n_devices;
  bool bind_devices, setup_dev;
  struct tsrun_symlink *symlinks;
  int n_symlinks;
  char **masked_paths;
  int n_masked;
  char **readonly_paths;
  int n_readonly;
  char *hostname, *domainname; /* NULL: leave alone */
  char **sysctl_keys, **sysctl_values;
  int n_sysctl;
  char **time_offsets;
  int n_time_offsets;
  long personality; /* -1: none */
  struct tsrun_process process;
  char *start_fifo_path;           /* `tsrun start` writes a byte here (the init waits on it) */
  char *start_reply_path;          /* and reads the init's error, or EOF at execve, here */
  char *session_keyring;           /* name of the session keyring to join; NULL: keep the caller's */
  uint32_t session_keyring_perm;   /* permission bits added to it (runc: searchable) */
  struct tsrun_hook *create_hooks; /* createContainer: run by the init before pivot_root */
  int n_create_hooks;
  struct tsrun_hook *start_hooks; /* startContainer: run by the init before execve */
  int n_start_hooks;
  int preserve_fds;
  int console_socket_fd; /* -1: none */
  pid_t creator_pid;     /* tsrun (not from JS): the init dies with it until create commits */
  /* scratch space the child uses instead of malloc */
  char *scratch;
  size_t scratch_len;
};

/* Parent side: fill `out` from the JS plan object; throws and returns false on error. */
bool tsrun_plan_from_js(napi_env env, napi_value obj, struct tsrun_plan *out);
bool tsrun_process_from_js(napi_env env, napi_value obj, struct tsrun_process *out);
void tsrun_plan_free(struct tsrun_plan *p);
void tsrun_process_free(struct tsrun_process *p);

/* plan.namespaces (init and exec plans alike) into ns[NS_COUNT]; exec only
 * joins, so it passes path_required. Throws and returns false on error. */
bool tsrun_namespaces_from_js(napi_env env, napi_value plan, struct tsrun_ns ns[NS_COUNT], int *n, bool path_required);

/* Generic readers used by other modules' parsers. */
bool tsrun_read_string_prop(napi_env env, napi_value obj, const char *name, char **out, bool required);
bool tsrun_read_strv_prop(napi_env env, napi_value obj, const char *name, char ***out, int *n);
bool tsrun_read_i64_prop(napi_env env, napi_value obj, const char *name, int64_t *out, int64_t dflt);
bool tsrun_read_bool_prop(napi_env env, napi_value obj, const char *name, bool *out);

#endif
