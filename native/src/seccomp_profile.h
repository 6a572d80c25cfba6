/* seccomp_profile.c: reading the JS profile (src/seccomp/plan.ts's
 * NativeSeccompProfile: config.json's linux.seccomp, already checked by the
 * schema and src/seccomp/checks.ts, with exact bigint argument values) into
 * C. It refuses only what it cannot represent (a value of the wrong type, a
 * name outside seccomp_names.h, an argument index or errno out of range),
 * naming the JSON path. Parent only. */
#ifndef TSRUN_SECCOMP_PROFILE_H
#define TSRUN_SECCOMP_PROFILE_H
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>

#include "seccomp_names.h"

#define TSRUN_SECCOMP_MAX_ARGS_PER_RULE 64

struct tsrun_seccomp_arg {
  unsigned int index; /* 0..5 */
  enum scmp_compare op;
  uint64_t value, value_two;
};

struct tsrun_seccomp_rule {
  const struct tsrun_seccomp_action *action;
  uint32_t action_value; /* with errnoRet (default EPERM) for ERRNO and TRACE */
  char **names;
  uint32_t n_names;
  struct tsrun_seccomp_arg *args;
  uint32_t n_args;
};

struct tsrun_seccomp_profile {
  const struct tsrun_seccomp_action *default_action;
  uint32_t default_value;
  const char **archs; /* names from tsrun_seccomp_archs */
  uint32_t n_archs;
  bool flags_given; /* absent: runc's default (SPEC_ALLOW when the kernel has it) */
  const struct tsrun_seccomp_flag **flags;
  uint32_t n_flags;
  struct tsrun_seccomp_rule *rules;
  uint32_t n_rules;
  bool uses_notify; /* some rule's action is SCMP_ACT_NOTIFY */
};

/* Throw Error(message) with .jsonPath and .code "ESECCOMPPROFILE", which
 * src/seccomp/plan.ts turns into a ConfigError naming the path. */
void tsrun_seccomp_throw(napi_env env, const char *json_path, const char *message);

/* Fill `out` (freed with tsrun_seccomp_profile_free, also after a failure);
 * false after throwing. */
bool tsrun_seccomp_profile_from_js(napi_env env, napi_value obj, struct tsrun_seccomp_profile *out);
void tsrun_seccomp_profile_free(struct tsrun_seccomp_profile *p);

#endif
