/* child.c: what every step of the forked child shares: its context, text in
 * fixed buffers, the sync channel to the parent, failing and warning, fds.
 * Code that runs in the forked child is async-signal-safe only: raw
 * syscalls, no malloc, no stdio, no locks. Errors go to the parent over the
 * sync socket. */
#ifndef TSRUN_CHILD_H
#define TSRUN_CHILD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "plan.h"
#include "sync.h"

struct child_ctx {
  struct tsrun_plan *plan; /* NULL for exec */
  struct tsrun_process *process;
  int sync_fd;
  /* scratch text buffer (from the plan, preallocated by the parent) */
  char *buf;
  size_t buf_len;
  /* state JSON received from the parent, for the init's hooks */
  char *state_json;
  size_t state_len;
  /* container process state JSON for the seccomp agent (listenerPath) */
  char *agent_json;
  size_t agent_len;
  /* the init's start FIFOs (made by stage 1): `start` writes go, reads reply */
  int start_go_fd, start_reply_fd;
  /* argv[0] resolved (process_finalize), for process_exec */
  const char *exec_path;
};

/* --- text in a fixed buffer --- */
struct sbuf {
  char *p;
  size_t len, cap;
};
void sb_init(struct sbuf *b, char *mem, size_t cap);
void sb_add(struct sbuf *b, const char *s);
void sb_add_n(struct sbuf *b, const char *s, size_t n);
void sb_add_int(struct sbuf *b, long long v);
const char *sb_str(struct sbuf *b);

size_t c_strlen(const char *s);
int c_strcmp(const char *a, const char *b);
int c_strncmp(const char *a, const char *b, size_t n);
void c_memcpy(void *d, const void *s, size_t n);
const char *c_strrchr(const char *s, char c);

/* --- sync channel --- */
int sync_send(int fd, uint32_t type, int32_t value, int32_t err, const char *text, size_t len);
/* Receive one message; text (NUL-terminated) goes to buf. Returns type, 0 on EOF, -1 on error. */
int sync_recv(int fd, int32_t *value, char *buf, size_t cap, size_t *len);
/* Wait for GO; exits quietly on ABORT/EOF. */
void sync_wait_go(struct child_ctx *c);

/* Report a failure and exit. `what` and `detail` make the text, e.g.
 * what="mount proc to", detail="/proc"; err is the errno (0: no errno). */
__attribute__((noreturn)) void child_fail(struct child_ctx *c, int err, const char *what, const char *detail);
void child_warn(struct child_ctx *c, const char *what, const char *detail);

/* PR_SET_DUMPABLE 0 again: a change of uid/gid or a new user namespace
 * resets dumpability to fs.suid_dumpable, which may be 1. Until execve no
 * container process may open our /proc/<pid>/exe (the host's node), mem,
 * fd or cwd (CVE-2019-5736). */
void child_stay_undumpable(void);

/* --- steps --- */
/* Move the fds the child needs above the preserved range and close every other fd >= 3. */
void child_setup_fds(struct child_ctx *c, int *keep, int n_keep, int preserve);
/* Make the moved process.stdio fds (-1: leave alone) the process's 0, 1, 2. */
void child_install_stdio(struct child_ctx *c, const int *moved);

#endif
