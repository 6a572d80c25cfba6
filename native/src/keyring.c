/* A session keyring of the container's own, as runc gives one: the init
 * joins a new keyring named "_ses.<container id>" (processes exec'd into the
 * container join the same one by name), so the container does not share the
 * caller's session keyring and what it holds. runc then makes the keyring
 * searchable by the possessor's uid (or, in a user namespace, by others):
 * the same permission change here. Unless --no-new-keyring.
 * A kernel without keyrings (ENOSYS) only gets a warning, as in runc. */
#include <errno.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "keyring.h"

/* the 4th ';'-separated field of KEYCTL_DESCRIBE: the permissions, in hex */
static bool parse_perm(const char *desc, uint32_t *perm) {
  int field = 0;
  const char *p = desc;
  for (; *p && field < 3; p++)
    if (*p == ';') field++;
  if (field < 3) return false;
  uint32_t v = 0;
  int digits = 0;
  for (; *p && *p != ';'; p++, digits++) {
    char ch = *p;
    int d = ch >= '0' && ch <= '9'   ? ch - '0'
            : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
            : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                     : -1;
    if (d < 0) return false;
    v = v << 4 | (uint32_t)d;
  }
  *perm = v;
  return digits > 0;
}

void keyring_join(struct child_ctx *c, const char *name, uint32_t add_perm) {
  long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
  if (id < 0) {
    if (errno == ENOSYS) {
      child_warn(c, "the kernel has no keyrings: the container keeps the caller's session keyring;", name);
      return;
    }
    child_fail(c, errno, "join session keyring", name);
  }
  if (!add_perm) return;
  char desc[512];
  long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof desc - 1, 0);
  if (n < 0) child_fail(c, errno, "describe session keyring", name);
  desc[n < (long)sizeof desc ? n : (long)sizeof desc - 1] = 0;
  uint32_t perm;
  if (!parse_perm(desc, &perm)) child_fail(c, EINVAL, "read the permissions of session keyring", name);
  if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, perm | add_perm, 0, 0) < 0)
    child_fail(c, errno, "set the permissions of session keyring", name);
}
