/* AF_UNIX socket addresses for paths of any length: the one place that knows
 * the long-path trick. sun_path holds 107 bytes; a longer path (a state dir
 * under a deep --root, a console socket in a deep bundle) is reached through
 * an O_PATH fd of its directory as "/proc/self/fd/<dirfd>/<name>", which
 * needs a /proc of this or an ancestor pid namespace (true on the host and
 * before pivot_root) and a final name short enough for that form. The working
 * directory is never changed (node is multithreaded; the init relies on its
 * cwd). Async-signal-safe: the container init uses it between fork and execve. */
#ifndef TSRUN_UNIX_ADDR_H
#define TSRUN_UNIX_ADDR_H
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

struct tsrun_unix_addr {
  struct sockaddr_un sa;
  socklen_t len; /* for bind(2) / connect(2) */
  int dirfd;     /* >= 0 while the /proc/self/fd form is in use */
};

/* Fill `a` for `path`. Returns 0, or -errno (-ENAMETOOLONG when even the
 * /proc/self/fd form does not fit, or the error of opening the directory).
 * On success call tsrun_unix_addr_release after bind/connect. */
int tsrun_unix_addr_init(struct tsrun_unix_addr *a, const char *path);

/* Close the directory fd, if any. */
void tsrun_unix_addr_release(struct tsrun_unix_addr *a);

#endif
