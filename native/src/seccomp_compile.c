/* compileSeccomp(profile) and seccompInfo(): OCI linux.seccomp -> cBPF with
 * libseccomp, in the parent (node) only. The profile arrives normalised by
 * src/seccomp/plan.ts (NativeSeccompProfile: same arrays and order as
 * config.json, arg values as bigint) and was validated by src/seccomp/checks.ts;
 * this file still refuses anything it cannot compile, naming the JSON path.
 *
 * Semantics follow runc: SCMP_ACT_KILL is KILL_THREAD; errnoRet defaults to
 * EPERM for ERRNO and TRACE; a rule whose action equals the default action is
 * skipped; an unknown syscall name is skipped (reported in unknownSyscalls);
 * several conditions on one argument index become one rule per condition
 * (OR), conditions on distinct indexes stay one rule (AND); the -ENOSYS stub
 * (seccomp_enosys.h) is prepended unless the default action already allows
 * or returns ENOSYS; flags absent means SPEC_ALLOW when the kernel has it,
 * SECCOMP_FILTER_FLAG_TSYNC is accepted and ignored. */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "modules.h"
#include "napi_util.h"
#include "seccomp_enosys.h"
#include "seccomp_kernel.h"

/* Bump whenever this file changes the BPF it emits for the same profile:
 * plan.ts keys its compiled-filter cache on it. */
#define TSRUN_SECCOMP_COMPILER_REVISION 1

#define JSON_ROOT "linux.seccomp"
#define MAX_ARGS_PER_RULE 64
#define PATH_LEN 160
#define RULE_PATH_LEN 48 /* "linux.seccomp.syscalls[4294967295]" */
#define ARG_PATH_LEN 72  /* rule path + ".args[4294967295]" */

/* ---- name tables ---------------------------------------------------------- */

struct action_name {
  const char *name;
  uint32_t base; /* SCMP_ACT_* without data */
  bool takes_errno;
};
static const struct action_name ACTIONS[] = {
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

struct op_name {
  const char *name;
  enum scmp_compare op;
};
static const struct op_name OPERATORS[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* runtime-spec v1.3.0 architectures; libseccomp's name is the lowercase tail */
static const char *const ARCHS[] = {
    "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",  "SCMP_ARCH_X32",       "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",   "SCMP_ARCH_MIPS",    "SCMP_ARCH_MIPS64",    "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",      "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",  "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",      "SCMP_ARCH_SH",      "SCMP_ARCH_SHEB",
};
#define N_ARCHS (sizeof ARCHS / sizeof ARCHS[0])

struct flag_name {
  const char *name;
  unsigned int bit; /* 0: accepted and ignored */
};
static const struct flag_name FLAGS[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", 0},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct action_name *find_action(const char *s) {
  for (size_t i = 0; i < COUNT(ACTIONS); i++)
    if (strcmp(ACTIONS[i].name, s) == 0) return &ACTIONS[i];
  return NULL;
}

static const struct op_name *find_op(const char *s) {
  for (size_t i = 0; i < COUNT(OPERATORS); i++)
    if (strcmp(OPERATORS[i].name, s) == 0) return &OPERATORS[i];
  return NULL;
}

static bool known_arch(const char *s) {
  for (size_t i = 0; i < N_ARCHS; i++)
    if (strcmp(ARCHS[i], s) == 0) return true;
  return false;
}

/* "SCMP_ARCH_X86_64" -> libseccomp token, 0 when this libseccomp lacks it */
static uint32_t resolve_arch(const char *oci) {
  char lower[32];
  const char *tail = oci + strlen("SCMP_ARCH_");
  size_t n = strlen(tail);
  if (n >= sizeof lower) return 0;
  for (size_t i = 0; i <= n; i++) lower[i] = (char)(tail[i] >= 'A' && tail[i] <= 'Z' ? tail[i] - 'A' + 'a' : tail[i]);
  return seccomp_arch_resolve_name(lower);
}

static const char *arch_oci_name(uint32_t token) {
  for (size_t i = 0; i < N_ARCHS; i++)
    if (resolve_arch(ARCHS[i]) == token) return ARCHS[i];
  return "unknown";
}

/* ---- compile context ------------------------------------------------------ */

struct ctx {
  napi_env env;
  napi_value warnings; /* [{ path, message }] */
  uint32_t nwarnings;
  napi_value unknown;  /* [name] */
  uint32_t nunknown;
  char **names;        /* every syscall name seen, for the ENOSYS stub */
  size_t nnames, capnames;
};

static void warn(struct ctx *c, const char *path, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  napi_value w;
  napi_create_object(c->env, &w);
  napi_set_named_property(c->env, w, "path", tsrun_make_string(c->env, path));
  napi_set_named_property(c->env, w, "message", tsrun_make_string(c->env, msg));
  napi_set_element(c->env, c->warnings, c->nwarnings++, w);
}

/* Throw Error(message) with .jsonPath, for TS to turn into a ConfigError. */
static napi_value fail(napi_env env, const char *path, const char *fmt, ...) {
  char msg[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return NULL;
  napi_value m, e;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  napi_set_named_property(env, e, "jsonPath", tsrun_make_string(env, path));
  napi_set_named_property(env, e, "code", tsrun_make_string(env, "ESECCOMPPROFILE"));
  napi_throw(env, e);
  return NULL;
}

/* ---- reading the JS profile ----------------------------------------------- */

static bool get_opt_string(napi_env env, napi_value obj, const char *key, char **out, bool *present) {
  napi_value v;
  *out = NULL;
  if (!tsrun_prop(env, obj, key, &v, present)) return false;
  if (!*present) return true;
  return tsrun_get_string(env, v, out);
}

static bool get_array(napi_env env, napi_value obj, const char *key, napi_value *arr, uint32_t *len) {
  bool present, isarr = false;
  *len = 0;
  if (!tsrun_prop(env, obj, key, arr, &present)) return false;
  if (!present) return true;
  napi_is_array(env, *arr, &isarr);
  if (!isarr) {
    napi_throw_type_error(env, NULL, "seccomp profile: expected an array");
    return false;
  }
  return napi_get_array_length(env, *arr, len) == napi_ok;
}

/* Throws with `path` (the key's JSON path) when the value is no uint32. */
static bool get_opt_u32(napi_env env, napi_value obj, const char *key, uint32_t *out, bool *present,
                        const char *path) {
  napi_value v;
  if (!tsrun_prop(env, obj, key, &v, present)) return false;
  if (!*present) return true;
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d > 4294967295.0 || d != (double)(uint32_t)d) {
    fail(env, path, "%s must be an integer 0..4294967295", key);
    return false;
  }
  *out = (uint32_t)d;
  return true;
}

static bool get_u64(napi_env env, napi_value obj, const char *key, uint64_t *out, const char *path) {
  napi_value v;
  bool present;
  *out = 0;
  if (!tsrun_prop(env, obj, key, &v, &present)) return false;
  if (!present) return true;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_bigint) {
    bool lossless;
    if (napi_get_value_bigint_uint64(env, v, out, &lossless) == napi_ok && lossless) return true;
  } else if (t == napi_number) {
    double d;
    napi_get_value_double(env, v, &d);
    if (d >= 0 && d <= 9007199254740991.0 && d == (double)(uint64_t)d) {
      *out = (uint64_t)d;
      return true;
    }
  }
  fail(env, path, "%s must be a bigint 0..2^64-1 or a safe integer", key);
  return false;
}

/* Resolve action + errnoRet as runc does. NULL (after throwing) on error. */
static bool parse_action(napi_env env, napi_value obj, const char *key, const char *errkey, const char *path,
                         uint32_t *out, const struct action_name **which) {
  char *name;
  bool present;
  char p[PATH_LEN];
  snprintf(p, sizeof p, "%s.%s", path, key);
  if (!get_opt_string(env, obj, key, &name, &present)) return false;
  if (!present) return fail(env, p, "seccomp action is required"), false;
  const struct action_name *a = find_action(name);
  if (!a) {
    fail(env, p, "unknown seccomp action \"%s\"", name);
    free(name);
    return false;
  }
  free(name);
  uint32_t errno_ret = EPERM;
  bool has_errno;
  snprintf(p, sizeof p, "%s.%s", path, errkey);
  if (!get_opt_u32(env, obj, errkey, &errno_ret, &has_errno, p)) return false;
  if (has_errno && !a->takes_errno)
    return fail(env, p, "%s is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", errkey, a->name), false;
  if (errno_ret > 0xffff) return fail(env, p, "%s %u does not fit in 16 bits", errkey, errno_ret), false;
  *out = a->takes_errno ? (a->base | errno_ret) : a->base;
  *which = a;
  return true;
}

static bool remember_name(struct ctx *c, const char *name) {
  if (c->nnames == c->capnames) {
    size_t cap = c->capnames ? c->capnames * 2 : 256;
    char **n = realloc(c->names, cap * sizeof *n);
    if (!n) return false;
    c->names = n;
    c->capnames = cap;
  }
  c->names[c->nnames++] = (char *)name;
  return true;
}

static void note_unknown(struct ctx *c, const char *name) {
  for (uint32_t i = 0; i < c->nunknown; i++) {
    napi_value v;
    char buf[128];
    size_t n;
    napi_get_element(c->env, c->unknown, i, &v);
    napi_get_value_string_utf8(c->env, v, buf, sizeof buf, &n);
    if (strcmp(buf, name) == 0) return;
  }
  napi_set_element(c->env, c->unknown, c->nunknown++, tsrun_make_string(c->env, name));
}

/* ---- the compiler ---------------------------------------------------------- */

static bool check_action_available(napi_env env, uint32_t action, const struct action_name *a, const char *path) {
  if (tsrun_seccomp_action_available(action)) return true;
  fail(env, path, "seccomp action %s is not supported by this kernel", a->name);
  return false;
}

/* Resolve requested flags (NULL array = runc default) into seccomp(2) bits. */
static bool resolve_flags(struct ctx *c, napi_value profile, bool uses_notify, unsigned int *out) {
  napi_env env = c->env;
  napi_value arr;
  uint32_t n;
  bool present;
  unsigned int flags = 0;
  if (!tsrun_prop(env, profile, "flags", &arr, &present)) return false;
  if (!present) {
    if (tsrun_seccomp_flags_supported(SECCOMP_FILTER_FLAG_SPEC_ALLOW)) flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  } else {
    if (!get_array(env, profile, "flags", &arr, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
      char p[PATH_LEN], *name;
      napi_value v;
      snprintf(p, sizeof p, JSON_ROOT ".flags[%u]", i);
      napi_get_element(env, arr, i, &v);
      if (!tsrun_get_string(env, v, &name)) return false;
      const struct flag_name *f = NULL;
      for (size_t k = 0; k < COUNT(FLAGS); k++)
        if (strcmp(FLAGS[k].name, name) == 0) f = &FLAGS[k];
      if (!f) {
        fail(env, p, "unknown seccomp flag \"%s\"", name);
        free(name);
        return false;
      }
      free(name);
      if (f->bit == 0) continue; /* TSYNC: one thread, and it conflicts with NEW_LISTENER */
      if (f->bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !uses_notify) {
        warn(c, p, "%s ignored: no rule uses SCMP_ACT_NOTIFY", f->name);
        continue;
      }
      unsigned int probe = f->bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
                               ? f->bit | SECCOMP_FILTER_FLAG_NEW_LISTENER
                               : f->bit;
      if (!tsrun_seccomp_flags_supported(probe))
        return fail(env, p, "seccomp flag %s is not supported by this kernel", f->name), false;
      flags |= f->bit;
    }
  }
  if (uses_notify) {
    if (!tsrun_seccomp_flags_supported(SECCOMP_FILTER_FLAG_NEW_LISTENER))
      return fail(env, JSON_ROOT, "SCMP_ACT_NOTIFY needs SECCOMP_FILTER_FLAG_NEW_LISTENER (Linux 5.0)"), false;
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  }
  *out = flags;
  return true;
}

/* Add the rules for one name of syscalls[i]. */
static bool add_name_rules(struct ctx *c, scmp_filter_ctx f, uint32_t action, const char *name, const char *path,
                           const struct scmp_arg_cmp *cmps, const uint32_t *cmp_index_count, unsigned int ncmp) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) {
    note_unknown(c, name);
    return true;
  }
  bool split = false;
  for (unsigned int k = 0; k < 6; k++)
    if (cmp_index_count[k] > 1) split = true;
  int rc = 0;
  if (!split) {
    rc = seccomp_rule_add_array(f, action, nr, ncmp, ncmp ? cmps : NULL);
  } else {
    for (unsigned int k = 0; k < ncmp && rc == 0; k++) rc = seccomp_rule_add_array(f, action, nr, 1, &cmps[k]);
  }
  if (rc == -EEXIST)
    return fail(c->env, path, "rule for \"%s\" conflicts with an earlier rule with the same arguments and another action",
                name),
           false;
  if (rc < 0) return fail(c->env, path, "libseccomp rejected the rule for \"%s\": %s", name, strerror(-rc)), false;
  return true;
}

static bool add_rules(struct ctx *c, scmp_filter_ctx f, napi_value profile, uint32_t default_action) {
  napi_env env = c->env;
  napi_value rules;
  uint32_t nrules;
  if (!get_array(env, profile, "syscalls", &rules, &nrules)) return false;
  for (uint32_t i = 0; i < nrules; i++) {
    napi_value rule, names, args;
    uint32_t nnames, nargs;
    char rpath[RULE_PATH_LEN], p[PATH_LEN];
    snprintf(rpath, sizeof rpath, JSON_ROOT ".syscalls[%u]", i);
    napi_get_element(env, rules, i, &rule);
    uint32_t action;
    const struct action_name *a;
    if (!parse_action(env, rule, "action", "errnoRet", rpath, &action, &a)) return false;
    snprintf(p, sizeof p, "%s.action", rpath);
    if (!check_action_available(env, action, a, p)) return false;

    struct scmp_arg_cmp cmps[MAX_ARGS_PER_RULE];
    uint32_t index_count[6] = {0};
    if (!get_array(env, rule, "args", &args, &nargs)) return false;
    if (nargs > MAX_ARGS_PER_RULE) {
      snprintf(p, sizeof p, "%s.args", rpath);
      return fail(env, p, "more than %d argument conditions", MAX_ARGS_PER_RULE), false;
    }
    for (uint32_t k = 0; k < nargs; k++) {
      napi_value arg;
      uint32_t index = 0;
      bool present;
      char *op;
      char apath[ARG_PATH_LEN];
      snprintf(apath, sizeof apath, "%s.args[%u]", rpath, k);
      napi_get_element(env, args, k, &arg);
      snprintf(p, sizeof p, "%s.index", apath);
      if (!get_opt_u32(env, arg, "index", &index, &present, p)) return false;
      if (!present || index > 5) {
        snprintf(p, sizeof p, "%s.index", apath);
        return fail(env, p, "argument index must be 0..5"), false;
      }
      if (!get_opt_string(env, arg, "op", &op, &present)) return false;
      const struct op_name *o = present ? find_op(op) : NULL;
      if (!o) {
        snprintf(p, sizeof p, "%s.op", apath);
        fail(env, p, "unknown seccomp operator \"%s\"", present ? op : "");
        free(op);
        return false;
      }
      free(op);
      uint64_t value, value_two;
      char vpath[PATH_LEN], v2path[PATH_LEN];
      snprintf(vpath, sizeof vpath, "%s.value", apath);
      snprintf(v2path, sizeof v2path, "%s.valueTwo", apath);
      if (!get_u64(env, arg, "value", &value, vpath) || !get_u64(env, arg, "valueTwo", &value_two, v2path))
        return false;
      /* libseccomp: MASKED_EQ compares (arg & datum_a) == datum_b, and OCI
       * puts the mask in value, the expected bits in valueTwo */
      cmps[k] = (struct scmp_arg_cmp){.arg = index, .op = o->op, .datum_a = value, .datum_b = value_two};
      index_count[index]++;
    }

    if (!get_array(env, rule, "names", &names, &nnames)) return false;
    if (nnames == 0) {
      snprintf(p, sizeof p, "%s.names", rpath);
      return fail(env, p, "names must contain at least one syscall"), false;
    }
    for (uint32_t j = 0; j < nnames; j++) {
      napi_value v;
      char *name;
      snprintf(p, sizeof p, "%s.names[%u]", rpath, j);
      napi_get_element(env, names, j, &v);
      if (!tsrun_get_string(env, v, &name)) return false;
      if (name[0] == '\0') {
        free(name);
        return fail(env, p, "empty syscall name"), false;
      }
      if (!remember_name(c, name)) {
        free(name);
        return tsrun_throw(env, "out of memory"), false;
      }
      if (a->base == SCMP_ACT_NOTIFY && strcmp(name, "write") == 0)
        return fail(env, p, "SCMP_ACT_NOTIFY cannot be used for write (the runtime needs it to report errors)"), false;
      if (action == default_action) continue; /* no-op, and libseccomp refuses it */
      if (!add_name_rules(c, f, action, name, p, cmps, index_count, nargs)) return false;
    }
  }
  return true;
}

static bool add_archs(struct ctx *c, scmp_filter_ctx f, napi_value profile, uint32_t *tokens, size_t *ntokens) {
  napi_env env = c->env;
  napi_value archs;
  uint32_t n;
  tokens[0] = seccomp_arch_native();
  *ntokens = 1;
  if (!get_array(env, profile, "architectures", &archs, &n)) return false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    char *name, p[PATH_LEN];
    snprintf(p, sizeof p, JSON_ROOT ".architectures[%u]", i);
    napi_get_element(env, archs, i, &v);
    if (!tsrun_get_string(env, v, &name)) return false;
    if (!known_arch(name)) {
      fail(env, p, "unknown seccomp architecture \"%s\"", name);
      free(name);
      return false;
    }
    uint32_t token = resolve_arch(name);
    if (token == 0) {
      const struct scmp_version *ver = seccomp_version();
      warn(c, p, "architecture %s is not supported by libseccomp %u.%u.%u and was skipped", name, ver->major,
           ver->minor, ver->micro);
      free(name);
      continue;
    }
    int rc = seccomp_arch_add(f, token);
    if (rc == -EDOM) {
      /* a filter holds one byte order; such an arch cannot run here anyway */
      warn(c, p, "architecture %s has another byte order than %s and was skipped", name,
           arch_oci_name(seccomp_arch_native()));
      free(name);
      continue;
    }
    free(name);
    if (rc == -EEXIST) continue;
    if (rc < 0) return fail(env, p, "seccomp_arch_add: %s", strerror(-rc)), false;
    if (*ntokens < N_ARCHS) tokens[(*ntokens)++] = token;
  }
  return true;
}

/* seccomp_export_bpf into a memfd, read back into a malloc'd buffer. */
static int export_bpf(scmp_filter_ctx f, struct sock_filter **out, size_t *ninsns) {
  int fd = memfd_create("tsrun-seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) return -errno;
  int rc = seccomp_export_bpf(f, fd);
  if (rc < 0) {
    close(fd);
    return rc;
  }
  off_t size = lseek(fd, 0, SEEK_END);
  if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0) {
    close(fd);
    return -EIO;
  }
  struct sock_filter *buf = malloc((size_t)size);
  if (!buf) {
    close(fd);
    return -ENOMEM;
  }
  ssize_t got = pread(fd, buf, (size_t)size, 0);
  close(fd);
  if (got != size) {
    free(buf);
    return -EIO;
  }
  *out = buf;
  *ninsns = (size_t)size / sizeof(struct sock_filter);
  return 0;
}

static bool stub_wanted(uint32_t default_action) {
  uint32_t base = default_action & SECCOMP_RET_ACTION_FULL;
  if (base == SCMP_ACT_ALLOW || base == SCMP_ACT_LOG || base == (SCMP_ACT_TRACE(0) & SECCOMP_RET_ACTION_FULL))
    return false;
  return default_action != SCMP_ACT_ERRNO(ENOSYS);
}

static napi_value compile(struct ctx *c, napi_value profile) {
  napi_env env = c->env;
  uint32_t default_action;
  const struct action_name *def;
  if (!parse_action(env, profile, "defaultAction", "defaultErrnoRet", JSON_ROOT, &default_action, &def)) return NULL;
  if (def->base == SCMP_ACT_NOTIFY)
    return fail(env, JSON_ROOT ".defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
  if (!check_action_available(env, default_action, def, JSON_ROOT ".defaultAction")) return NULL;

  /* NOTIFY anywhere decides NEW_LISTENER; find it before the flags */
  bool uses_notify = false;
  napi_value rules;
  uint32_t nrules;
  if (!get_array(env, profile, "syscalls", &rules, &nrules)) return NULL;
  for (uint32_t i = 0; i < nrules && !uses_notify; i++) {
    napi_value rule;
    char *act;
    bool present;
    napi_get_element(env, rules, i, &rule);
    if (!get_opt_string(env, rule, "action", &act, &present)) return NULL;
    uses_notify = present && strcmp(act, "SCMP_ACT_NOTIFY") == 0;
    free(act);
  }
  unsigned int flags;
  if (!resolve_flags(c, profile, uses_notify, &flags)) return NULL;

  scmp_filter_ctx f = seccomp_init(default_action);
  if (!f) return fail(env, JSON_ROOT ".defaultAction", "seccomp_init failed for this default action");
  napi_value result = NULL;
  struct sock_filter *prog = NULL, *full = NULL;
  uint32_t tokens[N_ARCHS + 1];
  size_t ntokens = 0, ninsns = 0;

  seccomp_attr_set(f, SCMP_FLTATR_API_SYSRAWRC, 1);
  if (!add_archs(c, f, profile, tokens, &ntokens)) goto out;
  if (!add_rules(c, f, profile, default_action)) goto out;
  /* libseccomp's binary-tree layout pays off on long lists (runc: > 32) */
  if (c->nnames > 32) seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2);

  int rc = export_bpf(f, &prog, &ninsns);
  if (rc < 0) {
    fail(env, JSON_ROOT, "seccomp_export_bpf: %s", strerror(-rc));
    goto out;
  }

  struct sock_filter stub[256];
  int nstub = 0;
  if (stub_wanted(default_action)) {
    struct tsrun_arch_max maxes[N_ARCHS + 1];
    for (size_t a = 0; a < ntokens; a++) {
      maxes[a].scmp_arch = tokens[a];
      maxes[a].max_nr = 0;
      for (size_t k = 0; k < c->nnames; k++) {
        int nr = seccomp_syscall_resolve_name_arch(tokens[a], c->names[k]);
        if (nr >= 0 && (uint32_t)nr > maxes[a].max_nr) maxes[a].max_nr = (uint32_t)nr;
      }
      if (maxes[a].max_nr == 0 && c->nnames > 0)
        warn(c, JSON_ROOT ".architectures", "no syscall of the profile exists on %s", arch_oci_name(tokens[a]));
    }
    nstub = tsrun_enosys_stub(maxes, ntokens, stub, COUNT(stub));
    if (nstub < 0) {
      fail(env, JSON_ROOT ".architectures", "cannot build the ENOSYS stub: %s", strerror(-nstub));
      goto out;
    }
    /* the stub leaves nr in A; libseccomp's program must reload the arch */
    if (nstub > 0 && !(prog[0].code == (BPF_LD | BPF_W | BPF_ABS) && prog[0].k == 4)) {
      fail(env, JSON_ROOT, "unexpected libseccomp program layout; cannot prepend the ENOSYS stub");
      goto out;
    }
  }
  size_t total = (size_t)nstub + ninsns;
  if (total > BPF_MAXINSNS) {
    fail(env, JSON_ROOT, "the compiled filter has %zu instructions; the kernel accepts at most %d", total,
         BPF_MAXINSNS);
    goto out;
  }
  full = malloc(total * sizeof *full);
  if (!full) {
    tsrun_throw(env, "out of memory");
    goto out;
  }
  memcpy(full, stub, (size_t)nstub * sizeof *full);
  memcpy(full + nstub, prog, ninsns * sizeof *full);

  napi_value buf;
  if (napi_create_buffer_copy(env, total * sizeof *full, full, NULL, &buf) != napi_ok) goto out;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "filter", buf);
  napi_value fl;
  napi_create_uint32(env, flags, &fl);
  napi_set_named_property(env, result, "flags", fl);
  napi_set_named_property(env, result, "warnings", c->warnings);
  napi_set_named_property(env, result, "unknownSyscalls", c->unknown);

out:
  free(prog);
  free(full);
  seccomp_release(f);
  return result;
}

/* compileSeccomp(profile) -> { filter: Buffer, flags, warnings, unknownSyscalls } */
static napi_value js_compile_seccomp(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!tsrun_get_args(env, info, 1, argv)) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  if (t != napi_object) {
    napi_throw_type_error(env, NULL, "compileSeccomp: expected a profile object");
    return NULL;
  }
  struct ctx c = {.env = env};
  napi_create_array(env, &c.warnings);
  napi_create_array(env, &c.unknown);
  napi_value r = compile(&c, argv[0]);
  for (size_t i = 0; i < c.nnames; i++) free(c.names[i]);
  free(c.names);
  return r;
}

static void set_bool(napi_env env, napi_value obj, const char *key, bool v) {
  napi_value b;
  napi_get_boolean(env, v, &b);
  napi_set_named_property(env, obj, key, b);
}

/* seccompInfo() -> { libseccompVersion, compilerRevision, apiLevel, nativeArch, archs, actions, flags }
 * archs: OCI names this libseccomp can compile for; actions/flags: name ->
 * supported by this kernel (what `tsrun features` reports). */
static napi_value js_seccomp_info(napi_env env, napi_callback_info info) {
  napi_value out, archs, actions, flags;
  napi_create_object(env, &out);
  const struct scmp_version *v = seccomp_version();
  char ver[32];
  snprintf(ver, sizeof ver, "%u.%u.%u", v->major, v->minor, v->micro);
  napi_set_named_property(env, out, "libseccompVersion", tsrun_make_string(env, ver));
  napi_value api, rev;
  napi_create_uint32(env, TSRUN_SECCOMP_COMPILER_REVISION, &rev);
  napi_set_named_property(env, out, "compilerRevision", rev);
  napi_create_uint32(env, seccomp_api_get(), &api);
  napi_set_named_property(env, out, "apiLevel", api);
  napi_set_named_property(env, out, "nativeArch", tsrun_make_string(env, arch_oci_name(seccomp_arch_native())));

  napi_create_array(env, &archs);
  uint32_t n = 0;
  for (size_t i = 0; i < N_ARCHS; i++)
    if (resolve_arch(ARCHS[i]) != 0) napi_set_element(env, archs, n++, tsrun_make_string(env, ARCHS[i]));
  napi_set_named_property(env, out, "archs", archs);

  napi_create_object(env, &actions);
  for (size_t i = 0; i < COUNT(ACTIONS); i++)
    set_bool(env, actions, ACTIONS[i].name, tsrun_seccomp_action_available(ACTIONS[i].base));
  napi_set_named_property(env, out, "actions", actions);

  napi_create_object(env, &flags);
  for (size_t i = 0; i < COUNT(FLAGS); i++) {
    unsigned int bit = FLAGS[i].bit;
    bool ok = bit == 0 ? tsrun_seccomp_flags_supported(SECCOMP_FILTER_FLAG_TSYNC)
                       : tsrun_seccomp_flags_supported(bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
                                                           ? bit | SECCOMP_FILTER_FLAG_NEW_LISTENER
                                                           : bit);
    set_bool(env, flags, FLAGS[i].name, ok);
  }
  napi_set_named_property(env, out, "flags", flags);
  return out;
}

void tsrun_register_seccomp(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {{"compileSeccomp", js_compile_seccomp}, {"seccompInfo", js_seccomp_info}};
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
