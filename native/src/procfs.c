/* The container's /proc, opened so that nothing on the way can redirect a
 * write: procfs only, no symlink, no mount point (CVE-2025-52881). Runs in
 * the child after pivot_root. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "procfs.h"
#include "rootfs.h"

/* "self/x" or "thread-self/x" -> "<pid>/x" or "<pid>/task/<tid>/x", read
 * from the verified procfs itself: the lookup below refuses every symlink,
 * and these two are procfs's own magic links. */
static int proc_self_path(int proc, const char *relpath, char *out, size_t cap) {
  const char *links[2] = {"thread-self", "self"};
  for (int i = 0; i < 2; i++) {
    size_t n = c_strlen(links[i]);
    if (c_strncmp(relpath, links[i], n) != 0 || relpath[n] != '/') continue;
    char target[64];
    ssize_t len = readlinkat(proc, links[i], target, sizeof target - 1);
    if (len <= 0) return -1;
    target[len] = 0;
    struct sbuf b;
    sb_init(&b, out, cap);
    sb_add(&b, target);
    sb_add(&b, relpath + n);
    return b.len + 1 < cap ? 0 : (errno = ENAMETOOLONG, -1);
  }
  struct sbuf b;
  sb_init(&b, out, cap);
  sb_add(&b, relpath);
  return 0;
}

/* Open a file under the container's /proc, refusing anything but procfs and
 * any symlink or mount point on the way (CVE-2025-52881: redirected procfs
 * writes). relpath may start with "self/" or "thread-self/". */
int open_proc_file(struct child_ctx *c, const char *relpath, int flags) {
  int proc = open_in_root("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW);
  if (proc < 0) {
    /* a symlink or a file at /proc: not the container's procfs */
    if (errno == ENOTDIR || errno == ELOOP) errno = EXDEV;
    return -1;
  }
  struct statfs sf;
  if (fstatfs(proc, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) {
    close(proc);
    errno = EXDEV;
    return -1;
  }
  char path[512];
  if (proc_self_path(proc, relpath, path, sizeof path) < 0) {
    int e = errno;
    close(proc);
    errno = e;
    return -1;
  }
  int fd = tsrun_openat2(proc, path, flags | O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
  int e = errno;
  close(proc);
  (void)c;
  errno = e;
  return fd;
}

__attribute__((noreturn)) void fail_proc_file(struct child_ctx *c, int err, const char *verb, const char *relpath) {
  char what[600];
  struct sbuf b;
  sb_init(&b, what, sizeof what);
  if (err == EXDEV || err == ELOOP) sb_add(&b, "refusing to ");
  sb_add(&b, verb);
  sb_add(&b, " /proc/");
  sb_add(&b, relpath);
  if (err == EXDEV) sb_add(&b, ": not the container's procfs (/proc is another filesystem, or a mount is on the way)");
  else if (err == ELOOP) sb_add(&b, ": a symbolic link is on the way");
  child_fail(c, err, what, NULL);
}
