/* The linux.seccomp name tables; see seccomp_names.h. */
#include "seccomp_names.h"

#include <string.h>

#include "seccomp_kernel.h"

/* runc's meanings: SCMP_ACT_KILL is KILL_THREAD */
const struct tsrun_seccomp_action tsrun_seccomp_actions[TSRUN_SECCOMP_N_ACTIONS] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

const struct tsrun_seccomp_operator tsrun_seccomp_operators[TSRUN_SECCOMP_N_OPERATORS] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* libseccomp's name of each is the lowercase tail */
const char *const tsrun_seccomp_archs[TSRUN_SECCOMP_N_ARCHS] = {
    "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",       "SCMP_ARCH_ARM",     "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS",        "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",    "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",       "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",  "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",        "SCMP_ARCH_SH",     "SCMP_ARCH_SHEB",
};

/* TSYNC is not passed on: the init is single-threaded, and the kernel
 * refuses TSYNC together with NEW_LISTENER */
const struct tsrun_seccomp_flag tsrun_seccomp_flags[TSRUN_SECCOMP_N_FLAGS] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", 0},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

const struct tsrun_seccomp_action *tsrun_seccomp_find_action(const char *name) {
  for (size_t i = 0; i < TSRUN_SECCOMP_N_ACTIONS; i++)
    if (strcmp(tsrun_seccomp_actions[i].name, name) == 0) return &tsrun_seccomp_actions[i];
  return NULL;
}

const struct tsrun_seccomp_operator *tsrun_seccomp_find_operator(const char *name) {
  for (size_t i = 0; i < TSRUN_SECCOMP_N_OPERATORS; i++)
    if (strcmp(tsrun_seccomp_operators[i].name, name) == 0) return &tsrun_seccomp_operators[i];
  return NULL;
}

const struct tsrun_seccomp_flag *tsrun_seccomp_find_flag(const char *name) {
  for (size_t i = 0; i < TSRUN_SECCOMP_N_FLAGS; i++)
    if (strcmp(tsrun_seccomp_flags[i].name, name) == 0) return &tsrun_seccomp_flags[i];
  return NULL;
}

const char *tsrun_seccomp_find_arch(const char *name) {
  for (size_t i = 0; i < TSRUN_SECCOMP_N_ARCHS; i++)
    if (strcmp(tsrun_seccomp_archs[i], name) == 0) return tsrun_seccomp_archs[i];
  return NULL;
}

uint32_t tsrun_seccomp_resolve_arch(const char *oci_name) {
  char lower[32];
  const char *tail = oci_name + strlen("SCMP_ARCH_");
  size_t n = strlen(tail);
  if (n >= sizeof lower) return 0;
  for (size_t i = 0; i <= n; i++) lower[i] = (char)(tail[i] >= 'A' && tail[i] <= 'Z' ? tail[i] - 'A' + 'a' : tail[i]);
  return seccomp_arch_resolve_name(lower);
}

const char *tsrun_seccomp_arch_name(uint32_t token) {
  for (size_t i = 0; i < TSRUN_SECCOMP_N_ARCHS; i++)
    if (tsrun_seccomp_resolve_arch(tsrun_seccomp_archs[i]) == token) return tsrun_seccomp_archs[i];
  return "unknown";
}
