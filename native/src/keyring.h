/* keyring.c: the container's own session keyring (runc's "_ses.<id>"). */
#ifndef TSRUN_KEYRING_H
#define TSRUN_KEYRING_H
#include <stdint.h>
#include "child.h"

/* join (or make) the named session keyring; add_perm != 0 adds those
 * permission bits to it */
void keyring_join(struct child_ctx *c, const char *name, uint32_t add_perm);

#endif
