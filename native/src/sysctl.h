/* sysctl.c: linux.sysctl, written in the child after pivot_root. */
#ifndef TSRUN_SYSCTL_H
#define TSRUN_SYSCTL_H
#include "child.h"

void sysctl_write_all(struct child_ctx *c);

#endif
