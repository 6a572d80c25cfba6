/* exec: a new process in a running container. Stage 1 (node's child) goes
 * non-dumpable, closes fds, waits while the parent puts it into the
 * container's cgroups, joins every namespace of the init (user first) and
 * forks stage 2, which is inside the container's pid namespace. Stage 2
 * applies the process settings and execs; its sync fd closes on a successful
 * execve, which is how the parent learns it worked. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "child.h"
#include "console.h"
#include "exec.h"
#include "init.h"
#include "keyring.h"
#include "napi_util.h"
#include "plan.h"
#include "process.h"
#include "rootfs.h"
#include "spawn.h"

struct exec_plan {
  char *container_id;
  struct tsrun_ns ns[NS_COUNT];
  int n_ns;
  struct tsrun_process process;
  int preserve_fds;
  int console_socket_fd;
  char *session_keyring; /* the container's ("_ses.<id>"); NULL: keep the caller's */
  char *scratch;
  size_t scratch_len;
};

__attribute__((noreturn)) static void exec_stage2(struct child_ctx *c, struct exec_plan *p) {
  rootfs_use_current_root();
  if (setsid() < 0) child_fail(c, errno, "setsid", NULL);
  if (p->session_keyring) keyring_join(c, p->session_keyring, 0);
  if (p->process.terminal) console_setup(c, p->console_socket_fd, false);
  else if (p->console_socket_fd >= 0) close(p->console_socket_fd);
  process_finalize(c);
  process_seccomp_late(c);
  process_exec(c);
}

__attribute__((noreturn)) static void exec_stage1(struct exec_plan *p, int sync_fd) {
  struct child_ctx c = {
      .plan = NULL, .process = &p->process, .sync_fd = sync_fd, .buf = p->scratch, .buf_len = p->scratch_len};
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  child_reset_signals();
  int keep[6] = {sync_fd,
                 p->console_socket_fd,
                 p->process.seccomp_listener_fd,
                 p->process.stdio[0],
                 p->process.stdio[1],
                 p->process.stdio[2]};
  child_setup_fds(&c, keep, 6, p->preserve_fds);
  p->console_socket_fd = keep[1];
  p->process.seccomp_listener_fd = keep[2];
  child_install_stdio(&c, &keep[3]);
  sync_wait_go(&c);
  if (p->process.seccomp_listener_fd >= 0) {
    /* the agent's container process state comes with the go */
    c.agent_json = c.buf + c.buf_len / 2;
    int t = sync_recv(c.sync_fd, NULL, c.agent_json, c.buf_len / 2, &c.agent_len);
    if (t != SYNC_STATE) _exit(2);
    c.buf_len /= 2;
  }
  process_set_oom_score_adj(&c);
  process_raise_hard_rlimits(&c);
  enter_namespaces(&c, p->ns, p->n_ns, false);
  pid_t child = _Fork();
  if (child < 0) child_fail(&c, errno, "fork", "exec");
  if (child == 0) exec_stage2(&c, p);
  sync_send(c.sync_fd, SYNC_INIT_PID, (int32_t)child, 0, NULL, 0);
  _exit(0);
}

static bool exec_plan_from_js(napi_env env, napi_value obj, struct exec_plan *p) {
  memset(p, 0, sizeof *p);
  int64_t i64;
  napi_value v;
  bool present;
  if (!tsrun_read_string_prop(env, obj, "containerId", &p->container_id, true)) return false;
  if (!tsrun_namespaces_from_js(env, obj, p->ns, &p->n_ns, true)) return false;
  if (!tsrun_prop(env, obj, "process", &v, &present)) return false;
  if (!present) {
    napi_throw_type_error(env, NULL, "plan: process: missing");
    return false;
  }
  if (!tsrun_process_from_js(env, v, &p->process)) return false;
  if (!tsrun_read_i64_prop(env, obj, "preserveFds", &i64, 0)) return false;
  p->preserve_fds = (int)i64;
  if (!tsrun_read_i64_prop(env, obj, "consoleSocketFd", &i64, -1)) return false;
  p->console_socket_fd = (int)i64;
  if (!tsrun_read_string_prop(env, obj, "sessionKeyring", &p->session_keyring, false)) return false;
  p->scratch_len = 64 * 1024;
  p->scratch = malloc(p->scratch_len);
  return p->scratch != NULL;
}

static void exec_plan_free(struct exec_plan *p) {
  free(p->container_id);
  for (int i = 0; i < p->n_ns; i++) free(p->ns[i].path);
  tsrun_process_free(&p->process);
  free(p->session_keyring);
  free(p->scratch);
}

static void exec_child(void *plan, int sync_fd) { exec_stage1(plan, sync_fd); }

/* spawnExec(plan) -> { pid, syncFd } */
static napi_value js_spawn_exec(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!tsrun_get_args(env, info, 1, argv)) return NULL;
  struct exec_plan plan;
  napi_value out = NULL;
  if (exec_plan_from_js(env, argv[0], &plan)) out = tsrun_fork_with_sync(env, exec_child, &plan);
  exec_plan_free(&plan);
  return out;
}

void tsrun_register_exec(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {{"spawnExec", js_spawn_exec}};
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
