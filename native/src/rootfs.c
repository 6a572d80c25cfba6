/* The container's filesystem, built in the child: mounts, /dev, pivot_root,
 * masked and read-only paths. Every destination is resolved inside the rootfs
 * with openat2(RESOLVE_IN_ROOT), so a symlink in the image can never lead a
 * mount outside it; mounts are attached to the resolved fd, not to a path. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "overlay.h"
#include "rootfs.h"
#include "sysctl.h"

static int root_fd = -1; /* the rootfs (after pivot: "/") */

int tsrun_openat2(int dirfd, const char *path, int flags, uint64_t resolve) {
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .mode = 0, .resolve = resolve};
  int fd;
  do fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  while (fd < 0 && errno == EAGAIN);
  return fd;
}

static int setattr(int dfd, const char *path, unsigned flags, struct mount_attr *attr) {
  return mount_setattr(dfd, path, flags, attr, sizeof *attr);
}

/* Skip leading slashes: RESOLVE_IN_ROOT treats the path as relative to root. */
static const char *rel(const char *path) {
  while (*path == '/') path++;
  return *path ? path : ".";
}

int open_in_root(const char *path, int flags) {
  if (root_fd < 0) root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  return tsrun_openat2(root_fd, rel(path), flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

#define MKDIR_REWRITTEN (-2)

/* One pass of mkdir_all_in_root. When a component is a symlink whose target
 * does not exist yet, writes the path with that link replaced by its target
 * to `next` and returns MKDIR_REWRITTEN: the caller starts over with it, so
 * the directories are made where the link points inside the root (as runc's
 * MkdirAllInRoot does), never outside it. */
static int mkdir_walk(const char *path, bool last_is_file, char *next, size_t next_cap) {
  int fd = open_in_root(path, O_PATH);
  if (fd >= 0 || errno != ENOENT) return fd;
  char prefix[4096];
  const char *p = rel(path);
  size_t n = c_strlen(p);
  if (n >= sizeof prefix) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int parent = root_fd;
  bool parent_owned = false;
  size_t start = 0;
  while (start < n) {
    size_t end = start;
    while (end < n && p[end] != '/') end++;
    c_memcpy(prefix, p, end);
    prefix[end] = 0;
    bool last = end >= n;
    int cur = open_in_root(prefix, O_PATH);
    if (cur < 0 && errno == ENOENT) {
      char name[256];
      size_t nl = end - start;
      if (nl >= sizeof name) {
        errno = ENAMETOOLONG;
        goto fail;
      }
      c_memcpy(name, p + start, nl);
      name[nl] = 0;
      char target[4096];
      ssize_t tl = readlinkat(parent, name, target, sizeof target - 1);
      if (tl > 0) {
        /* a dangling symlink: continue from its target, inside the root */
        target[tl] = 0;
        struct sbuf b;
        sb_init(&b, next, next_cap);
        if (target[0] != '/') {
          sb_add(&b, "/");
          sb_add_n(&b, p, start);
        }
        sb_add(&b, target);
        if (!last) {
          sb_add(&b, "/");
          sb_add(&b, p + end + 1);
        }
        if (b.len + 1 >= next_cap) {
          errno = ENAMETOOLONG;
          goto fail;
        }
        if (parent_owned) close(parent);
        return MKDIR_REWRITTEN;
      }
      if (last && last_is_file) {
        int f = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST) goto fail;
        if (f >= 0) close(f);
      } else if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST) {
        goto fail;
      }
      cur = open_in_root(prefix, O_PATH);
    }
    if (cur < 0) goto fail;
    if (parent_owned) close(parent);
    parent = cur;
    parent_owned = true;
    start = end + 1;
  }
  return parent;
fail:;
  int e = errno;
  if (parent_owned) close(parent);
  errno = e;
  return -1;
}

/* Open `path` inside the root, creating missing directories (and the last
 * component as an empty file when `last_is_file`). Symlinks on the way are
 * followed inside the root, dangling ones included. Returns an O_PATH fd. */
static int mkdir_all_in_root(struct child_ctx *c, const char *path, bool last_is_file) {
  static char bufs[2][4096];
  const char *cur = path;
  (void)c;
  for (int hops = 0; hops < 40; hops++) {
    char *next = bufs[hops & 1];
    int fd = mkdir_walk(cur, last_is_file, next, sizeof bufs[0]);
    if (fd != MKDIR_REWRITTEN) return fd;
    cur = next;
  }
  errno = ELOOP;
  return -1;
}

static void fd_path(char *out, size_t cap, int fd) {
  struct sbuf b;
  sb_init(&b, out, cap);
  sb_add(&b, "/proc/self/fd/");
  sb_add_int(&b, fd);
}

static uint64_t ms_to_attr(unsigned long ms) {
  uint64_t a = 0;
  if (ms & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
  if (ms & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
  if (ms & MS_NODEV) a |= MOUNT_ATTR_NODEV;
  if (ms & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
  if (ms & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
  if (ms & MS_NOATIME) a |= MOUNT_ATTR_NOATIME;
  else if (ms & MS_STRICTATIME) a |= MOUNT_ATTR_STRICTATIME;
  else if (ms & MS_RELATIME) a |= MOUNT_ATTR_RELATIME;
  return a;
}

static void fail_mount(struct child_ctx *c, int err, const char *step, const struct tsrun_mount *m) {
  struct sbuf b;
  char what[8192];
  sb_init(&b, what, sizeof what);
  sb_add(&b, step);
  sb_add(&b, " ");
  sb_add(&b, m->source);
  sb_add(&b, " to ");
  sb_add(&b, m->destination);
  if (*m->fstype) {
    sb_add(&b, " (type ");
    sb_add(&b, m->fstype);
    sb_add(&b, ")");
  }
  child_fail(c, err, what, NULL);
}

/* Attributes and propagation on an attached mount (fd of its root). */
static void finish_mount(struct child_ctx *c, const struct tsrun_mount *m, int mfd, uint64_t set, uint64_t clr,
                         bool recursive) {
  if (set || clr) {
    struct mount_attr a = {.attr_set = set, .attr_clr = clr};
    /* the atime mode is one field: clearing it is required to set another */
    if (set & MOUNT_ATTR__ATIME) a.attr_clr |= MOUNT_ATTR__ATIME;
    if (setattr(mfd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a) < 0)
      fail_mount(c, errno, "set mount attributes of", m);
  }
  for (int i = 0; i < m->n_propagation; i++) {
    struct mount_attr a = {.propagation = m->propagation[i] & (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)};
    bool rec = (m->propagation[i] & MS_REC) != 0;
    if (setattr(mfd, "", AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0), &a) < 0)
      fail_mount(c, errno, "set propagation of", m);
  }
}

static void do_bind(struct child_ctx *c, const struct tsrun_mount *m) {
  struct stat st;
  if (stat(m->source, &st) < 0) fail_mount(c, errno, "bind mount", m);
  bool recursive = (m->flags & MS_REC) != 0;
  int tree = open_tree(AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (tree < 0) fail_mount(c, errno, "bind mount (open_tree)", m);
  /* set the attributes on the detached copy: it is never visible writable.
     Plain flags (ro, nosuid, ...) apply to the top mount as with a remount;
     the r* options (rro, ...) to the whole tree. */
  uint64_t top = ms_to_attr(m->remount_flags);
  if (top) {
    struct mount_attr a = {.attr_set = top};
    if (top & MOUNT_ATTR__ATIME) a.attr_clr = MOUNT_ATTR__ATIME;
    if (setattr(tree, "", AT_EMPTY_PATH, &a) < 0) fail_mount(c, errno, "set mount attributes of", m);
  }
  if (m->attr_set || m->attr_clr) {
    struct mount_attr a = {.attr_set = m->attr_set, .attr_clr = m->attr_clr};
    if (m->attr_set & MOUNT_ATTR__ATIME) a.attr_clr |= MOUNT_ATTR__ATIME;
    if (setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0)
      fail_mount(c, errno, "set recursive mount attributes of", m);
  }
  int target = mkdir_all_in_root(c, m->destination, !S_ISDIR(st.st_mode));
  if (target < 0) fail_mount(c, errno, "create mount point for", m);
  if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    fail_mount(c, errno, "bind mount", m);
  close(target);
  finish_mount(c, m, tree, 0, 0, false);
  close(tree);
}

/* A read-only tmpfs (and /dev) is mounted writable and made read-only by
 * rootfs_seal, after pivot_root, as runc does: devices, links and mount
 * points may still be made in it, and its superblock stays writable. */
static bool ro_later(const struct tsrun_mount *m) {
  return (m->flags & MS_RDONLY) && !(m->flags & MS_BIND) &&
         (c_strcmp(m->fstype, "tmpfs") == 0 || c_strcmp(m->destination, "/dev") == 0);
}

/* O_PATH fds of those mounts' roots, taken right after mounting: a mount
 * stacked on the same destination later does not get the read-only flag
 * meant for the one below it */
static int ro_later_fds[64];
static int n_ro_later;

/* proc and sysfs go on a real directory only, never through a symlink in the
 * image (CVE-2019-16884): create checked the rootfs before, but it may have
 * changed since. runc's words. */
static void refuse_special_on_non_dir(struct child_ctx *c, const struct tsrun_mount *m) {
  if (c_strcmp(m->fstype, "proc") != 0 && c_strcmp(m->fstype, "sysfs") != 0) return;
  int fd = open_in_root(m->destination, O_PATH | O_NOFOLLOW);
  if (fd < 0) return; /* missing: made below; other errors surface there */
  struct stat st;
  int r = fstat(fd, &st);
  close(fd);
  if (r == 0 && !S_ISDIR(st.st_mode)) {
    struct sbuf b;
    char what[4200];
    sb_init(&b, what, sizeof what);
    sb_add(&b, "filesystem \"");
    sb_add(&b, m->fstype);
    sb_add(&b, "\" must be mounted on ordinary directory: ");
    sb_add(&b, m->destination);
    sb_add(&b, S_ISLNK(st.st_mode) ? " is a symlink in the rootfs" : " is not a directory in the rootfs");
    child_fail(c, 0, what, NULL);
  }
}

static void do_fs_mount(struct child_ctx *c, const struct tsrun_mount *m) {
  refuse_special_on_non_dir(c, m);
  int target = mkdir_all_in_root(c, m->destination, m->dest_is_file);
  if (target < 0) fail_mount(c, errno, "create mount point for", m);
  char tpath[64];
  fd_path(tpath, sizeof tpath, target);
  unsigned long flags = ro_later(m) ? m->flags & ~MS_RDONLY : m->flags;
  if (mount(m->source, tpath, m->fstype, flags, *m->data ? m->data : NULL) < 0) {
    int e = errno;
    /* sysfs needs a network namespace owned by our user namespace; fall back
       to a recursive bind of the host's /sys with the mount's flags, as
       crun does (runc fails; its rootless spec asks for that bind itself) */
    if (e == EPERM && c_strcmp(m->fstype, "sysfs") == 0) {
      struct tsrun_mount b = *m;
      b.source = "/sys";
      b.fstype = "";
      b.flags = MS_BIND | MS_REC;
      b.remount_flags = (m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
      close(target);
      do_bind(c, &b);
      return;
    }
    if ((e == EPERM || e == EBUSY) && m->fallback_source) {
      struct tsrun_mount b = *m;
      b.source = m->fallback_source;
      b.fstype = "";
      b.flags = MS_BIND;
      b.remount_flags = m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
      b.fallback_source = NULL;
      close(target);
      do_bind(c, &b);
      return;
    }
    fail_mount(c, e, "mount", m);
  }
  close(target);
  if (flags != m->flags) {
    if (n_ro_later >= (int)(sizeof ro_later_fds / sizeof ro_later_fds[0]))
      fail_mount(c, EMFILE, "too many read-only tmpfs mounts:", m);
    int fd = open_in_root(m->destination, O_PATH | O_DIRECTORY);
    if (fd < 0) fail_mount(c, errno, "reopen", m);
    ro_later_fds[n_ro_later++] = fd;
  }
  if (m->attr_set || m->attr_clr || m->n_propagation) {
    int mfd = open_in_root(m->destination, O_PATH);
    if (mfd < 0) fail_mount(c, errno, "reopen", m);
    finish_mount(c, m, mfd, m->attr_set, m->attr_clr, true);
    close(mfd);
  }
}

static int split_parent(struct child_ctx *c, const char *path, const char **name) {
  const char *slash = c_strrchr(path, '/');
  char dir[4096];
  size_t n = slash ? (size_t)(slash - path) : 0;
  if (n >= sizeof dir) child_fail(c, ENAMETOOLONG, "path", path);
  c_memcpy(dir, path, n);
  dir[n] = 0;
  *name = slash ? slash + 1 : path;
  int fd = mkdir_all_in_root(c, n ? dir : "/", false);
  if (fd < 0) child_fail(c, errno, "create directory for", path);
  return fd;
}

static void make_device(struct child_ctx *c, const struct tsrun_device *d, bool bind) {
  const char *name;
  int dir = split_parent(c, d->path, &name);
  if (bind) {
    /* bind onto the node's own path: a symlink the image put there would
       send the host's device to wherever it points */
    struct stat st;
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) && unlinkat(dir, name, 0) < 0)
      child_fail(c, errno, "remove symlink at", d->path);
    struct tsrun_mount m = {.source = d->path, .destination = d->path, .fstype = "", .data = "", .flags = MS_BIND};
    close(dir);
    do_bind(c, &m);
    return;
  }
  unlinkat(dir, name, 0);
  if (mknodat(dir, name, d->file_type | (d->mode & 07777), makedev(d->major, d->minor)) < 0)
    child_fail(c, errno, "mknod", d->path);
  if (fchownat(dir, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0) child_fail(c, errno, "chown", d->path);
  close(dir);
}

static void make_symlink(struct child_ctx *c, const struct tsrun_symlink *s) {
  const char *name;
  int dir = split_parent(c, s->link_path, &name);
  if (symlinkat(s->target, dir, name) < 0 && errno != EEXIST) child_fail(c, errno, "symlink", s->link_path);
  close(dir);
}

static void do_mounts(struct child_ctx *c, const struct tsrun_mount *mounts, int n) {
  for (int i = 0; i < n; i++) {
    if (mounts[i].flags & MS_BIND) do_bind(c, &mounts[i]);
    else do_fs_mount(c, &mounts[i]);
  }
}

/* The mount id (statx STATX_MNT_ID) and inode of an fd; false on error. */
static bool mount_id_of(int fd, uint64_t *id, uint64_t *ino) {
  struct statx sx;
  if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID)) return false;
  *id = sx.stx_mnt_id;
  *ino = sx.stx_ino ^ ((uint64_t)sx.stx_dev_major << 32) ^ sx.stx_dev_minor;
  return true;
}

/* Is mount `id` shared? Reads /proc/self/mountinfo line by line (only the
 * start of each line is kept: the id and the optional fields come first). */
static bool mount_is_shared(uint64_t id) {
  int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char chunk[4096], line[1024];
  size_t len = 0;
  bool shared = false, found = false;
  ssize_t n;
  while (!found && (n = read(fd, chunk, sizeof chunk)) > 0) {
    for (ssize_t i = 0; i < n && !found; i++) {
      if (chunk[i] != '\n') {
        if (len + 1 < sizeof line) line[len++] = chunk[i];
        continue;
      }
      line[len] = 0;
      uint64_t v = 0;
      size_t k = 0;
      while (line[k] >= '0' && line[k] <= '9') v = v * 10 + (uint64_t)(line[k++] - '0');
      if (k > 0 && v == id) {
        found = true;
        for (size_t j = k; line[j] && !(line[j] == ' ' && line[j + 1] == '-' && line[j + 2] == ' '); j++)
          if (c_strncmp(line + j, " shared:", 8) == 0) shared = true;
      }
      len = 0;
    }
  }
  close(fd);
  return shared;
}

/* runc's rootfsParentMountPrivate: pivot_root refuses a new root whose parent
 * mount is shared, and a rootfs bound from a shared mount would propagate the
 * container's mounts back to the host. After a recursive "/" propagation
 * change nothing can be shared; after a non-recursive one, find the mount
 * holding the rootfs (walk ".." until the mount id changes) and make it private
 * in our namespace if it is shared. */
static void make_rootfs_parent_private(struct child_ctx *c) {
  struct tsrun_plan *p = c->plan;
  int fd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) child_fail(c, errno, "open rootfs", p->rootfs);
  uint64_t id, ino;
  if (!mount_id_of(fd, &id, &ino)) child_fail(c, errno, "statx rootfs", p->rootfs);
  for (;;) {
    int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    uint64_t up_id, up_ino;
    if (up < 0) child_fail(c, errno, "open parent of", p->rootfs);
    if (!mount_id_of(up, &up_id, &up_ino)) child_fail(c, errno, "statx parent of", p->rootfs);
    if (up_id != id || up_ino == ino) {
      close(up);
      break; /* fd is the root of the mount holding the rootfs */
    }
    close(fd);
    fd = up;
    ino = up_ino;
  }
  if (mount_is_shared(id)) {
    char path[64];
    fd_path(path, sizeof path, fd);
    if (mount(NULL, path, NULL, MS_PRIVATE, NULL) < 0)
      child_fail(c, errno, "make the mount holding the rootfs private:", p->rootfs);
  }
  close(fd);
}

void rootfs_prepare(struct child_ctx *c) {
  struct tsrun_plan *p = c->plan;
  umask(0);
  /* keep the container's mounts from propagating to the host (default rslave);
     a shared root is applied after pivot_root, which refuses shared parents */
  unsigned long prop = p->rootfs_propagation ? p->rootfs_propagation : (MS_SLAVE | MS_REC);
  if (prop & MS_SHARED) prop = MS_SLAVE | MS_REC;
  if (mount(NULL, "/", NULL, prop, NULL) < 0) child_fail(c, errno, "set propagation of", "/");
  if (!(prop & MS_REC)) make_rootfs_parent_private(c);
  /* the rootfs must be a mount point for pivot_root: the overlay is one */
  if (p->overlay_upper) overlay_mount_rootfs(c);
  else if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    child_fail(c, errno, "bind mount rootfs", p->rootfs);
  root_fd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) child_fail(c, errno, "open rootfs", p->rootfs);
  do_mounts(c, p->mounts, p->n_mounts);
  for (int i = 0; i < p->n_devices; i++) make_device(c, &p->devices[i], p->bind_devices);
  for (int i = 0; i < p->n_symlinks; i++) make_symlink(c, &p->symlinks[i]);
}

static void pivot(struct child_ctx *c) {
  struct tsrun_plan *p = c->plan;
  if (fchdir(root_fd) < 0) child_fail(c, errno, "chdir to rootfs", p->rootfs);
  if (p->no_pivot) {
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) child_fail(c, errno, "move rootfs to /", p->rootfs);
    if (chroot(".") < 0) child_fail(c, errno, "chroot", p->rootfs);
  } else {
    /* pivot_root(".", ".") stacks the old root on the new one; detach it.
       "." must name the old root, not the new one under it (a mount(2) on
       the cwd does not cross the stacked mount): make it our cwd by fd. The
       old root goes rslave first, so the detach cannot propagate to the host,
       and the container's own mounts keep the propagation they were given. */
    int old_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (old_root < 0) child_fail(c, errno, "open old root", "/");
    if (syscall(SYS_pivot_root, ".", ".") < 0) child_fail(c, errno, "pivot_root", p->rootfs);
    if (fchdir(old_root) < 0) child_fail(c, errno, "chdir to old root", NULL);
    close(old_root);
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) child_fail(c, errno, "make old root rslave", NULL);
    if (umount2(".", MNT_DETACH) < 0) child_fail(c, errno, "unmount old root", NULL);
  }
  if (chdir("/") < 0) child_fail(c, errno, "chdir", "/");
  if (p->rootfs_propagation & MS_SHARED) {
    if (mount(NULL, "/", NULL, p->rootfs_propagation, NULL) < 0) child_fail(c, errno, "set rootfs propagation of", "/");
  }
  close(root_fd);
  root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) child_fail(c, errno, "open", "/");
}

/* /dev/null of the container, verified: a masked path must never be bound
   to something an attacker swapped in (CVE-2025-31133) */
static int open_dev_null(struct child_ctx *c) {
  int fd = open_in_root("/dev/null", O_PATH);
  struct stat st;
  if (fd < 0) child_fail(c, errno, "open", "/dev/null");
  if (fstat(fd, &st) < 0) child_fail(c, errno, "stat", "/dev/null");
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
    child_fail(c, EPERM, "refusing to mask paths: /dev/null is not the null device", NULL);
  return fd;
}

static void mask_paths(struct child_ctx *c) {
  struct tsrun_plan *p = c->plan;
  if (p->n_masked == 0) return;
  int null_fd = -1;
  for (int i = 0; i < p->n_masked; i++) {
    const char *path = p->masked_paths[i];
    /* a symlink is followed, inside the root, as runc follows it */
    int fd = open_in_root(path, O_PATH);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      child_fail(c, errno, "open masked path", path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) child_fail(c, errno, "stat masked path", path);
    int tree;
    if (S_ISDIR(st.st_mode)) {
      /* an empty read-only tmpfs, as runc mounts it ("tmpfs", MS_RDONLY):
         nothing can be created in it, so no further flags are needed */
      int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
      if (fs < 0) child_fail(c, errno, "fsopen tmpfs for masked path", path);
      if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0 ||
          fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        child_fail(c, errno, "create tmpfs for masked path", path);
      tree = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
      close(fs);
    } else {
      if (null_fd < 0) null_fd = open_dev_null(c);
      tree = open_tree(null_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    }
    if (tree < 0) child_fail(c, errno, "prepare mask for", path);
    if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      child_fail(c, errno, "mask path", path);
    close(tree);
    close(fd);
  }
  if (null_fd >= 0) close(null_fd);
}

static void readonly_paths(struct child_ctx *c) {
  struct tsrun_plan *p = c->plan;
  for (int i = 0; i < p->n_readonly; i++) {
    const char *path = p->readonly_paths[i];
    int fd = open_in_root(path, O_PATH);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      child_fail(c, errno, "open read-only path", path);
    }
    int tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree < 0) child_fail(c, errno, "bind read-only path", path);
    struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
    if (setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0) child_fail(c, errno, "make read-only", path);
    if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      child_fail(c, errno, "bind read-only path", path);
    close(tree);
    close(fd);
  }
}

/* After the create hooks: pivot_root into the rootfs, and make the cwd when
 * it is missing (runc does, after pivot_root), every directory inside the
 * root. Whatever exists is left to the chdir and its checks (process.c). */
void rootfs_enter(struct child_ctx *c) {
  pivot(c);
  const char *cwd = c->process->cwd;
  struct stat st;
  if (stat(cwd, &st) == 0 || errno != ENOENT) return;
  int fd = mkdir_all_in_root(c, cwd, false);
  if (fd < 0) child_fail(c, errno, "create cwd", cwd);
  close(fd);
}

/* runc's finalizeRootfs: read-only tmpfs mounts and /dev become read-only
 * now, then root.readonly (after the console, which may create /dev/console) */
void rootfs_seal(struct child_ctx *c) {
  struct tsrun_plan *p = c->plan;
  struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
  for (int i = 0; i < n_ro_later; i++) {
    if (setattr(ro_later_fds[i], "", AT_EMPTY_PATH, &a) < 0)
      child_fail(c, errno, "make a read-only tmpfs read-only", NULL);
    close(ro_later_fds[i]);
  }
  n_ro_later = 0;
  if (p->readonly_rootfs && setattr(root_fd, "", AT_EMPTY_PATH, &a) < 0)
    child_fail(c, errno, "make rootfs read-only", NULL);
}

/* runc's order: linux.sysctl, read-only paths, then masked paths (a path
 * both masked and read-only ends up masked) */
void rootfs_finish(struct child_ctx *c) {
  sysctl_write_all(c);
  readonly_paths(c);
  mask_paths(c);
  close(root_fd);
  root_fd = -1;
}

int mkdir_in_root_for_file(const char *path) { return mkdir_all_in_root(NULL, path, true); }

/* for exec: resolve inside the container's root, which is our "/" */
void rootfs_use_current_root(void) { root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC); }
