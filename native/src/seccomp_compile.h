/* seccomp_compile.c: a read profile (seccomp_profile.h) -> cBPF with
 * libseccomp, plus the -ENOSYS stub (seccomp_enosys.h). No N-API here: what
 * goes wrong is returned as a JSON path and a message. Parent only.
 *
 * Semantics follow runc: a rule whose action equals the default action is
 * skipped; an unknown syscall name is skipped (reported in `unknown`);
 * several conditions on one argument index become one rule per condition
 * (OR), conditions on distinct indexes stay one rule (AND); the stub is
 * prepended unless the default action already allows or returns ENOSYS;
 * flags absent means SPEC_ALLOW when the kernel has it. */
#ifndef TSRUN_SECCOMP_COMPILE_H
#define TSRUN_SECCOMP_COMPILE_H
#include <linux/filter.h>
#include <stddef.h>

#include "seccomp_profile.h"

/* Bump whenever the compiler emits different BPF for the same profile:
 * src/seccomp/cache.ts keys its compiled-filter cache on it. */
#define TSRUN_SECCOMP_COMPILER_REVISION 1

struct tsrun_seccomp_note {
  char path[160];
  char message[320];
};

struct tsrun_seccomp_compiled {
  struct sock_filter *filter; /* host byte order, stub included */
  size_t n_insns;
  unsigned int flags; /* for seccomp(2); NEW_LISTENER when a rule notifies */
  struct tsrun_seccomp_note *warnings;
  size_t n_warnings;
  const char **unknown; /* syscall names libseccomp does not know (pointers into the profile) */
  size_t n_unknown;
};

/* 0 on success; -1 with `error` set (an empty path: out of memory). `out` is
 * freed with tsrun_seccomp_compiled_free either way. */
int tsrun_seccomp_compile(const struct tsrun_seccomp_profile *p, struct tsrun_seccomp_compiled *out,
                          struct tsrun_seccomp_note *error);
void tsrun_seccomp_compiled_free(struct tsrun_seccomp_compiled *c);

#endif
