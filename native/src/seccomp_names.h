/* seccomp_names.c: the names linux.seccomp uses (actions, operators,
 * architectures, flags) and what libseccomp and seccomp(2) call them.
 * oci-spec/runtime.ts (SECCOMP_ACTIONS, SECCOMP_OPERATORS, SECCOMP_ARCHS,
 * SECCOMP_FLAGS) is the one source of the names: config.json is checked
 * against it before anything reaches the addon, and
 * test/unit/native-parity.test.ts checks that these tables hold exactly
 * those names. Parent only. */
#ifndef TSRUN_SECCOMP_NAMES_H
#define TSRUN_SECCOMP_NAMES_H
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tsrun_seccomp_action {
  const char *name;
  uint32_t base; /* SCMP_ACT_* without data */
  bool takes_errno;
};

struct tsrun_seccomp_operator {
  const char *name;
  enum scmp_compare op;
};

struct tsrun_seccomp_flag {
  const char *name;
  unsigned int bit; /* SECCOMP_FILTER_FLAG_*; 0: accepted and ignored */
};

#define TSRUN_SECCOMP_N_ACTIONS 9
#define TSRUN_SECCOMP_N_OPERATORS 7
#define TSRUN_SECCOMP_N_ARCHS 23
#define TSRUN_SECCOMP_N_FLAGS 4

extern const struct tsrun_seccomp_action tsrun_seccomp_actions[TSRUN_SECCOMP_N_ACTIONS];
extern const struct tsrun_seccomp_operator tsrun_seccomp_operators[TSRUN_SECCOMP_N_OPERATORS];
extern const char *const tsrun_seccomp_archs[TSRUN_SECCOMP_N_ARCHS];
extern const struct tsrun_seccomp_flag tsrun_seccomp_flags[TSRUN_SECCOMP_N_FLAGS];

/* NULL / false when the name is not in the table */
const struct tsrun_seccomp_action *tsrun_seccomp_find_action(const char *name);
const struct tsrun_seccomp_operator *tsrun_seccomp_find_operator(const char *name);
const struct tsrun_seccomp_flag *tsrun_seccomp_find_flag(const char *name);
const char *tsrun_seccomp_find_arch(const char *name);

/* "SCMP_ARCH_X86_64" -> libseccomp's token, 0 when this libseccomp lacks it */
uint32_t tsrun_seccomp_resolve_arch(const char *oci_name);
/* libseccomp token -> OCI name ("unknown" when none) */
const char *tsrun_seccomp_arch_name(uint32_t token);

#endif
