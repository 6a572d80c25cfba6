/* lsm.c: AppArmor profile / SELinux label for the next execve. */
#ifndef TSRUN_LSM_H
#define TSRUN_LSM_H
#include "child.h"

void lsm_apply_exec_labels(struct child_ctx *c);

#endif
