/* fd passing over AF_UNIX stream sockets; see fdpass.h. Async-signal-safe:
 * only raw syscalls, stack buffers and the caller's memory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_PATH */
#endif
#include "fdpass.h"
#include "unix_addr.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* errno is thread-local and only read right after the failing call, which is
 * safe after fork; these helpers turn it into the -errno convention. */
static int neg_errno(void) { return errno ? -errno : -EIO; }

/* One sendmsg with the fd attached; returns bytes sent or -errno. */
static ssize_t send_with_fd(int sock, const void *data, size_t len, int fd) {
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
  struct msghdr msg = {
      .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = ctl.buf,
      .msg_controllen = sizeof ctl.buf,
  };
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? neg_errno() : n;
}

int tsrun_send_fd(int sock, const void *data, size_t len, int fd) {
  if (len == 0 || len >= TSRUN_FD_MESSAGE_MAX || fd < 0) return -EINVAL;
  ssize_t n = send_with_fd(sock, data, len, fd);
  if (n < 0) return (int)n;
  return (size_t)n == len ? 0 : -EMSGSIZE;
}

int tsrun_send_fd_stream(int sock, const void *data, size_t len, int fd) {
  if (len == 0 || fd < 0) return -EINVAL;
  ssize_t n = send_with_fd(sock, data, len, fd);
  if (n < 0) return (int)n;
  const char *p = (const char *)data + n;
  size_t left = len - (size_t)n;
  while (left > 0) {
    ssize_t m = send(sock, p, left, MSG_NOSIGNAL);
    if (m < 0) {
      if (errno == EINTR) continue;
      return neg_errno();
    }
    p += m;
    left -= (size_t)m;
  }
  return 0;
}

enum addr_op { OP_CONNECT, OP_BIND };

static int use_addr(int sock, const struct tsrun_unix_addr *a, enum addr_op op) {
  const struct sockaddr *sa = (const struct sockaddr *)&a->sa;
  if (op == OP_BIND) return bind(sock, sa, a->len) == 0 ? 0 : neg_errno();
  for (;;) {
    if (connect(sock, sa, a->len) == 0) return 0;
    if (errno == EINTR) continue;
    /* an interrupted connect may complete in the background */
    if (errno == EISCONN) return 0;
    return neg_errno();
  }
}

static int unix_socket_at(const char *path, enum addr_op op) {
  struct tsrun_unix_addr a;
  int r = tsrun_unix_addr_init(&a, path);
  if (r < 0) return r;
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  r = sock < 0 ? neg_errno() : use_addr(sock, &a, op);
  tsrun_unix_addr_release(&a);
  if (r < 0) {
    if (sock >= 0) close(sock);
    return r;
  }
  return sock;
}

int tsrun_connect_unix(const char *path) { return unix_socket_at(path, OP_CONNECT); }

int tsrun_listen_unix(const char *path, int backlog) {
  int sock = unix_socket_at(path, OP_BIND);
  if (sock < 0) return sock;
  if (listen(sock, backlog) < 0) {
    int e = neg_errno();
    close(sock);
    return e;
  }
  return sock;
}
