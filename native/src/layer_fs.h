/* Filesystem operations for unpacking one image layer into its own directory.
 *
 * Every call takes the layer root as an fd and a path relative to it, already
 * normalised by the caller ("a/b/c": no leading or trailing slash, no empty,
 * "." or ".." component). The parent directory is resolved with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_XDEV), and the final name is then handled with *at() calls that
 * never follow a symlink, so no entry can reach outside the layer: not with
 * "..", an absolute name, a symlink (anywhere in the path) or a hard link.
 * Missing parent directories are created one component at a time (0755,
 * owned by the caller), again without following anything. Nothing resolved is
 * cached between calls: each resolves anew from the root fd.
 *
 * These run in the parent (node) only. Each returns >= 0 on success or
 * -errno, and sets *call to the name of the system call that failed. */
#ifndef TSRUN_LAYER_FS_H
#define TSRUN_LAYER_FS_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* What a layer entry carries besides its kind and content. */
struct layer_meta {
  uid_t uid;
  gid_t gid;
  /* permission bits, setuid/setgid/sticky included */
  mode_t mode;
  /* [0] atime, [1] mtime; tv_nsec == UTIME_OMIT leaves a time alone */
  struct timespec times[2];
  size_t nxattrs;
  const char *const *xattr_names;
  const void *const *xattr_values;
  const size_t *xattr_sizes;
};

/* open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC): the layer root */
int tsrun_layer_open_root(const char *path, const char **call);

/* A new regular file, opened O_WRONLY | O_CLOEXEC, created with the
 * permission bits of mode (less the umask; tsrun_layer_finish_file sets the
 * rest). Whatever had that name in the layer before (a file, a symlink, a
 * whole directory tree) is removed first, as tar does. */
int tsrun_layer_create_file(int root, const char *path, mode_t mode, const char **call);

/* write(2) all of buf to fd (retries short writes and EINTR). */
int tsrun_layer_write(int fd, const void *buf, size_t len, const char **call);

/* Ownership, xattrs, mode (after chown, which clears setuid), then times of a
 * file made by tsrun_layer_create_file; closes fd in every case. */
int tsrun_layer_finish_file(int fd, const struct layer_meta *m, const char **call);

/* A whole regular file at once: tsrun_layer_create_file, tsrun_layer_write
 * of data, tsrun_layer_finish_file (one call for the many small files). */
int tsrun_layer_write_file(int root, const char *path, const struct layer_meta *m, const void *data, size_t len,
                           const char **call);

/* A directory (an existing directory is kept, with its contents), with
 * ownership, xattrs and mode. Its times are set by tsrun_layer_set_times once
 * its entries are in (creating them changes its mtime). */
int tsrun_layer_mkdir(int root, const char *path, const struct layer_meta *m, const char **call);

/* A symlink to target (kept as it is: it is never followed here). */
int tsrun_layer_symlink(int root, const char *path, const char *target, const struct layer_meta *m, const char **call);

/* A hard link to target, an earlier non-directory entry of this layer. */
int tsrun_layer_hardlink(int root, const char *path, const char *target, const char **call);

/* A character or block device or a FIFO (type: S_IFCHR, S_IFBLK, S_IFIFO). */
int tsrun_layer_mknod(int root, const char *path, mode_t type, unsigned major, unsigned minor,
                      const struct layer_meta *m, const char **call);

/* An overlayfs whiteout (character device 0/0) named path, unless this layer
 * already has an entry of that name (a whiteout only hides lower layers, and
 * the layer's own entry already does). Returns 1 when skipped. */
int tsrun_layer_whiteout(int root, const char *path, const struct layer_meta *m, const char **call);

/* trusted.overlay.opaque=y on directory dir ("" is the layer root); the
 * directory is created (0755) when this layer has not made it yet. */
int tsrun_layer_opaque(int root, const char *dir, const char **call);

/* utimensat(AT_SYMLINK_NOFOLLOW) of path ("" is the layer root). */
int tsrun_layer_set_times(int root, const char *path, const struct timespec times[2], const char **call);

#endif
