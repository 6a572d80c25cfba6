/* The process settings of a container process (the init or an exec'd one),
 * applied in the child after the filesystem is ready: oom score, rlimits,
 * cwd, groups/uid/gid, capabilities, no_new_privs, seccomp; then execve. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lsm.h"
#include "process.h"
#include "procfs.h"
#include "seccomp_load.h"

static void fail_rlimit(struct child_ctx *c, int err, const struct tsrun_rlimit *r) {
  char what[256];
  struct sbuf b;
  sb_init(&b, what, sizeof what);
  sb_add(&b, "setrlimit ");
  sb_add(&b, r->name);
  sb_add(&b, " (soft ");
  sb_add_int(&b, (long long)r->soft);
  sb_add(&b, ", hard ");
  sb_add_int(&b, (long long)r->hard);
  sb_add(&b, ")");
  child_fail(c, err, what, NULL);
}

static void set_rlimits(struct child_ctx *c) {
  struct tsrun_process *pr = c->process;
  for (int i = 0; i < pr->n_rlimits; i++) {
    struct tsrun_rlimit *r = &pr->rlimits[i];
    struct rlimit64 {
      uint64_t cur, max;
    } lim = {r->soft, r->hard};
    if (syscall(SYS_prlimit64, 0, r->resource, &lim, NULL) < 0) fail_rlimit(c, errno, r);
  }
}

/* Before any namespace: raise each hard limit the process asks above the one
 * it has, keeping the soft one. runc sets rlimits from its parent, privileged
 * on the host; in a user namespace the child would lack the
 * CAP_SYS_RESOURCE of the initial one that raising a hard limit needs.
 * Raising lets nothing fail that the full set_rlimits later would not allow,
 * and a refusal here is left to set_rlimits, which names it. */
void process_raise_hard_rlimits(struct child_ctx *c) {
  struct tsrun_process *pr = c->process;
  for (int i = 0; i < pr->n_rlimits; i++) {
    struct tsrun_rlimit *r = &pr->rlimits[i];
    struct rlimit64 {
      uint64_t cur, max;
    } now;
    if (syscall(SYS_prlimit64, 0, r->resource, NULL, &now) < 0 || r->hard <= now.max) continue;
    now.max = r->hard;
    (void)syscall(SYS_prlimit64, 0, r->resource, &now, NULL);
  }
}

/* Before any namespace, as runc's nsexec does: lowering it needs privileges
 * on the host (CAP_SYS_RESOURCE), and a failure must come before any hook.
 * Still in the caller's mount namespace: /proc is the host's own. */
void process_set_oom_score_adj(struct child_ctx *c) {
  if (c->process->oom_score_adj == -1001) return;
  char v[16];
  struct sbuf b;
  sb_init(&b, v, sizeof v);
  sb_add_int(&b, c->process->oom_score_adj);
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) child_fail(c, errno, "open", "/proc/self/oom_score_adj");
  if (write(fd, v, b.len) < 0) child_fail(c, errno, "write oom_score_adj", v);
  close(fd);
}

/* chdir, and make sure the result is inside the container (CVE-2024-21626).
 * As runc: first as root; a directory only the container's user may enter
 * (EACCES, EPERM) is tried again with the user's ids (may_retry). */
static bool change_dir(struct child_ctx *c, bool may_retry) {
  const char *cwd = c->process->cwd;
  if (chdir(cwd) < 0) {
    if (may_retry && (errno == EACCES || errno == EPERM)) return false;
    child_fail(c, errno, "chdir to cwd", cwd);
  }
  char got[4096];
  if (syscall(SYS_getcwd, got, sizeof got) < 0) child_fail(c, errno, "getcwd after chdir to", cwd);
  if (got[0] != '/') child_fail(c, EPERM, "cwd is outside the container:", cwd);
  return true;
}

static void drop_bounding(struct child_ctx *c) {
  uint64_t keep = c->process->cap_bounding;
  for (int cap = 0; cap < 64; cap++) {
    if (keep & (1ULL << cap)) continue;
    int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (r < 0) break; /* past the kernel's last capability */
    if (r == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) child_fail(c, errno, "drop bounding capability", NULL);
  }
}

static void set_capabilities(struct child_ctx *c) {
  struct tsrun_process *pr = c->process;
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {
      {(uint32_t)pr->cap_effective, (uint32_t)pr->cap_permitted, (uint32_t)pr->cap_inheritable},
      {(uint32_t)(pr->cap_effective >> 32), (uint32_t)(pr->cap_permitted >> 32),
       (uint32_t)(pr->cap_inheritable >> 32)}};
  if (syscall(SYS_capset, &h, d) < 0) child_fail(c, errno, "capset", NULL);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (int cap = 0; cap < 64; cap++) {
    if (!(pr->cap_ambient & (1ULL << cap))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      child_fail(c, errno, "raise ambient capability", NULL);
  }
}

static void fail_id(struct child_ctx *c, const char *call, long id) {
  char v[32];
  struct sbuf b;
  sb_init(&b, v, sizeof v);
  sb_add_int(&b, id);
  child_fail(c, errno, call, v);
}

static void set_groups(struct child_ctx *c) {
  struct tsrun_process *pr = c->process;
  if (syscall(SYS_setgroups, pr->n_groups, pr->groups) < 0) {
    /* in a user namespace with setgroups denied, only an empty list is allowed */
    if (!(errno == EPERM && pr->n_groups == 0)) child_fail(c, errno, "setgroups", NULL);
  }
}

/* Switch to the process's gid and uid without a moment in which a process of
 * that uid could ptrace or open us. Changing the effective gid or uid makes
 * the kernel reset dumpability to fs.suid_dumpable (1 on some hosts), and
 * PR_SET_DUMPABLE can only follow afterwards. So each change first leaves the
 * saved id different from the real and effective ones: ptrace_may_access
 * then matches no caller by uid/gid, whatever the dumpable flag says. Only
 * then is dumpability cleared, and the saved id set (which resets nothing). */
static void set_user(struct child_ctx *c) {
  struct tsrun_process *pr = c->process;
  gid_t g = pr->gid;
  uid_t u = pr->uid;
  set_groups(c);
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) child_fail(c, errno, "prctl PR_SET_KEEPCAPS", NULL);
  if (g != 0) {
    if (syscall(SYS_setresgid, g, g, 0) < 0) fail_id(c, "setresgid", g);
    child_stay_undumpable();
  }
  if (syscall(SYS_setresgid, g, g, g) < 0) fail_id(c, "setresgid", g);
  if (u != 0) {
    if (syscall(SYS_setresuid, u, u, 0) < 0) fail_id(c, "setresuid", u);
    child_stay_undumpable();
  }
  if (syscall(SYS_setresuid, u, u, u) < 0) fail_id(c, "setresuid", u);
  prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

/* Install the filter; with a listener, the agent gets the notify fd before
 * any syscall runs under the filter (tsrun_seccomp_install_and_send). */
static void load_seccomp(struct child_ctx *c) {
  struct tsrun_process *pr = c->process;
  int r;
  const char *step = "seccomp";
  if (pr->seccomp->listener_path) {
    r = tsrun_seccomp_install_and_send(pr->seccomp, pr->seccomp_listener_fd, c->agent_json, c->agent_len, &step);
    pr->seccomp_listener_fd = -1;
  } else {
    r = tsrun_seccomp_install(pr->seccomp, NULL);
  }
  if (r < 0) {
    char what[128];
    struct sbuf b;
    sb_init(&b, what, sizeof what);
    sb_add(&b, "load seccomp filter (");
    sb_add(&b, step);
    sb_add(&b, ")");
    child_fail(c, -r, what, NULL);
  }
}

static const char *env_lookup(char **envp, const char *name) {
  size_t n = c_strlen(name);
  for (char **e = envp; e && *e; e++)
    if (c_strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
  return NULL;
}

/* HOME, when process.env has none (or an empty one): the user's home in the
 * container's /etc/passwd, or "/" (runc). Read as root, inside the root. */
static void set_home(struct child_ctx *c) {
  struct tsrun_process *pr = c->process;
  const char *have = env_lookup(pr->envp, "HOME");
  if (have && *have) return;
  static char home_env[4200];
  struct sbuf b;
  sb_init(&b, home_env, sizeof home_env);
  sb_add(&b, "HOME=");
  const char *home = "/";
  size_t home_len = 1;
  int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    size_t len = 0;
    ssize_t r;
    while (len + 1 < c->buf_len && (r = read(fd, c->buf + len, c->buf_len - 1 - len)) != 0) {
      if (r < 0) {
        if (errno == EINTR) continue;
        break;
      }
      len += (size_t)r;
    }
    close(fd);
    c->buf[len] = 0;
    /* name:password:uid:gid:gecos:home:shell, the first line with our uid */
    for (char *line = c->buf; *line;) {
      char *end = line;
      while (*end && *end != '\n') end++;
      const char *f[7];
      size_t fl[7];
      int nf = 0;
      const char *q = line;
      while (nf < 7) {
        const char *e = q;
        while (e < end && *e != ':') e++;
        f[nf] = q;
        fl[nf] = (size_t)(e - q);
        nf++;
        if (e >= end) break;
        q = e + 1;
      }
      if (nf >= 6 && fl[2] > 0 && fl[2] < 12) {
        unsigned long long uid = 0;
        bool numeric = true;
        for (size_t i = 0; i < fl[2]; i++) {
          if (f[2][i] < '0' || f[2][i] > '9') numeric = false;
          else uid = uid * 10 + (unsigned)(f[2][i] - '0');
        }
        if (numeric && uid == pr->uid) {
          home = f[5];
          home_len = fl[5];
          break;
        }
      }
      line = *end ? end + 1 : end;
    }
  }
  sb_add_n(&b, home, home_len);
  /* drop an empty HOME, append ours (envp has the slot, plan.c) */
  char **e = pr->envp, **w = pr->envp;
  for (; *e; e++)
    if (!(c_strncmp(*e, "HOME=", 5) == 0)) *w++ = *e;
  *w++ = home_env;
  *w = NULL;
}

static bool is_executable(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0;
}

__attribute__((noreturn)) static void fail_exec(struct child_ctx *c, int err, const char *name, const char *tail) {
  char what[4200];
  struct sbuf b;
  sb_init(&b, what, sizeof what);
  sb_add(&b, "exec: \"");
  sb_add(&b, name);
  sb_add(&b, "\": ");
  sb_add(&b, tail);
  child_fail(c, err, what, NULL);
}

/* argv[0] as execve will be given it: a path with a slash as it is, a bare
 * name searched in the process's PATH; fails like runc ("executable file
 * not found in $PATH"). As Go's LookPath, which runc uses: an empty or
 * missing PATH searches nothing, and the first match must not come from a
 * relative entry (an empty entry means "."). */
static const char *resolve_exec(struct child_ctx *c) {
  const char *name = c->process->argv[0];
  static char found[4096];
  bool has_slash = false;
  for (const char *s = name; *s; s++)
    if (*s == '/') has_slash = true;
  if (has_slash) {
    struct stat st;
    if (stat(name, &st) < 0) fail_exec(c, errno, name, "stat");
    if (S_ISDIR(st.st_mode)) fail_exec(c, 0, name, "is a directory");
    if (faccessat(AT_FDCWD, name, X_OK, AT_EACCESS) < 0) fail_exec(c, errno, name, "access");
    return name;
  }
  const char *path = env_lookup(c->process->envp, "PATH");
  if (!path) path = "";
  while (*path) {
    const char *end = path;
    while (*end && *end != ':') end++;
    struct sbuf b;
    sb_init(&b, found, sizeof found);
    if (end == path) sb_add(&b, ".");
    else sb_add_n(&b, path, (size_t)(end - path));
    sb_add(&b, "/");
    sb_add(&b, name);
    if (is_executable(found)) {
      /* Go's LookPath (runc) refuses a match in a relative PATH entry ("", ".", "bin") */
      if (found[0] != '/') fail_exec(c, 0, name, "cannot run executable found relative to current directory");
      return found;
    }
    path = *end ? end + 1 : end;
  }
  fail_exec(c, 0, name, "executable file not found in $PATH");
}

static void capget_now(struct child_ctx *c, struct __user_cap_data_struct d[2]) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  if (syscall(SYS_capget, &h, d) < 0) child_fail(c, errno, "capget", NULL);
}

static void capset_now(struct child_ctx *c, struct __user_cap_data_struct d[2]) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  if (syscall(SYS_capset, &h, d) < 0) child_fail(c, errno, "capset", NULL);
}

/* Look argv[0] up as the process will be when it gets there: its uid, gid,
 * groups and effective capabilities (the access check depends on them), and
 * before any seccomp filter exists: the container's profile may deny what
 * the lookup needs (glibc's faccessat(AT_EACCESS) is faccessat2; a profile
 * from before 2021 does not list it). Only the effective ids change, and
 * back: the real and saved ids stay root's, so no process of the container's
 * uid can ptrace or open us meanwhile (see set_user). A cwd root could not
 * enter is entered now, with the user's ids. */
static const char *lookup_exec(struct child_ctx *c, bool in_cwd) {
  struct tsrun_process *pr = c->process;
  struct __user_cap_data_struct saved[2], as_user[2];
  capget_now(c, saved);
  set_groups(c);
  if (syscall(SYS_setresgid, -1, pr->gid, -1) < 0) fail_id(c, "setresgid", pr->gid);
  if (syscall(SYS_setresuid, -1, pr->uid, -1) < 0) fail_id(c, "setresuid", pr->uid);
  child_stay_undumpable();
  c_memcpy(as_user, saved, sizeof saved);
  as_user[0].effective = (uint32_t)pr->cap_effective & saved[0].permitted;
  as_user[1].effective = (uint32_t)(pr->cap_effective >> 32) & saved[1].permitted;
  capset_now(c, as_user);
  if (!in_cwd) change_dir(c, false);
  const char *path = resolve_exec(c);
  if (syscall(SYS_setresuid, -1, 0, -1) < 0) fail_id(c, "setresuid", 0);
  capset_now(c, saved);
  if (syscall(SYS_setresgid, -1, 0, -1) < 0) fail_id(c, "setresgid", 0);
  child_stay_undumpable();
  return path;
}

void process_finalize(struct child_ctx *c) {
  struct tsrun_process *pr = c->process;
  /* while still root with every capability, as runc does */
  lsm_apply_exec_labels(c);
  set_rlimits(c);
  if (pr->umask >= 0) umask((mode_t)pr->umask);
  bool in_cwd = change_dir(c, true);
  set_home(c);
  c->exec_path = lookup_exec(c, in_cwd);
  /* without no_new_privs, loading a filter needs CAP_SYS_ADMIN: do it while
     we still hold it (as runc does); from here on only what setting the
     user and capabilities takes (the same as runc's), then write, read and
     close (init.c) */
  if (pr->seccomp && !pr->no_new_privileges) load_seccomp(c);
  drop_bounding(c);
  set_user(c);
  set_capabilities(c);
  child_stay_undumpable();
  if (pr->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    child_fail(c, errno, "prctl PR_SET_NO_NEW_PRIVS", NULL);
}

/* With no_new_privileges the filter needs no privilege: it is loaded last,
 * right before execve, so that nothing but execve runs under it. */
void process_seccomp_late(struct child_ctx *c) {
  struct tsrun_process *pr = c->process;
  if (pr->seccomp && pr->no_new_privileges) load_seccomp(c);
}

void process_exec(struct child_ctx *c) {
  execve(c->exec_path, c->process->argv, c->process->envp);
  int e = errno;
  fail_exec(c, e, c->process->argv[0], "execve");
}

/* startContainer hooks: run inside the container, before the user program,
 * with the state JSON on stdin; a failure or timeout fails the start. */
static void run_hook(struct child_ctx *c, const char *kind, const struct tsrun_hook *h, int index) {
  int in[2];
  if (pipe2(in, O_CLOEXEC) < 0) child_fail(c, errno, "pipe for hook", h->path);
  pid_t pid = _Fork();
  if (pid < 0) child_fail(c, errno, "fork hook", h->path);
  if (pid == 0) {
    dup2(in[0], 0);
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull >= 0) dup2(devnull, 1);
    execve(h->path, h->argv, h->inherit_env ? c->process->envp : h->envp);
    _exit(127);
  }
  close(in[0]);
  signal(SIGPIPE, SIG_IGN);
  ssize_t off = 0;
  while ((size_t)off < c->state_len) {
    ssize_t w = write(in[1], c->state_json + off, c->state_len - (size_t)off);
    if (w <= 0) break;
    off += w;
  }
  close(in[1]);
  signal(SIGPIPE, SIG_DFL);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) child_fail(c, errno, "wait for hook", h->path);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long elapsed_ms = (long long)(now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (h->timeout > 0 && elapsed_ms >= (long long)h->timeout * 1000) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      char what[256];
      struct sbuf b;
      sb_init(&b, what, sizeof what);
      sb_add(&b, kind);
      sb_add(&b, " hook [");
      sb_add_int(&b, index);
      sb_add(&b, "] timed out after ");
      sb_add_int(&b, h->timeout);
      sb_add(&b, "s:");
      child_fail(c, 0, what, h->path);
    }
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    char what[256];
    struct sbuf b;
    sb_init(&b, what, sizeof what);
    sb_add(&b, kind);
    sb_add(&b, " hook [");
    sb_add_int(&b, index);
    sb_add(&b, "] failed (");
    if (WIFEXITED(status)) {
      sb_add(&b, "exit status ");
      sb_add_int(&b, WEXITSTATUS(status));
    } else {
      sb_add(&b, "signal ");
      sb_add_int(&b, WTERMSIG(status));
    }
    sb_add(&b, "):");
    child_fail(c, 0, what, h->path);
  }
}

void run_hooks(struct child_ctx *c, const char *kind, const struct tsrun_hook *hooks, int n) {
  for (int i = 0; i < n; i++) run_hook(c, kind, &hooks[i], i);
}
