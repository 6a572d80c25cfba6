/* JS-facing fd passing and unix-socket calls for the parent (node) side:
 * sendFd/sendFdStream/recvFd/connectUnix/listenUnix/acceptUnix. Node's `net`
 * cannot carry SCM_RIGHTS, hence these. Every fd created is CLOEXEC. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "fdpass_napi.h"
#include "napi_util.h"

/* Error for a malformed message (not a failed syscall): code EPROTO. */
static napi_value throw_protocol(napi_env env, const char *msg) {
  napi_value m, code, e;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, "EPROTO", NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, NULL, m, &e);
  napi_set_named_property(env, e, "code", code);
  napi_throw(env, e);
  return NULL;
}

/* Read a string or Buffer argument; *owned is set when *data was malloc'd. */
static bool get_bytes(napi_env env, napi_value v, char **data, size_t *len, bool *owned) {
  bool isbuf = false;
  napi_is_buffer(env, v, &isbuf);
  if (isbuf) {
    void *p;
    if (napi_get_buffer_info(env, v, &p, len) != napi_ok) return false;
    *data = p;
    *owned = false;
    return true;
  }
  if (!tsrun_get_string(env, v, data)) return false;
  *len = strlen(*data);
  *owned = true;
  return true;
}

/* Wait until fd is readable; timeout_ms < 0 waits forever. */
static int wait_readable(int fd, int32_t timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  for (;;) {
    int r = poll(&p, 1, timeout_ms);
    if (r > 0) return 0;
    if (r == 0) return -ETIMEDOUT;
    if (errno != EINTR) return -errno;
  }
}

static int32_t optional_i32(napi_env env, napi_callback_info info, size_t index, bool *ok) {
  napi_value argv[3] = {0};
  size_t argc = 3;
  *ok = true;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc <= index) return -1;
  napi_valuetype t;
  napi_typeof(env, argv[index], &t);
  if (t == napi_undefined || t == napi_null) return -1;
  int32_t v;
  if (!tsrun_get_i32(env, argv[index], &v)) {
    *ok = false;
    return -1;
  }
  return v;
}

static napi_value do_send(napi_env env, napi_callback_info info, bool stream) {
  napi_value argv[3];
  int32_t sock, fd;
  char *data;
  size_t len;
  bool owned;
  if (!tsrun_get_args(env, info, 3, argv) || !tsrun_get_i32(env, argv[0], &sock) || !tsrun_get_i32(env, argv[2], &fd) ||
      !get_bytes(env, argv[1], &data, &len, &owned))
    return NULL;
  int r = stream ? tsrun_send_fd_stream(sock, data, len, fd) : tsrun_send_fd(sock, data, len, fd);
  if (owned) free(data);
  if (r == -EINVAL && !stream && (len == 0 || len >= TSRUN_FD_MESSAGE_MAX)) {
    napi_throw_range_error(env, NULL, "sendFd: data must be 1..4095 bytes");
    return NULL;
  }
  if (r < 0) return tsrun_throw_errno(env, -r, "sendmsg", NULL);
  return NULL;
}

/* sendFd(socketFd, data, fd): one sendmsg, 1..4095 bytes + one SCM_RIGHTS fd */
static napi_value js_send_fd(napi_env env, napi_callback_info info) { return do_send(env, info, false); }

/* sendFdStream(socketFd, data, fd): any length; the fd rides the first sendmsg */
static napi_value js_send_fd_stream(napi_env env, napi_callback_info info) { return do_send(env, info, true); }

#define RECV_MAX_FDS 16

/* recvFd(socketFd, timeoutMs?) -> { fd, data }: one recvmsg(MSG_CMSG_CLOEXEC)
 * that must carry 1..4095 bytes and exactly one SCM_RIGHTS cmsg with exactly
 * one fd (go-runc's rules). Any other fds received are closed. */
static napi_value js_recv_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t sock;
  bool ok;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_i32(env, argv[0], &sock)) return NULL;
  int32_t timeout = optional_i32(env, info, 1, &ok);
  if (!ok) return NULL;
  int w = wait_readable(sock, timeout);
  if (w < 0) return tsrun_throw_errno(env, -w, "poll", NULL);

  char *buf = malloc(TSRUN_FD_MESSAGE_MAX);
  if (!buf) return tsrun_throw(env, "out of memory");
  union {
    char b[CMSG_SPACE(sizeof(int) * RECV_MAX_FDS)];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {.iov_base = buf, .iov_len = TSRUN_FD_MESSAGE_MAX};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    int e = errno;
    free(buf);
    return tsrun_throw_errno(env, e, "recvmsg", NULL);
  }

  int fds[RECV_MAX_FDS * 2];
  size_t nfds = 0, ncmsg = 0;
  bool foreign = false;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    ncmsg++;
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
      foreign = true;
      continue;
    }
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < k && nfds < sizeof fds / sizeof fds[0]; i++)
      memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
  }
  const char *problem = NULL;
  char what[128];
  if (msg.msg_flags & MSG_CTRUNC) problem = "recvFd: control data truncated (too many fds sent)";
  else if (n == 0) problem = "recvFd: peer closed the socket without sending a message";
  else if (n >= TSRUN_FD_MESSAGE_MAX) problem = "recvFd: message of 4096 bytes or more";
  else if (foreign || ncmsg != 1 || nfds != 1) {
    snprintf(what, sizeof what,
             "recvFd: expected one SCM_RIGHTS message with one fd, got %zu control messages and %zu fds", ncmsg, nfds);
    problem = what;
  }
  if (problem) {
    for (size_t i = 0; i < nfds; i++) close(fds[i]);
    free(buf);
    return throw_protocol(env, problem);
  }
  napi_value out, data;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "fd", tsrun_make_i32(env, fds[0]));
  napi_create_string_utf8(env, buf, (size_t)n, &data);
  napi_set_named_property(env, out, "data", data);
  free(buf);
  return out;
}

/* connectUnix(path) -> fd (SOCK_CLOEXEC); long paths via /proc/self/fd */
static napi_value js_connect_unix(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char *path;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_string(env, argv[0], &path)) return NULL;
  int r = tsrun_connect_unix(path);
  napi_value out = r < 0 ? tsrun_throw_errno(env, -r, "connect", path) : tsrun_make_i32(env, r);
  free(path);
  return out;
}

/* listenUnix(path, backlog?) -> listening fd (SOCK_CLOEXEC); long paths as connectUnix */
static napi_value js_listen_unix(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char *path;
  bool ok;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_string(env, argv[0], &path)) return NULL;
  int32_t backlog = optional_i32(env, info, 1, &ok);
  if (!ok) {
    free(path);
    return NULL;
  }
  int r = tsrun_listen_unix(path, backlog < 0 ? 16 : backlog);
  napi_value out = r < 0 ? tsrun_throw_errno(env, -r, "bind", path) : tsrun_make_i32(env, r);
  free(path);
  return out;
}

/* acceptUnix(listenFd, timeoutMs?) -> connected fd (SOCK_CLOEXEC) */
static napi_value js_accept_unix(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t lfd;
  bool ok;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_i32(env, argv[0], &lfd)) return NULL;
  int32_t timeout = optional_i32(env, info, 1, &ok);
  if (!ok) return NULL;
  int w = wait_readable(lfd, timeout);
  if (w < 0) return tsrun_throw_errno(env, -w, "poll", NULL);
  int c;
  do c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  while (c < 0 && errno == EINTR);
  if (c < 0) return tsrun_throw_errno(env, errno, "accept4", NULL);
  return tsrun_make_i32(env, c);
}

void tsrun_register_fdpass(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {
      {"sendFd", js_send_fd},           {"sendFdStream", js_send_fd_stream}, {"recvFd", js_recv_fd},
      {"connectUnix", js_connect_unix}, {"listenUnix", js_listen_unix},      {"acceptUnix", js_accept_unix},
  };
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
