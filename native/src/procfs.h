/* procfs.c: files under the container's /proc, opened so that nothing can
 * redirect a write (CVE-2025-52881). */
#ifndef TSRUN_PROCFS_H
#define TSRUN_PROCFS_H
#include "child.h"

/* Open /proc/<rel>; rel may start with "self/" or "thread-self/". Refuses
 * anything but procfs and any symlink or mount point on the way (errno
 * EXDEV, ELOOP). */
int open_proc_file(struct child_ctx *c, const char *rel, int flags);
/* fail naming /proc/<rel>, explaining a refusal of open_proc_file (EXDEV, ELOOP) */
__attribute__((noreturn)) void fail_proc_file(struct child_ctx *c, int err, const char *verb, const char *rel);

#endif
