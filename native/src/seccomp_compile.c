/* A read seccomp profile -> cBPF; see seccomp_compile.h. */
#include "seccomp_compile.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "seccomp_enosys.h"
#include "seccomp_kernel.h"

#define JSON_ROOT "linux.seccomp"

struct ctx {
  const struct tsrun_seccomp_profile *p;
  struct tsrun_seccomp_compiled *out;
  struct tsrun_seccomp_note *error;
  size_t cap_warnings, cap_unknown;
  size_t n_names; /* every syscall name of every rule, repeats included */
};

static void note(struct tsrun_seccomp_note *n, const char *path, const char *fmt, va_list ap) {
  snprintf(n->path, sizeof n->path, "%s", path);
  vsnprintf(n->message, sizeof n->message, fmt, ap);
}

static bool fail(struct ctx *c, const char *path, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  note(c->error, path, fmt, ap);
  va_end(ap);
  return false;
}

static bool out_of_memory(struct ctx *c) {
  c->error->path[0] = '\0';
  snprintf(c->error->message, sizeof c->error->message, "out of memory");
  return false;
}

static bool warn(struct ctx *c, const char *path, const char *fmt, ...) {
  struct tsrun_seccomp_compiled *o = c->out;
  if (o->n_warnings == c->cap_warnings) {
    size_t cap = c->cap_warnings ? c->cap_warnings * 2 : 8;
    struct tsrun_seccomp_note *w = realloc(o->warnings, cap * sizeof *w);
    if (!w) return out_of_memory(c);
    o->warnings = w;
    c->cap_warnings = cap;
  }
  va_list ap;
  va_start(ap, fmt);
  note(&o->warnings[o->n_warnings++], path, fmt, ap);
  va_end(ap);
  return true;
}

static bool note_unknown(struct ctx *c, const char *name) {
  struct tsrun_seccomp_compiled *o = c->out;
  for (size_t i = 0; i < o->n_unknown; i++)
    if (strcmp(o->unknown[i], name) == 0) return true;
  if (o->n_unknown == c->cap_unknown) {
    size_t cap = c->cap_unknown ? c->cap_unknown * 2 : 16;
    const char **u = realloc(o->unknown, cap * sizeof *u);
    if (!u) return out_of_memory(c);
    o->unknown = u;
    c->cap_unknown = cap;
  }
  o->unknown[o->n_unknown++] = name;
  return true;
}

static bool check_action_available(struct ctx *c, uint32_t value, const struct tsrun_seccomp_action *a,
                                   const char *path) {
  if (tsrun_seccomp_action_available(value)) return true;
  return fail(c, path, "seccomp action %s is not supported by this kernel", a->name);
}

/* The requested flags (absent: runc's default) as seccomp(2) bits. */
static bool resolve_flags(struct ctx *c, unsigned int *out) {
  const struct tsrun_seccomp_profile *p = c->p;
  unsigned int flags = 0;
  if (!p->flags_given) {
    if (tsrun_seccomp_flags_supported(SECCOMP_FILTER_FLAG_SPEC_ALLOW)) flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  }
  for (uint32_t i = 0; i < p->n_flags; i++) {
    const struct tsrun_seccomp_flag *f = p->flags[i];
    char path[64];
    snprintf(path, sizeof path, JSON_ROOT ".flags[%u]", i);
    if (f->bit == 0) continue; /* TSYNC */
    if (f->bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !p->uses_notify) {
      if (!warn(c, path, "%s ignored: no rule uses SCMP_ACT_NOTIFY", f->name)) return false;
      continue;
    }
    unsigned int probe =
        f->bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ? f->bit | SECCOMP_FILTER_FLAG_NEW_LISTENER : f->bit;
    if (!tsrun_seccomp_flags_supported(probe))
      return fail(c, path, "seccomp flag %s is not supported by this kernel", f->name);
    flags |= f->bit;
  }
  if (p->uses_notify) {
    if (!tsrun_seccomp_flags_supported(SECCOMP_FILTER_FLAG_NEW_LISTENER))
      return fail(c, JSON_ROOT, "SCMP_ACT_NOTIFY needs SECCOMP_FILTER_FLAG_NEW_LISTENER (Linux 5.0)");
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  }
  *out = flags;
  return true;
}

static bool add_archs(struct ctx *c, scmp_filter_ctx f, uint32_t *tokens, size_t *ntokens) {
  const struct tsrun_seccomp_profile *p = c->p;
  tokens[0] = seccomp_arch_native();
  *ntokens = 1;
  for (uint32_t i = 0; i < p->n_archs; i++) {
    const char *name = p->archs[i];
    char path[64];
    snprintf(path, sizeof path, JSON_ROOT ".architectures[%u]", i);
    uint32_t token = tsrun_seccomp_resolve_arch(name);
    if (token == 0) {
      const struct scmp_version *ver = seccomp_version();
      if (!warn(c, path, "architecture %s is not supported by libseccomp %u.%u.%u and was skipped", name, ver->major,
                ver->minor, ver->micro))
        return false;
      continue;
    }
    int rc = seccomp_arch_add(f, token);
    if (rc == -EDOM) {
      /* a filter holds one byte order; such an arch cannot run here anyway */
      if (!warn(c, path, "architecture %s has another byte order than %s and was skipped", name,
                tsrun_seccomp_arch_name(seccomp_arch_native())))
        return false;
      continue;
    }
    if (rc == -EEXIST) continue;
    if (rc < 0) return fail(c, path, "seccomp_arch_add: %s", strerror(-rc));
    if (*ntokens < TSRUN_SECCOMP_N_ARCHS) tokens[(*ntokens)++] = token;
  }
  return true;
}

/* The rules for one name of a syscall rule. */
static bool add_name_rules(struct ctx *c, scmp_filter_ctx f, const struct tsrun_seccomp_rule *r, const char *name,
                           const char *path, const struct scmp_arg_cmp *cmps, const uint32_t *index_count) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return note_unknown(c, name);
  bool split = false;
  for (unsigned int k = 0; k < 6; k++)
    if (index_count[k] > 1) split = true;
  int rc = 0;
  if (!split) {
    rc = seccomp_rule_add_array(f, r->action_value, nr, r->n_args, r->n_args ? cmps : NULL);
  } else {
    for (unsigned int k = 0; k < r->n_args && rc == 0; k++)
      rc = seccomp_rule_add_array(f, r->action_value, nr, 1, &cmps[k]);
  }
  if (rc == -EEXIST)
    return fail(c, path, "rule for \"%s\" conflicts with an earlier rule with the same arguments and another action",
                name);
  if (rc < 0) return fail(c, path, "libseccomp rejected the rule for \"%s\": %s", name, strerror(-rc));
  return true;
}

static bool add_rules(struct ctx *c, scmp_filter_ctx f) {
  const struct tsrun_seccomp_profile *p = c->p;
  for (uint32_t i = 0; i < p->n_rules; i++) {
    const struct tsrun_seccomp_rule *r = &p->rules[i];
    char path[96];
    snprintf(path, sizeof path, JSON_ROOT ".syscalls[%u].action", i);
    if (!check_action_available(c, r->action_value, r->action, path)) return false;
    /* libseccomp: MASKED_EQ compares (arg & datum_a) == datum_b, and OCI puts
       the mask in value, the expected bits in valueTwo */
    struct scmp_arg_cmp cmps[TSRUN_SECCOMP_MAX_ARGS_PER_RULE];
    uint32_t index_count[6] = {0};
    for (uint32_t k = 0; k < r->n_args; k++) {
      const struct tsrun_seccomp_arg *a = &r->args[k];
      cmps[k] = (struct scmp_arg_cmp){.arg = a->index, .op = a->op, .datum_a = a->value, .datum_b = a->value_two};
      index_count[a->index]++;
    }
    for (uint32_t j = 0; j < r->n_names; j++) {
      c->n_names++;
      if (r->action_value == p->default_value) continue; /* no-op, and libseccomp refuses it */
      snprintf(path, sizeof path, JSON_ROOT ".syscalls[%u].names[%u]", i, j);
      if (!add_name_rules(c, f, r, r->names[j], path, cmps, index_count)) return false;
    }
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

/* The -ENOSYS stub for the filter's architectures; its length, or -1 after fail(). */
static int build_stub(struct ctx *c, const uint32_t *tokens, size_t ntokens, struct sock_filter *stub, size_t cap) {
  const struct tsrun_seccomp_profile *p = c->p;
  struct tsrun_arch_max maxes[TSRUN_SECCOMP_N_ARCHS + 1];
  for (size_t a = 0; a < ntokens; a++) {
    maxes[a].scmp_arch = tokens[a];
    maxes[a].max_nr = 0;
    for (uint32_t i = 0; i < p->n_rules; i++) {
      for (uint32_t j = 0; j < p->rules[i].n_names; j++) {
        int nr = seccomp_syscall_resolve_name_arch(tokens[a], p->rules[i].names[j]);
        if (nr >= 0 && (uint32_t)nr > maxes[a].max_nr) maxes[a].max_nr = (uint32_t)nr;
      }
    }
    if (maxes[a].max_nr == 0 && c->n_names > 0 &&
        !warn(c, JSON_ROOT ".architectures", "no syscall of the profile exists on %s",
              tsrun_seccomp_arch_name(tokens[a])))
      return -1;
  }
  int n = tsrun_enosys_stub(maxes, ntokens, stub, cap);
  if (n < 0) return fail(c, JSON_ROOT ".architectures", "cannot build the ENOSYS stub: %s", strerror(-n)), -1;
  return n;
}

int tsrun_seccomp_compile(const struct tsrun_seccomp_profile *p, struct tsrun_seccomp_compiled *out,
                          struct tsrun_seccomp_note *error) {
  memset(out, 0, sizeof *out);
  struct ctx c = {.p = p, .out = out, .error = error};
  if (!check_action_available(&c, p->default_value, p->default_action, JSON_ROOT ".defaultAction")) return -1;
  if (!resolve_flags(&c, &out->flags)) return -1;

  scmp_filter_ctx f = seccomp_init(p->default_value);
  if (!f) return fail(&c, JSON_ROOT ".defaultAction", "seccomp_init failed for this default action"), -1;
  int result = -1;
  struct sock_filter *prog = NULL;
  uint32_t tokens[TSRUN_SECCOMP_N_ARCHS + 1];
  size_t ntokens = 0, ninsns = 0;

  seccomp_attr_set(f, SCMP_FLTATR_API_SYSRAWRC, 1);
  if (!add_archs(&c, f, tokens, &ntokens) || !add_rules(&c, f)) goto out;
  /* libseccomp's binary-tree layout pays off on long lists (runc: > 32) */
  if (c.n_names > 32) seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2);

  int rc = export_bpf(f, &prog, &ninsns);
  if (rc < 0) {
    fail(&c, JSON_ROOT, "seccomp_export_bpf: %s", strerror(-rc));
    goto out;
  }
  struct sock_filter stub[256];
  int nstub = 0;
  if (stub_wanted(p->default_value)) {
    nstub = build_stub(&c, tokens, ntokens, stub, sizeof stub / sizeof stub[0]);
    if (nstub < 0) goto out;
    /* the stub leaves nr in A; libseccomp's program must reload the arch */
    if (nstub > 0 && !(prog[0].code == (BPF_LD | BPF_W | BPF_ABS) && prog[0].k == 4)) {
      fail(&c, JSON_ROOT, "unexpected libseccomp program layout; cannot prepend the ENOSYS stub");
      goto out;
    }
  }
  size_t total = (size_t)nstub + ninsns;
  if (total > BPF_MAXINSNS) {
    fail(&c, JSON_ROOT, "the compiled filter has %zu instructions; the kernel accepts at most %d", total, BPF_MAXINSNS);
    goto out;
  }
  out->filter = malloc(total * sizeof *out->filter);
  if (!out->filter) {
    out_of_memory(&c);
    goto out;
  }
  memcpy(out->filter, stub, (size_t)nstub * sizeof *out->filter);
  memcpy(out->filter + nstub, prog, ninsns * sizeof *out->filter);
  out->n_insns = total;
  result = 0;

out:
  free(prog);
  seccomp_release(f);
  return result;
}

void tsrun_seccomp_compiled_free(struct tsrun_seccomp_compiled *c) {
  free(c->filter);
  free(c->warnings);
  free(c->unknown);
  memset(c, 0, sizeof *c);
}
