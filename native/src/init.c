/* The container init, in two forked stages.
 * Stage 1 (a child of node): closes inherited fds, joins/creates namespaces
 * (user first, so the others belong to it) and forks stage 2 as its sibling
 * (CLONE_PARENT); then it exits.
 * Stage 2 (the init, PID 1 in a new pid namespace): builds the rootfs, lets
 * the parent run the create hooks, pivots, applies the process settings,
 * reports READY and waits until create has stored the state (SYNC_COMMIT);
 * then it blocks on the start FIFO until `tsrun start`, and execs.
 * Until that commit both stages die with tsrun (lifeline.h); once create
 * exits, the init reparents to the engine's subreaper. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "child.h"
#include "console.h"
#include "init.h"
#include "keyring.h"
#include "lifeline.h"
#include "process.h"
#include "rootfs.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const int NS_CLONE_FLAG[NS_COUNT] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,    CLONE_NEWNET,
                                            CLONE_NEWUTS,  CLONE_NEWIPC, CLONE_NEWCGROUP, CLONE_NEWTIME};

/* node ignores SIGPIPE and may block signals; an ignored signal stays ignored
 * across execve, so restore defaults for the container */
void child_reset_signals(void) {
  struct sigaction sa = {0};
  sa.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    sigaction(s, &sa, NULL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static void write_time_offsets(struct child_ctx *c) {
  struct tsrun_plan *p = c->plan;
  if (p->n_time_offsets == 0) return;
  int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0) child_fail(c, errno, "open", "/proc/self/timens_offsets");
  for (int i = 0; i < p->n_time_offsets; i++) {
    const char *line = p->time_offsets[i];
    if (write(fd, line, c_strlen(line)) < 0) child_fail(c, errno, "write /proc/self/timens_offsets:", line);
  }
  close(fd);
}

void enter_namespaces(struct child_ctx *c, const struct tsrun_ns *ns, int n_ns, bool allow_new) {
  int fds[NS_COUNT];
  bool new_user = false;
  int unshare_flags = 0;
  /* open every path first: joining a mount namespace changes what paths mean */
  for (int i = 0; i < n_ns; i++) {
    fds[i] = -1;
    if (ns[i].path) {
      fds[i] = open(ns[i].path, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0) child_fail(c, errno, "open namespace", ns[i].path);
    } else if (allow_new) {
      if (ns[i].kind == NS_USER) new_user = true;
      else unshare_flags |= NS_CLONE_FLAG[ns[i].kind];
    }
  }
  /* As runc's nsexec: a user namespace given by path first (the others are
     joined with its privileges), then the other paths (the mount namespace
     last: its paths were opened already), then a new user namespace, then
     the other new ones, which it then owns. Namespaces of the caller's own
     (joined by path) can so be shared with a container that has a new user
     namespace. */
  /* Credentials change through raw syscalls: glibc's set*id wrappers
     broadcast to every thread the process had before _Fork (Node's), taking
     glibc's thread-list lock, which another Node thread may have held at the
     fork: the child then waited on a futex forever (3 hangs in ~5,500
     differential runs with user namespaces). The child has one thread. */
  bool in_userns = false;
  for (int i = 0; i < n_ns; i++) {
    if (ns[i].kind != NS_USER || fds[i] < 0) continue;
    if (setns(fds[i], CLONE_NEWUSER) < 0) child_fail(c, errno, "setns user namespace", ns[i].path);
    if (syscall(SYS_setresuid, 0, 0, 0) < 0) child_fail(c, errno, "setresuid to root in the user namespace", NULL);
    in_userns = true;
  }
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < n_ns; i++) {
      if (ns[i].kind == NS_USER || fds[i] < 0) continue;
      if ((ns[i].kind == NS_MOUNT) != (pass == 1)) continue;
      if (setns(fds[i], NS_CLONE_FLAG[ns[i].kind]) < 0) {
        struct sbuf b;
        char what[64];
        sb_init(&b, what, sizeof what);
        sb_add(&b, "setns ");
        sb_add(&b, tsrun_ns_names[ns[i].kind]);
        sb_add(&b, " namespace");
        child_fail(c, errno, what, ns[i].path);
      }
      close(fds[i]);
    }
  }
  if (new_user) {
    /* rootless: /proc/<pid>/uid_map of an undumpable process belongs to root,
     * so tsrun (same unprivileged user) could not write it; dumpable only
     * while it does, as runc's nsexec (a process of that user only) */
    bool unprivileged = geteuid() != 0;
    if (unshare(CLONE_NEWUSER) < 0) child_fail(c, errno, "unshare", "user namespace");
    if (unprivileged) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    sync_send(c->sync_fd, SYNC_USERNS_MAP, (int32_t)getpid(), 0, NULL, 0);
    sync_wait_go(c);
    if (unprivileged) child_stay_undumpable();
    /* root in it: the uid now, the gid once the other namespaces exist (as
       runc's nsexec: what they create, such as the IPC namespace's mqueue
       root, keeps the caller's gid) */
    if (syscall(SYS_setresuid, 0, 0, 0) < 0) child_fail(c, errno, "setresuid to root in the user namespace", NULL);
    in_userns = true;
  }
  if (unshare_flags && unshare(unshare_flags) < 0) child_fail(c, errno, "unshare", "namespaces");
  if (in_userns && syscall(SYS_setresgid, 0, 0, 0) < 0)
    child_fail(c, errno, "setresgid to root in the user namespace", NULL);
  child_stay_undumpable();
}

/* The start FIFOs, made and opened by stage 1 as the caller's user, before
 * any namespace (in a new user namespace the init may not even search the
 * state dir). Both are opened read-write, so no open blocks: the init is the
 * reader `tsrun start` finds on the go FIFO (no reader: the init is gone),
 * and a writer of the reply FIFO, which `start` reads until every writer is
 * gone: at execve (close-on-exec) or when the init dies. Waiting and
 * reporting then take read(2) and write(2) only, which the container's
 * seccomp profile (loaded by then when no_new_privileges is off) cannot
 * sensibly deny. */
static int make_fifo(struct child_ctx *c, const char *path) {
  if (mknodat(AT_FDCWD, path, S_IFIFO | 0600, 0) < 0) child_fail(c, errno, "mkfifo", path);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) child_fail(c, errno, "open", path);
  return fd;
}

/* Block until `tsrun start` writes to the go FIFO; from then on errors are
 * reported to it through the reply FIFO. */
static void wait_for_start(struct child_ctx *c) {
  char go;
  for (;;) {
    ssize_t r = read(c->start_go_fd, &go, 1);
    if (r == 1) break;
    if (r < 0 && errno == EINTR) continue;
    _exit(1);
  }
  close(c->start_go_fd);
  c->sync_fd = c->start_reply_fd;
}

static void set_names(struct child_ctx *c) {
  struct tsrun_plan *p = c->plan;
  if (p->hostname && sethostname(p->hostname, c_strlen(p->hostname)) < 0)
    child_fail(c, errno, "sethostname", p->hostname);
  if (p->domainname && setdomainname(p->domainname, c_strlen(p->domainname)) < 0)
    child_fail(c, errno, "setdomainname", p->domainname);
}

static void exit_on_signal(int sig) { _exit(128 + sig); }

/* Blocked before execve, the init is usually PID 1 of its pid namespace, and
 * the kernel drops every signal but SIGKILL sent to such a process while its
 * disposition is the default: `kill <created id> TERM` would do nothing. Let
 * the terminating signals engines send (TERM, INT, HUP, QUIT) end it, as they
 * end runc's init; execve resets caught signals to the default. */
static void exit_on_termination_signals(void) {
  struct sigaction sa = {0};
  sa.sa_handler = exit_on_signal;
  sigemptyset(&sa.sa_mask);
  const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
}

/* After READY: create stores the state, then says SYNC_COMMIT. EOF first
 * means it died before that, and nobody knows this init: exit. */
static void wait_for_commit(struct child_ctx *c) {
  /* read(2), not recvmsg: the container's seccomp filter may be loaded by
     now, and every profile lets read through. COMMIT carries no text. */
  struct tsrun_sync_hdr h;
  ssize_t r;
  do r = read(c->sync_fd, &h, sizeof h);
  while (r < 0 && errno == EINTR);
  if (r != (ssize_t)sizeof h || h.type != SYNC_COMMIT) _exit(2);
}

__attribute__((noreturn)) static void stage2(struct child_ctx *c) {
  struct tsrun_plan *p = c->plan;
  /* a sibling of stage 1: tsrun is our parent, and we die with it */
  lifeline_arm(p->creator_pid, c->sync_fd);
  /* the parent sends the state JSON first (and, with a seccomp listener, the
     agent's container process state); keep them in the tail of scratch */
  size_t half = c->buf_len / 4;
  size_t n = 0;
  int t = sync_recv(c->sync_fd, NULL, c->buf + half, half, &n);
  if (t != SYNC_STATE) _exit(2);
  c->state_json = c->buf + half;
  c->state_len = n;
  if (p->process.seccomp_listener_fd >= 0) {
    c->agent_json = c->buf + 2 * half;
    t = sync_recv(c->sync_fd, NULL, c->agent_json, 2 * half, &c->agent_len);
    if (t != SYNC_STATE) _exit(2);
  }
  c->buf_len = half;

  /* as runc's init: a session of its own, then its own session keyring */
  if (setsid() < 0) child_fail(c, errno, "setsid", NULL);
  if (p->session_keyring) keyring_join(c, p->session_keyring, p->session_keyring_perm);
  if (p->personality >= 0 && personality((unsigned long)p->personality) < 0) child_fail(c, errno, "personality", NULL);
  rootfs_prepare(c);
  sync_send(c->sync_fd, SYNC_CREATE_HOOKS, 0, 0, NULL, 0);
  sync_wait_go(c);
  /* createContainer hooks start in the rootfs (runc) */
  if (p->n_create_hooks > 0 && chdir(p->rootfs) < 0) child_fail(c, errno, "chdir to rootfs", p->rootfs);
  run_hooks(c, "createContainer", p->create_hooks, p->n_create_hooks);
  /* from here on hooks see the state as "created" */
  t = sync_recv(c->sync_fd, NULL, c->buf + half, half, &n);
  if (t != SYNC_STATE) _exit(2);
  c->state_len = n;
  /* runc's order from here: the console, a read-only root, the names, then
     linux.sysctl (a kernel.hostname/domainname sysctl wins over
     hostname/domainname), read-only and masked paths */
  rootfs_enter(c);
  if (p->process.terminal) console_setup(c, p->console_socket_fd, true);
  else if (p->console_socket_fd >= 0) close(p->console_socket_fd);
  rootfs_seal(c);
  set_names(c);
  rootfs_finish(c);
  /* the container's credentials and seccomp filter come next: prctl may be
     denied under the filter, and a new euid clears the signal anyway. From
     here on, EOF on the sync channel is what ends us if tsrun dies. */
  lifeline_disarm();
  exit_on_termination_signals();
  process_finalize(c);
  /* without no_new_privileges the container's seccomp filter is loaded
     now: only write, read, close and what startContainer hooks need from
     here to execve; with it, the filter comes right before execve */
  sync_send(c->sync_fd, SYNC_READY, 0, 0, NULL, 0);
  wait_for_commit(c);
  close(c->sync_fd);
  wait_for_start(c);
  run_hooks(c, "startContainer", p->start_hooks, p->n_start_hooks);
  process_seccomp_late(c);
  process_exec(c);
}

__attribute__((noreturn)) void tsrun_init_stage1(struct tsrun_plan *p, int sync_fd) {
  struct child_ctx c = {
      .plan = p, .process = &p->process, .sync_fd = sync_fd, .buf = p->scratch, .buf_len = p->scratch_len};
  /* first: nothing may open /proc/<pid>/exe (the host's node) or our memory */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  lifeline_arm(p->creator_pid, sync_fd);
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
  /* made here, as the caller's user: in a new user namespace the init may
     not even search the state dir (0700) */
  c.start_go_fd = make_fifo(&c, p->start_fifo_path);
  c.start_reply_fd = make_fifo(&c, p->start_reply_path);
  /* the parent puts us into the container's cgroups, then says go (and
     from then on reads what we report) */
  sync_wait_go(&c);
  process_set_oom_score_adj(&c);
  process_raise_hard_rlimits(&c);
  enter_namespaces(&c, p->ns, p->n_ns, true);
  /* root of a new user namespace is a new euid: the kernel cleared the signal */
  lifeline_arm(p->creator_pid, c.sync_fd);
  write_time_offsets(&c);
  pid_t child = lifeline_fork_sibling();
  if (child < 0) child_fail(&c, errno, "fork", "init");
  if (child == 0) stage2(&c);
  sync_send(c.sync_fd, SYNC_INIT_PID, (int32_t)child, 0, NULL, 0);
  _exit(0);
}
