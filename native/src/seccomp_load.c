/* seccomp filter install and listener hand-off; see seccomp_load.h.
 * Async-signal-safe: raw syscalls only, no libc state beyond errno. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "seccomp_load.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

static int neg_errno(void) { return errno ? -errno : -EIO; }

int tsrun_seccomp_install(const struct tsrun_seccomp_plan *p, int *notify_fd) {
  if (notify_fd) *notify_fd = -1;
  if (!p || !p->prog.filter || p->prog.len == 0) return -EINVAL;
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &p->prog);
  if (r < 0) return neg_errno();
  if (p->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
    if (notify_fd) *notify_fd = (int)r;
    else close((int)r);
  }
  return 0;
}

int tsrun_seccomp_send_listener(int conn_fd, const char *state_json, size_t len, int notify_fd) {
  return tsrun_send_fd_stream(conn_fd, state_json, len, notify_fd);
}

/* The page shared (MAP_SHARED, no CLONE_VM) between the init and its helper. */
struct handoff {
  int32_t state;  /* futex word, see HANDOFF_* */
  int32_t fd;     /* listener fd, valid in the shared fd table when READY */
  int32_t result; /* helper's send result (0 or -errno) when DONE */
};
enum { HANDOFF_WAITING = 0, HANDOFF_READY = 1, HANDOFF_FAILED = 2, HANDOFF_DONE = 3 };

/* The helper gives up if the init never reports (it is also killed by
 * PDEATHSIG if the init dies): 10 s in 10 ms futex waits. */
#define HELPER_WAIT_ROUNDS 1000

static void futex_wait_ms(int32_t *word, int32_t expected, long ms) {
  struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
  syscall(SYS_futex, word, FUTEX_WAIT, expected, &ts, NULL, 0);
}

static void futex_wake_all(int32_t *word) { syscall(SYS_futex, word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0); }

static _Noreturn void helper_main(struct handoff *h, int conn_fd, const char *json, size_t len) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  int32_t st = HANDOFF_WAITING;
  for (int i = 0; i < HELPER_WAIT_ROUNDS; i++) {
    st = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
    if (st != HANDOFF_WAITING) break;
    futex_wait_ms(&h->state, HANDOFF_WAITING, 10);
  }
  int r = -ECANCELED;
  if (st == HANDOFF_READY) r = tsrun_send_fd_stream(conn_fd, json, len, h->fd);
  h->result = r;
  __atomic_store_n(&h->state, HANDOFF_DONE, __ATOMIC_RELEASE);
  syscall(SYS_exit_group, r < 0 ? 1 : 0);
  __builtin_unreachable();
}

static void set_call(const char **failed_call, const char *what) {
  if (failed_call) *failed_call = what;
}

int tsrun_seccomp_install_and_send(const struct tsrun_seccomp_plan *p, int conn_fd, const char *state_json, size_t len,
                                   const char **failed_call) {
  set_call(failed_call, NULL);
  if (!p || !(p->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) {
    int r = tsrun_seccomp_install(p, NULL);
    if (r < 0) set_call(failed_call, "seccomp");
    if (conn_fd >= 0) close(conn_fd);
    return r;
  }
  if (conn_fd < 0 || !state_json || len == 0) {
    set_call(failed_call, "sendmsg");
    return -EINVAL;
  }

  struct handoff *h = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (h == MAP_FAILED) {
    int e = neg_errno();
    set_call(failed_call, "mmap");
    close(conn_fd);
    return e;
  }
  h->state = HANDOFF_WAITING;
  h->fd = -1;
  h->result = -ECANCELED;

  /* fork-like clone (own copy of memory, same stack pointer) that shares the
   * fd table, so the listener fd created below is visible to the helper */
  long pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0) {
    int e = neg_errno();
    set_call(failed_call, "clone");
    munmap(h, 4096);
    close(conn_fd);
    return e;
  }
  if (pid == 0) helper_main(h, conn_fd, state_json, len);

  /* From here until the helper has sent the fd, no syscall: a filter that
   * notifies one would block us with nobody able to answer. */
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &p->prog);
  int install_err = r < 0 ? neg_errno() : 0;
  h->fd = r < 0 ? -1 : (int32_t)r;
  __atomic_store_n(&h->state, r < 0 ? HANDOFF_FAILED : HANDOFF_READY, __ATOMIC_RELEASE);
  futex_wake_all(&h->state); /* best effort: the helper also polls */

  int status = 0;
  long w;
  do w = syscall(SYS_wait4, (pid_t)pid, &status, __WALL, NULL);
  while (w < 0 && errno == EINTR);
  int wait_err = w < 0 ? neg_errno() : 0;
  if (wait_err) {
    /* wait4 denied by the filter: at least do not close the fds under the
     * helper's feet; it finishes within its own bounded wait */
    for (unsigned long spin = 0; spin < (1UL << 32); spin++)
      if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) == HANDOFF_DONE) break;
  }
  int32_t st = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
  int send_result = st == HANDOFF_DONE ? h->result : -ECHILD;

  if (h->fd >= 0) close(h->fd);
  close(conn_fd);
  munmap(h, 4096);

  if (install_err) {
    set_call(failed_call, "seccomp");
    return install_err;
  }
  if (wait_err && st != HANDOFF_DONE) {
    set_call(failed_call, "wait4");
    return wait_err;
  }
  if (send_result < 0) {
    set_call(failed_call, "sendmsg");
    return send_result;
  }
  return 0;
}
