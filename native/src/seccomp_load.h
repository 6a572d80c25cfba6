/* Installing a compiled seccomp filter in the container init, and handing the
 * user-notification fd to the seccomp agent. Everything declared here is
 * async-signal-safe (raw syscalls, no malloc/stdio/locks) and is meant to run
 * in the child between fork and execve. The filter itself is compiled in the
 * parent (seccomp_compile.c) and copied into this struct by
 * tsrun_seccomp_plan_from_js (seccomp_plan.h) before the fork.
 * Functions return >= 0 on success, -errno on failure.
 *
 * With a listener (p->listener_path != NULL) the intended sequence is:
 *   parent, before fork: conn = connectUnix(listenerPath) (or
 *     tsrun_connect_unix in the child before pivot_root); keep it CLOEXEC
 *     and among the fds the init preserves;
 *   parent, once the init's pid is known: build the state text with
 *     src/seccomp/listener.ts and pass it to the init (preallocated buffer);
 *   init, last step before execve (after NNP), with signal handlers reset to
 *     SIG_DFL: tsrun_seccomp_install_and_send(p, conn, json, len, &what).
 * Without a listener: tsrun_seccomp_install(p, NULL). */
#ifndef TSRUN_SECCOMP_LOAD_H
#define TSRUN_SECCOMP_LOAD_H
#include <linux/filter.h>
#include <stddef.h>

struct tsrun_seccomp_plan {
  /* prog.filter: malloc'd in the parent; prog.len instructions (1..4096) */
  struct sock_fprog prog;
  /* SECCOMP_FILTER_FLAG_* for seccomp(2); NEW_LISTENER set iff a rule uses
   * SCMP_ACT_NOTIFY. Never TSYNC (see src/seccomp/plan.ts). */
  unsigned int flags;
  /* listenerPath (host path of the agent's socket) when flags has
   * NEW_LISTENER, else NULL; malloc'd. */
  char *listener_path;
};

/* seccomp(SECCOMP_SET_MODE_FILTER, p->flags, &p->prog) on the calling thread.
 * The caller must have set PR_SET_NO_NEW_PRIVS before, or still hold
 * CAP_SYS_ADMIN (else -EACCES). When p->flags has NEW_LISTENER, *notify_fd
 * receives the listener fd (O_CLOEXEC; if notify_fd is NULL it is closed);
 * otherwise *notify_fd is set to -1. */
int tsrun_seccomp_install(const struct tsrun_seccomp_plan *p, int *notify_fd);

/* Send the container process state JSON and the listener fd to the agent
 * over conn_fd (connected with tsrun_connect_unix(listener_path) while the
 * host path was still reachable, i.e. before pivot_root): the fd rides the
 * first sendmsg, see tsrun_send_fd_stream. Closes nothing.
 * Caveat: this runs under the new filter, so a profile that denies or
 * notifies sendmsg breaks it; prefer tsrun_seccomp_install_and_send. */
int tsrun_seccomp_send_listener(int conn_fd, const char *state_json, size_t len, int notify_fd);

/* Install the filter and deliver the listener fd without making any syscall
 * under the filter before the agent has the fd (crun's approach): a helper
 * process sharing the fd table (clone CLONE_FILES, so not under the filter)
 * waits on a shared page, sends state_json + the fd over conn_fd, and is
 * reaped with wait4 before this returns, so no stray child survives execve.
 * Works for any profile that lets wait4 through. Closes conn_fd and the
 * listener fd in every case. If p->flags lacks NEW_LISTENER it is just
 * tsrun_seccomp_install + close(conn_fd).
 * On failure *failed_call (if not NULL) names the step for the error message:
 * "mmap", "clone", "seccomp", "sendmsg" (send to the agent), "wait4". */
int tsrun_seccomp_install_and_send(const struct tsrun_seccomp_plan *p, int conn_fd, const char *state_json, size_t len,
                                   const char **failed_call);

#endif
