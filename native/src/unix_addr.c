/* AF_UNIX addresses for long paths; see unix_addr.h. Only raw syscalls and
 * stack buffers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_PATH */
#endif
#include "unix_addr.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* Decimal form of v into out (at least 11 bytes); returns the length. */
static size_t format_uint(unsigned int v, char *out) {
  char tmp[11];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

static void set_path(struct tsrun_unix_addr *a, size_t len) {
  a->sa.sun_path[len] = '\0';
  a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

int tsrun_unix_addr_init(struct tsrun_unix_addr *a, const char *path) {
  memset(a, 0, sizeof *a);
  a->sa.sun_family = AF_UNIX;
  a->dirfd = -1;
  size_t len = strlen(path);
  if (len == 0) return -EINVAL;
  if (len < sizeof a->sa.sun_path) {
    memcpy(a->sa.sun_path, path, len);
    set_path(a, len);
    return 0;
  }
  const char *slash = strrchr(path, '/');
  if (!slash || slash[1] == '\0') return -ENAMETOOLONG;
  const char *name = slash + 1;
  size_t namelen = len - (size_t)(name - path);
  static const char prefix[] = "/proc/self/fd/";
  char dir[PATH_MAX];
  size_t dirlen = (size_t)(slash - path);
  if (dirlen >= sizeof dir) return -ENAMETOOLONG;
  if (dirlen == 0) {
    dir[0] = '/';
    dirlen = 1;
  } else {
    memcpy(dir, path, dirlen);
  }
  dir[dirlen] = '\0';
  a->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (a->dirfd < 0) return errno ? -errno : -EIO;
  char num[11];
  size_t numlen = format_uint((unsigned int)a->dirfd, num);
  if (sizeof prefix - 1 + numlen + 1 + namelen >= sizeof a->sa.sun_path) {
    tsrun_unix_addr_release(a);
    return -ENAMETOOLONG;
  }
  size_t o = 0;
  memcpy(a->sa.sun_path, prefix, sizeof prefix - 1);
  o += sizeof prefix - 1;
  memcpy(a->sa.sun_path + o, num, numlen);
  o += numlen;
  a->sa.sun_path[o++] = '/';
  memcpy(a->sa.sun_path + o, name, namelen);
  set_path(a, o + namelen);
  return 0;
}

void tsrun_unix_addr_release(struct tsrun_unix_addr *a) {
  if (a->dirfd >= 0) close(a->dirfd);
  a->dirfd = -1;
}
