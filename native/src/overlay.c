/* overlayfs rootfs. The new mount API (fsopen + fsconfig "lowerdir+", Linux
 * 6.8) takes one lower dir per call, so hundreds of layers fit; older kernels
 * get the classic mount(2) with one data string, which must fit in a page:
 * the init chdirs to the common parent of the layers so each lower dir is a
 * short relative name, as containerd and containers/storage do. index=off:
 * the layers are shared by many containers, and an index would tie each
 * lower dir to the first upper dir that used it. */
#include "overlay.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include "plan.h"

/* EINVAL from "lowerdir+" means a kernel before 6.8; ENOSYS no new mount API at all */
static bool new_api_missing(int err) { return err == ENOSYS || err == EINVAL || err == EOPNOTSUPP; }

static int mount_new_api(struct tsrun_plan *p, const char **call) {
  int fs = fsopen("overlay", FSOPEN_CLOEXEC);
  if (fs < 0) {
    *call = "fsopen overlay";
    return -errno;
  }
  int err = 0;
  for (int i = 0; i < p->n_overlay_lower && !err; i++)
    if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", p->overlay_lower[i], 0) < 0) {
      err = -errno;
      *call = "fsconfig lowerdir+";
    }
  if (!err && (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", p->overlay_upper, 0) < 0 ||
               fsconfig(fs, FSCONFIG_SET_STRING, "workdir", p->overlay_work, 0) < 0 ||
               fsconfig(fs, FSCONFIG_SET_STRING, "index", "off", 0) < 0)) {
    err = -errno;
    *call = "fsconfig upperdir/workdir/index";
  }
  if (!err && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
    err = -errno;
    *call = "fsconfig create overlay";
  }
  int mnt = -1;
  if (!err && (mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0)) < 0) {
    err = -errno;
    *call = "fsmount overlay";
  }
  close(fs);
  if (!err && move_mount(mnt, "", AT_FDCWD, p->rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    err = -errno;
    *call = "move_mount overlay";
  }
  if (mnt >= 0) close(mnt);
  return err;
}

static int mount_classic(struct child_ctx *c, const char **call) {
  struct tsrun_plan *p = c->plan;
  char *data = c->buf;
  size_t cap = c->buf_len, n = 0;
  /* the kernel copies at most one page of mount data */
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  int w = snprintf(data, cap, "index=off,upperdir=%s,workdir=%s,lowerdir=", p->overlay_upper, p->overlay_work);
  if (w < 0 || (size_t)w >= cap) goto too_long;
  n = (size_t)w;
  for (int i = 0; i < p->n_overlay_lower; i++) {
    w = snprintf(data + n, cap - n, "%s%s", i ? ":" : "", p->overlay_lower[i]);
    if (w < 0 || (size_t)w >= cap - n) goto too_long;
    n += (size_t)w;
  }
  if (n >= page) goto too_long;
  if (mount("overlay", p->rootfs, "overlay", 0, data) < 0) {
    *call = "mount overlay";
    return -errno;
  }
  return 0;
too_long:
  *call = "mount overlay (the lower dirs do not fit in one page on this kernel, which has no fsconfig lowerdir+)";
  return -E2BIG;
}

void overlay_mount_rootfs(struct child_ctx *c) {
  struct tsrun_plan *p = c->plan;
  int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cwd < 0) child_fail(c, errno, "open cwd", NULL);
  if (chdir(p->overlay_base) < 0) child_fail(c, errno, "chdir to the layers", p->overlay_base);
  const char *call = NULL;
  int err = p->overlay_force_classic ? -ENOSYS : mount_new_api(p, &call);
  if (err && new_api_missing(-err)) err = mount_classic(c, &call);
  if (fchdir(cwd) < 0) child_fail(c, errno, "chdir back", NULL);
  close(cwd);
  if (err) child_fail(c, -err, call, p->rootfs);
}
