/* rootfs.c: the container's filesystem, built in the child (mounts, /dev,
 * pivot_root, masked and read-only paths), and path resolution inside it. */
#ifndef TSRUN_ROOTFS_H
#define TSRUN_ROOTFS_H
#include <stdbool.h>
#include <stdint.h>
#include "child.h"

/* before the createContainer hooks: propagation, mounts, devices, symlinks */
void rootfs_prepare(struct child_ctx *c);
/* after them: pivot_root, and the cwd made when it is missing */
void rootfs_enter(struct child_ctx *c);
/* read-only tmpfs mounts and root.readonly (after the console) */
void rootfs_seal(struct child_ctx *c);
/* then sysctls, read-only paths, masked paths (runc's order) */
void rootfs_finish(struct child_ctx *c);
/* exec: resolve inside the container's root, which is already our "/" */
void rootfs_use_current_root(void);

/* openat2(2) with O_CLOEXEC added, retried on EAGAIN */
int tsrun_openat2(int dirfd, const char *path, int flags, uint64_t resolve);
/* open `path` inside the root (RESOLVE_IN_ROOT, no magic links) */
int open_in_root(const char *path, int flags);
/* create the parents of `path` and `path` as an empty file inside the root;
 * returns an O_PATH fd of it */
int mkdir_in_root_for_file(const char *path);

#endif
