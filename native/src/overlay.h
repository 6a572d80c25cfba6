/* The container's overlayfs rootfs, mounted by the init inside its own mount
 * namespace (the host never holds it, so a killed tsrun cannot leak it). */
#ifndef TSRUN_OVERLAY_H
#define TSRUN_OVERLAY_H
#include "child.h"

/* Mount the plan's overlay (lower dirs relative to overlay_base, top first)
 * on plan->rootfs; fails the child with the syscall and errno on error. */
void overlay_mount_rootfs(struct child_ctx *c);

#endif
