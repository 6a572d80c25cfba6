/* JS-facing calls that fork container processes and talk to them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "init.h"
#include "napi_util.h"
#include "plan.h"
#include "spawn.h"
#include "sync.h"

napi_value tsrun_fork_with_sync(napi_env env, tsrun_child_fn child, void *arg) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return tsrun_throw_errno(env, errno, "socketpair", NULL);
  /* a packet must fit the sender's buffer (net.core.wmem_default, often
     208 KiB, is below TSRUN_SYNC_MAX); the kernel doubles this value, and
     caps it at wmem_max, whose default still leaves room */
  int sndbuf = TSRUN_SYNC_MAX + (int)sizeof(struct tsrun_sync_hdr) + 64;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  pid_t pid = _Fork();
  if (pid < 0) {
    int e = errno;
    close(sv[0]);
    close(sv[1]);
    return tsrun_throw_errno(env, e, "fork", NULL);
  }
  if (pid == 0) {
    close(sv[0]);
    child(arg, sv[1]);
    _exit(127); /* not reached: child functions exit or exec */
  }
  close(sv[1]);
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "pid", tsrun_make_i32(env, pid));
  napi_set_named_property(env, o, "syncFd", tsrun_make_i32(env, sv[0]));
  return o;
}

static void init_child(void *plan, int sync_fd) { tsrun_init_stage1(plan, sync_fd); }

/* spawnInit(plan) -> { pid, syncFd }: forks stage 1 of the init. */
static napi_value js_spawn_init(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!tsrun_get_args(env, info, 1, argv)) return NULL;
  struct tsrun_plan plan;
  napi_value out = NULL;
  if (tsrun_plan_from_js(env, argv[0], &plan)) {
    plan.creator_pid = getpid();
    out = tsrun_fork_with_sync(env, init_child, &plan);
  }
  tsrun_plan_free(&plan);
  return out;
}

/* syncRecv(fd) -> { type, value, err, text } | null at EOF */
static napi_value js_sync_recv(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_i32(env, argv[0], &fd)) return NULL;
  char *buf = malloc(TSRUN_SYNC_MAX + sizeof(struct tsrun_sync_hdr));
  if (!buf) return tsrun_throw(env, "out of memory");
  ssize_t r;
  bool reset = false;
  for (;;) {
    r = recv(fd, buf, TSRUN_SYNC_MAX + sizeof(struct tsrun_sync_hdr), 0);
    if (r >= 0) break;
    if (errno == EINTR) continue;
    /* ECONNRESET: the peer exited with a message of ours unread. The kernel
       reports that error before the messages still queued for us (and clears
       it), so read once more: the peer's last words (its error) may be there. */
    if (errno == ECONNRESET && !reset) {
      reset = true;
      continue;
    }
    break;
  }
  if (r < 0) {
    int e = errno;
    free(buf);
    if (e == ECONNRESET) {
      napi_value n;
      napi_get_null(env, &n);
      return n;
    }
    return tsrun_throw_errno(env, e, "recv", NULL);
  }
  napi_value out;
  if (r == 0) {
    free(buf);
    napi_get_null(env, &out);
    return out;
  }
  if ((size_t)r < sizeof(struct tsrun_sync_hdr)) {
    free(buf);
    return tsrun_throw(env, "sync: short message");
  }
  struct tsrun_sync_hdr h;
  memcpy(&h, buf, sizeof h);
  napi_value text;
  napi_create_string_utf8(env, buf + sizeof h, (size_t)r - sizeof h, &text);
  free(buf);
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "type", tsrun_make_i32(env, (int32_t)h.type));
  napi_set_named_property(env, out, "value", tsrun_make_i32(env, h.value));
  napi_set_named_property(env, out, "err", tsrun_make_i32(env, h.err));
  napi_set_named_property(env, out, "text", text);
  return out;
}

/* syncSend(fd, type, value, text) */
static napi_value js_sync_send(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, type, value;
  char *text = NULL;
  if (!tsrun_get_args(env, info, 4, argv) || !tsrun_get_i32(env, argv[0], &fd) || !tsrun_get_i32(env, argv[1], &type) ||
      !tsrun_get_i32(env, argv[2], &value) || !tsrun_get_string(env, argv[3], &text))
    return NULL;
  size_t len = strlen(text);
  if (len > TSRUN_SYNC_TEXT_MAX) {
    free(text);
    char msg[128];
    snprintf(msg, sizeof msg, "sync: a message of %zu bytes is over the channel's limit of %d bytes", len,
             TSRUN_SYNC_TEXT_MAX);
    return tsrun_throw(env, msg);
  }
  struct tsrun_sync_hdr h = {(uint32_t)type, value, 0, (uint32_t)len};
  char *buf = malloc(sizeof h + len);
  memcpy(buf, &h, sizeof h);
  memcpy(buf + sizeof h, text, len);
  free(text);
  ssize_t r;
  do r = send(fd, buf, sizeof h + len, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  int e = errno;
  free(buf);
  if (r < 0) return tsrun_throw_errno(env, e, "send", NULL);
  return NULL;
}

static napi_value wait_result(napi_env env, pid_t pid, int status) {
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "pid", tsrun_make_i32(env, pid));
  napi_value code, sig;
  if (WIFEXITED(status)) {
    code = tsrun_make_i32(env, WEXITSTATUS(status));
    napi_get_null(env, &sig);
  } else {
    napi_get_null(env, &code);
    sig = tsrun_make_i32(env, WTERMSIG(status));
  }
  napi_set_named_property(env, o, "exitCode", code);
  napi_set_named_property(env, o, "signal", sig);
  return o;
}

/* waitPid(pid, noHang) -> { pid, exitCode, signal } | null (noHang and still running) */
static napi_value js_wait_pid(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t pid;
  bool nohang;
  if (!tsrun_get_args(env, info, 2, argv) || !tsrun_get_i32(env, argv[0], &pid) ||
      !tsrun_get_bool(env, argv[1], &nohang))
    return NULL;
  int status;
  pid_t r;
  do r = waitpid(pid, &status, nohang ? WNOHANG : 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) return tsrun_throw_errno(env, errno, "waitpid", NULL);
  if (r == 0) {
    napi_value n;
    napi_get_null(env, &n);
    return n;
  }
  return wait_result(env, r, status);
}

/* waitPidAsync(pid) -> Promise<{ pid, exitCode, signal }>: waits on a libuv
 * worker thread (any thread of the process may reap its children). Only `pid`
 * is reaped, so libuv keeps the exit status of its own children. */
struct wait_work {
  napi_async_work work;
  napi_deferred deferred;
  pid_t pid;
  int status, err;
};

static void wait_execute(napi_env env, void *data) {
  struct wait_work *w = data;
  (void)env;
  for (;;) {
    int status;
    pid_t r = waitpid(w->pid, &status, __WALL);
    if (r < 0) {
      if (errno == EINTR) continue;
      w->err = errno;
      return;
    }
    w->status = status;
    return;
  }
}

static void wait_complete(napi_env env, napi_status st, void *data) {
  struct wait_work *w = data;
  (void)st;
  if (w->err) {
    napi_value m, e;
    char msg[128];
    snprintf(msg, sizeof msg, "waitpid: %s", strerror(w->err));
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_create_error(env, NULL, m, &e);
    napi_set_named_property(env, e, "code", tsrun_make_string(env, tsrun_errno_name(w->err)));
    napi_reject_deferred(env, w->deferred, e);
  } else {
    napi_resolve_deferred(env, w->deferred, wait_result(env, w->pid, w->status));
  }
  napi_delete_async_work(env, w->work);
  free(w);
}

static napi_value js_wait_pid_async(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t pid;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_i32(env, argv[0], &pid)) return NULL;
  struct wait_work *w = calloc(1, sizeof *w);
  w->pid = pid;
  napi_value promise, name;
  napi_create_promise(env, &w->deferred, &promise);
  napi_create_string_utf8(env, "tsrun.waitpid", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, wait_execute, wait_complete, w, &w->work);
  napi_queue_async_work(env, w->work);
  return promise;
}

/* setChildSubreaper(on): orphaned descendants (the init, once stage 1 exits) become ours */
static napi_value js_set_child_subreaper(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool on;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_bool(env, argv[0], &on)) return NULL;
  if (prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0) < 0)
    return tsrun_throw_errno(env, errno, "prctl PR_SET_CHILD_SUBREAPER", NULL);
  return NULL;
}

/* releaseStart(fifoPath, replyPath) -> Buffer | null: release a created
 * init (init.c). Opens the reply FIFO first (so nothing the init says is
 * missed), writes one byte to the start FIFO, then reads the reply until
 * EOF: empty once the init has exec'd (its end closes on execve), or the
 * init's error message (sync packets). null: nobody reads the start FIFO,
 * the init is gone. Blocks until the init execs or exits. */
static napi_value js_release_start(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char *fifo = NULL, *reply = NULL;
  napi_value out = NULL;
  if (!tsrun_get_args(env, info, 2, argv) || !tsrun_get_string(env, argv[0], &fifo) ||
      !tsrun_get_string(env, argv[1], &reply))
    goto done;
  int rfd = open(reply, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (rfd < 0) {
    out = tsrun_throw_errno(env, errno, "open", reply);
    goto done;
  }
  int gfd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (gfd < 0) {
    int e = errno;
    close(rfd);
    if (e == ENXIO) napi_get_null(env, &out);
    else out = tsrun_throw_errno(env, e, "open", fifo);
    goto done;
  }
  ssize_t w;
  do w = write(gfd, "g", 1);
  while (w < 0 && errno == EINTR);
  int we = errno;
  close(gfd);
  if (w < 0) {
    close(rfd);
    if (we == EPIPE) napi_get_null(env, &out);
    else out = tsrun_throw_errno(env, we, "write", fifo);
    goto done;
  }
  int fl = fcntl(rfd, F_GETFL);
  if (fl >= 0) fcntl(rfd, F_SETFL, fl & ~O_NONBLOCK);
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len == cap) {
      char *bigger = realloc(buf, cap *= 2);
      if (!bigger) break;
      buf = bigger;
    }
    ssize_t r = read(rfd, buf + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(rfd);
  void *data;
  napi_create_buffer_copy(env, len, buf, &data, &out);
  free(buf);
done:
  free(fifo);
  free(reply);
  return out;
}

/* closeFd(fd) */
static napi_value js_close_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_i32(env, argv[0], &fd)) return NULL;
  close(fd);
  return NULL;
}

void tsrun_register_spawn(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {
      {"spawnInit", js_spawn_init},        {"syncRecv", js_sync_recv},
      {"syncSend", js_sync_send},          {"waitPid", js_wait_pid},
      {"waitPidAsync", js_wait_pid_async}, {"setChildSubreaper", js_set_child_subreaper},
      {"releaseStart", js_release_start},  {"closeFd", js_close_fd},
  };
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
