/* Unpacking one image layer into its own directory: every operation resolves
 * its path from the layer root fd, refusing symlinks and "..", and acts on the
 * final name with *at() calls that never follow it (see layer_fs.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer_fs.h"

#define FAIL(name)  \
  do {              \
    *call = (name); \
    return -errno;  \
  } while (0)

static const uint64_t RESOLVE_FLAGS = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
static const char OPAQUE_XATTR[] = "trusted.overlay.opaque";

static int sys_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve) {
  struct open_how how = {.flags = (uint64_t)flags, .mode = (uint64_t)mode, .resolve = resolve};
  int fd;
  do fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  return fd;
}

static void close_keep_errno(int fd) {
  int e = errno;
  close(fd);
  errno = e;
}

static bool bad_component(const char *s, size_t n) {
  return n == 0 || n > NAME_MAX || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

/* "a/b/c": relative, no empty, "." or ".." component; "" is the root itself. */
static bool valid_path(const char *path, bool allow_root) {
  if (path[0] == '\0') return allow_root;
  if (strlen(path) >= PATH_MAX) return false;
  for (const char *p = path;;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (bad_component(p, n)) return false;
    if (!slash) return true;
    p = slash + 1;
  }
}

/* The overlay metadata a layer must never bring along (overlayfs reads it to
 * redirect, merge or hide lower layers). */
static bool overlay_private_xattr(const char *name) {
  return strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0;
}

/* A directory of the layer as an O_PATH fd, creating missing components (0755)
 * when create is set. A symlink anywhere on the way gives ELOOP. */
static int open_dir(int root, const char *dir, bool create, const char **call) {
  if (dir[0] == '\0') {
    int fd = fcntl(root, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) FAIL("fcntl");
    return fd;
  }
  int fd = sys_openat2(root, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_FLAGS);
  if (fd >= 0) return fd;
  if (errno != ENOENT || !create) FAIL("openat2");

  /* one component at a time from the root, each opened without following */
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", dir);
  int cur = fcntl(root, F_DUPFD_CLOEXEC, 0);
  if (cur < 0) FAIL("fcntl");
  for (char *comp = buf, *next; comp; comp = next) {
    next = strchr(comp, '/');
    if (next) *next++ = '\0';
    int fd2 = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd2 < 0 && errno == ENOENT) {
      if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST) {
        close_keep_errno(cur);
        FAIL("mkdirat");
      }
      /* exactly 0755 whatever the umask */
      int d = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (d >= 0) {
        if (fchmod(d, 0755) < 0) {
          close_keep_errno(d);
          close_keep_errno(cur);
          FAIL("fchmod");
        }
        close(d);
      }
      fd2 = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd2 < 0) {
      int e = errno;
      struct stat st;
      /* O_NOFOLLOW | O_DIRECTORY on a symlink says ENOTDIR: report it as the symlink it is */
      if (e == ENOTDIR && fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) e = ELOOP;
      close(cur);
      *call = "openat";
      return -e;
    }
    close(cur);
    cur = fd2;
  }
  return cur;
}

/* The parent directory of path (O_PATH fd) and a pointer to its last name. */
static int open_parent(int root, const char *path, bool create, const char **base, const char **call) {
  if (!valid_path(path, false)) {
    *call = "path";
    return -EINVAL;
  }
  const char *slash = strrchr(path, '/');
  if (!slash) {
    *base = path;
    return open_dir(root, "", false, call);
  }
  char parent[PATH_MAX];
  size_t n = (size_t)(slash - path);
  memcpy(parent, path, n);
  parent[n] = '\0';
  *base = slash + 1;
  return open_dir(root, parent, create, call);
}

static int remove_tree(int dirfd, const char *name, const char **call);

/* Remove whatever dirfd/name is (a directory with all it holds). */
static int remove_at(int dirfd, const char *name, const char **call) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return 0;
    FAIL("fstatat");
  }
  if (S_ISDIR(st.st_mode)) {
    int r = remove_tree(dirfd, name, call);
    if (r < 0) return r;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0) FAIL("unlinkat");
    return 0;
  }
  if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) FAIL("unlinkat");
  return 0;
}

/* Empty the directory dirfd/name (not following symlinks anywhere). */
static int remove_tree(int dirfd, const char *name, const char **call) {
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) FAIL("openat");
  DIR *d = fdopendir(fd);
  if (!d) {
    close_keep_errno(fd);
    FAIL("fdopendir");
  }
  int r = 0;
  for (struct dirent *e; (errno = 0, e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    r = remove_at(fd, e->d_name, call);
    if (r < 0) break;
  }
  if (r == 0 && errno != 0) {
    r = -errno;
    *call = "readdir";
  }
  closedir(d);
  return r;
}

static int set_xattrs_fd(int fd, const struct layer_meta *m, const char **call) {
  for (size_t i = 0; i < m->nxattrs; i++) {
    if (overlay_private_xattr(m->xattr_names[i])) {
      *call = "fsetxattr";
      return -EPERM;
    }
    if (fsetxattr(fd, m->xattr_names[i], m->xattr_values[i], m->xattr_sizes[i], 0) < 0) FAIL("fsetxattr");
  }
  return 0;
}

/* Ownership, xattrs (after chown: it clears security.capability), mode
 * (after chown: it clears setuid/setgid), times; on an fd. */
static int apply_meta_fd(int fd, const struct layer_meta *m, bool times, const char **call) {
  if (fchown(fd, m->uid, m->gid) < 0) FAIL("fchown");
  int r = set_xattrs_fd(fd, m, call);
  if (r < 0) return r;
  if (fchmod(fd, m->mode & 07777) < 0) FAIL("fchmod");
  if (times && futimens(fd, m->times) < 0) FAIL("futimens");
  return 0;
}

/* The same for a name that must not be opened (a symlink, a device, a FIFO). */
static int apply_meta_at(int parent, const char *base, const struct layer_meta *m, bool is_symlink, const char **call) {
  if (fchownat(parent, base, m->uid, m->gid, AT_SYMLINK_NOFOLLOW) < 0) FAIL("fchownat");
  if (m->nxattrs > 0) {
    /* no fd-based setxattr for these: name the parent through its fd, and
     * lsetxattr does not follow the last component */
    char p[64 + NAME_MAX];
    snprintf(p, sizeof p, "/proc/self/fd/%d/%s", parent, base);
    for (size_t i = 0; i < m->nxattrs; i++) {
      if (overlay_private_xattr(m->xattr_names[i])) {
        *call = "lsetxattr";
        return -EPERM;
      }
      if (lsetxattr(p, m->xattr_names[i], m->xattr_values[i], m->xattr_sizes[i], 0) < 0) FAIL("lsetxattr");
    }
  }
  /* a symlink has no mode of its own; the name was just made by us, not a symlink */
  if (!is_symlink && fchmodat(parent, base, m->mode & 07777, 0) < 0) FAIL("fchmodat");
  if (utimensat(parent, base, m->times, AT_SYMLINK_NOFOLLOW) < 0) FAIL("utimensat");
  return 0;
}

int tsrun_layer_open_root(const char *path, const char **call) {
  int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) FAIL("open");
  return fd;
}

/* The process umask, read once from /proc/self/status (umask(2) cannot read
 * it without changing it, racing other threads); 0777 when unknown. */
static mode_t process_umask(void) {
  static mode_t cached = (mode_t)-1;
  if (cached != (mode_t)-1) return cached;
  mode_t mask = 0777;
  FILE *f = fopen("/proc/self/status", "re");
  if (f) {
    char line[256];
    unsigned int m;
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "Umask: %o", &m) == 1) {
        mask = (mode_t)m & 0777;
        break;
      }
    fclose(f);
  }
  cached = mask;
  return mask;
}

int tsrun_layer_create_file(int root, const char *path, mode_t mode, const char **call) {
  /* the common case in one call: the parent exists and the name is free.
   * O_CREAT | O_EXCL never follows the last name, RESOLVE_NO_SYMLINKS no
   * other; anything else (a missing parent, an existing entry, an error to
   * report) takes the path below, which names the cause */
  if (valid_path(path, false)) {
    int fd = sys_openat2(root, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777, RESOLVE_FLAGS);
    if (fd >= 0) return fd;
  }
  const char *base;
  int parent = open_parent(root, path, true, &base, call);
  if (parent < 0) return parent;
  int fd = -1;
  for (int attempt = 0; attempt < 2; attempt++) {
    fd = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
    if (fd >= 0 || errno != EEXIST || attempt == 1) break;
    int r = remove_at(parent, base, call);
    if (r < 0) {
      close(parent);
      return r;
    }
  }
  if (fd < 0) {
    close_keep_errno(parent);
    FAIL("openat");
  }
  close(parent);
  return fd;
}

int tsrun_layer_write(int fd, const void *buf, size_t len, const char **call) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      FAIL("write");
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int tsrun_layer_finish_file(int fd, const struct layer_meta *m, const char **call) {
  /* created with its permission bits already (less the umask): fchmod only
   * for what creating could not give (setuid/setgid/sticky, bits the umask took) */
  int r = 0;
  if ((m->mode & 07000) != 0 || (m->mode & 0777 & process_umask()) != 0) {
    r = apply_meta_fd(fd, m, true, call);
  } else if (fchown(fd, m->uid, m->gid) < 0) {
    *call = "fchown";
    r = -errno;
  } else if ((r = set_xattrs_fd(fd, m, call)) == 0 && futimens(fd, m->times) < 0) {
    *call = "futimens";
    r = -errno;
  }
  if (close(fd) < 0 && r == 0 && errno != EINTR) {
    *call = "close";
    r = -errno;
  }
  return r;
}

int tsrun_layer_write_file(int root, const char *path, const struct layer_meta *m, const void *data, size_t len,
                           const char **call) {
  int fd = tsrun_layer_create_file(root, path, m->mode, call);
  if (fd < 0) return fd;
  int r = tsrun_layer_write(fd, data, len, call);
  if (r < 0) {
    close(fd);
    return r;
  }
  return tsrun_layer_finish_file(fd, m, call);
}

int tsrun_layer_mkdir(int root, const char *path, const struct layer_meta *m, const char **call) {
  int fd;
  if (path[0] == '\0') {
    fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) FAIL("openat");
  } else {
    const char *base;
    int parent = open_parent(root, path, true, &base, call);
    if (parent < 0) return parent;
    if (mkdirat(parent, base, 0700) < 0) {
      struct stat st;
      int r = 0;
      if (errno != EEXIST) {
        close_keep_errno(parent);
        FAIL("mkdirat");
      }
      if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        close_keep_errno(parent);
        FAIL("fstatat");
      }
      if (!S_ISDIR(st.st_mode)) {
        r = remove_at(parent, base, call);
        if (r == 0 && mkdirat(parent, base, 0700) < 0) {
          *call = "mkdirat";
          r = -errno;
        }
      }
      if (r < 0) {
        close(parent);
        return r;
      }
    }
    fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close_keep_errno(parent);
    if (fd < 0) FAIL("openat");
  }
  int r = apply_meta_fd(fd, m, false, call);
  close(fd);
  return r;
}

/* Create base in parent with make(); an existing entry of that name is removed first. */
#define CREATE_REPLACING(expr, name)          \
  do {                                        \
    int made_ = (expr);                       \
    if (made_ < 0 && errno == EEXIST) {       \
      int r_ = remove_at(parent, base, call); \
      if (r_ < 0) {                           \
        close(parent);                        \
        return r_;                            \
      }                                       \
      made_ = (expr);                         \
    }                                         \
    if (made_ < 0) {                          \
      close_keep_errno(parent);               \
      FAIL(name);                             \
    }                                         \
  } while (0)

int tsrun_layer_symlink(int root, const char *path, const char *target, const struct layer_meta *m, const char **call) {
  const char *base;
  int parent = open_parent(root, path, true, &base, call);
  if (parent < 0) return parent;
  CREATE_REPLACING(symlinkat(target, parent, base), "symlinkat");
  int r = apply_meta_at(parent, base, m, true, call);
  close(parent);
  return r;
}

int tsrun_layer_hardlink(int root, const char *path, const char *target, const char **call) {
  const char *tbase;
  int tparent = open_parent(root, target, false, &tbase, call);
  if (tparent < 0) return tparent;
  struct stat st;
  if (fstatat(tparent, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    close_keep_errno(tparent);
    FAIL("fstatat");
  }
  if (S_ISDIR(st.st_mode)) {
    close(tparent);
    *call = "linkat";
    return -EPERM;
  }
  const char *base;
  int parent = open_parent(root, path, true, &base, call);
  if (parent < 0) {
    close(tparent);
    return parent;
  }
  struct stat cur;
  /* a link to itself (or to a name already linked to the same file) is a no-op */
  if (fstatat(parent, base, &cur, AT_SYMLINK_NOFOLLOW) == 0 && cur.st_dev == st.st_dev && cur.st_ino == st.st_ino) {
    close(parent);
    close(tparent);
    return 0;
  }
  int made = linkat(tparent, tbase, parent, base, 0);
  if (made < 0 && errno == EEXIST) {
    int r = remove_at(parent, base, call);
    if (r < 0) {
      close(parent);
      close(tparent);
      return r;
    }
    made = linkat(tparent, tbase, parent, base, 0);
  }
  int e = errno;
  close(parent);
  close(tparent);
  if (made < 0) {
    *call = "linkat";
    return -e;
  }
  return 0;
}

int tsrun_layer_mknod(int root, const char *path, mode_t type, unsigned major, unsigned minor,
                      const struct layer_meta *m, const char **call) {
  if (type != S_IFCHR && type != S_IFBLK && type != S_IFIFO) {
    *call = "mknodat";
    return -EINVAL;
  }
  const char *base;
  int parent = open_parent(root, path, true, &base, call);
  if (parent < 0) return parent;
  CREATE_REPLACING(mknodat(parent, base, type | 0600, makedev(major, minor)), "mknodat");
  int r = apply_meta_at(parent, base, m, false, call);
  close(parent);
  return r;
}

int tsrun_layer_whiteout(int root, const char *path, const struct layer_meta *m, const char **call) {
  const char *base;
  int parent = open_parent(root, path, true, &base, call);
  if (parent < 0) return parent;
  struct stat st;
  if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    close(parent);
    return 1;
  }
  if (errno != ENOENT) {
    close_keep_errno(parent);
    FAIL("fstatat");
  }
  if (mknodat(parent, base, S_IFCHR, makedev(0, 0)) < 0) {
    close_keep_errno(parent);
    FAIL("mknodat");
  }
  struct layer_meta wm = *m;
  wm.mode = 0;
  wm.nxattrs = 0;
  int r = apply_meta_at(parent, base, &wm, false, call);
  close(parent);
  return r;
}

int tsrun_layer_opaque(int root, const char *dir, const char **call) {
  if (!valid_path(dir, true)) {
    *call = "path";
    return -EINVAL;
  }
  int pathfd = open_dir(root, dir, true, call);
  if (pathfd < 0) return pathfd;
  int fd = openat(pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  close_keep_errno(pathfd);
  if (fd < 0) FAIL("openat");
  int r = 0;
  if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0) {
    *call = "fsetxattr";
    r = -errno;
  }
  close(fd);
  return r;
}

int tsrun_layer_set_times(int root, const char *path, const struct timespec times[2], const char **call) {
  if (path[0] == '\0') {
    int fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) FAIL("openat");
    int r = futimens(fd, times) < 0 ? -errno : 0;
    if (r < 0) *call = "futimens";
    close(fd);
    return r;
  }
  const char *base;
  int parent = open_parent(root, path, false, &base, call);
  if (parent < 0) return parent;
  int r = utimensat(parent, base, times, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
  if (r < 0) *call = "utimensat";
  close(parent);
  return r;
}
