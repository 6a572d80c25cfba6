/* fd passing over AF_UNIX stream sockets; see fdpass.h. Async-signal-safe:
 * only raw syscalls, stack buffers and the caller's memory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_PATH */
#endif
#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* errno is thread-local and only read right after the failing call, which is
 * safe after fork; these helpers turn it into the -errno convention. */
static int neg_errno(void) { return errno ? -errno : -EIO; }

size_t tsrun_format_uint(unsigned int v, char *out) {
  char tmp[12];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = '\0';
  return n;
}

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

static int use_addr(int sock, const char *path, size_t len, enum addr_op op) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path, len);
  socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
  if (op == OP_BIND) return bind(sock, (struct sockaddr *)&addr, alen) == 0 ? 0 : neg_errno();
  for (;;) {
    if (connect(sock, (struct sockaddr *)&addr, alen) == 0) return 0;
    if (errno == EINTR) continue;
    /* an interrupted connect may complete in the background */
    if (errno == EISCONN) return 0;
    return neg_errno();
  }
}

/* Go through "/proc/self/fd/<dirfd>/<name>" when the path is too long. */
static int use_addr_via_dirfd(int sock, const char *path, size_t len, enum addr_op op) {
  const char *slash = NULL;
  for (size_t i = 0; i < len; i++)
    if (path[i] == '/') slash = path + i;
  if (!slash || slash[1] == '\0') return -ENAMETOOLONG;
  size_t dirlen = (size_t)(slash - path);
  char dir[PATH_MAX];
  if (dirlen >= sizeof dir) return -ENAMETOOLONG;
  if (dirlen == 0) {
    dir[0] = '/';
    dirlen = 1;
  } else {
    memcpy(dir, path, dirlen);
  }
  dir[dirlen] = '\0';
  const char *name = slash + 1;
  size_t namelen = len - (size_t)(name - path);

  int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return neg_errno();
  char via[sizeof(((struct sockaddr_un *)0)->sun_path)];
  static const char prefix[] = "/proc/self/fd/";
  char num[12];
  size_t numlen = tsrun_format_uint((unsigned int)dirfd, num);
  size_t total = sizeof prefix - 1 + numlen + 1 + namelen;
  int r;
  if (total >= sizeof via) {
    r = -ENAMETOOLONG;
  } else {
    size_t o = 0;
    memcpy(via + o, prefix, sizeof prefix - 1);
    o += sizeof prefix - 1;
    memcpy(via + o, num, numlen);
    o += numlen;
    via[o++] = '/';
    memcpy(via + o, name, namelen);
    o += namelen;
    via[o] = '\0';
    r = use_addr(sock, via, o, op);
  }
  close(dirfd);
  return r;
}

static int unix_socket_at(const char *path, enum addr_op op) {
  size_t len = strlen(path);
  if (len == 0) return -EINVAL;
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return neg_errno();
  int r = len < sizeof(((struct sockaddr_un *)0)->sun_path) ? use_addr(sock, path, len, op)
                                                             : use_addr_via_dirfd(sock, path, len, op);
  if (r < 0) {
    close(sock);
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
