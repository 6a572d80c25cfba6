/* -ENOSYS stub generator; see seccomp_enosys.h. The layout (per native
 * architecture, in the order given):
 *
 *     ld  [4]                        ; seccomp_data.arch
 *   A: jeq AUDIT_ARCH, 0, <skip body>
 *      ld  [0]                       ; seccomp_data.nr
 *      (x86_64/x32 mode and s390 "setup" checks, see below)
 *      jgt MAX, RET, JA
 *   RET: ret ERRNO(ENOSYS)
 *   JA:  ja <end of stub>            ; into libseccomp's program
 *   B: jeq ... next architecture
 *
 * Conditional jumps only ever skip a few instructions, so the 8-bit jt/jf
 * never overflow; the long hop to the filter is an unconditional ja. */
#include "seccomp_enosys.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>

#define X32_SYSCALL_BIT 0x40000000U
#define NR_OFFSET 0   /* offsetof(struct seccomp_data, nr) */
#define ARCH_OFFSET 4 /* offsetof(struct seccomp_data, arch) */

struct group {
  uint32_t audit_arch;
  bool has_main, has_x32;
  uint32_t main_max, x32_max;
  bool s390;
};

struct emitter {
  struct sock_filter *out;
  size_t cap, len;
  bool overflow;
};

static size_t emit(struct emitter *e, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
  if (e->len >= e->cap) {
    e->overflow = true;
    return e->len;
  }
  e->out[e->len] = (struct sock_filter){.code = code, .jt = jt, .jf = jf, .k = k};
  return e->len++;
}

/* x32 shares AUDIT_ARCH_X86_64 and is told apart by bit 30 of the number */
static uint32_t audit_arch_of(uint32_t scmp_arch) { return scmp_arch == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : scmp_arch; }

/* Body for one native arch: load nr, compare with the maxima, RET, JA. */
static void emit_body(struct emitter *e, const struct group *g) {
  const uint16_t JEQ = BPF_JMP | BPF_JEQ | BPF_K, JGT = BPF_JMP | BPF_JGT | BPF_K, JSET = BPF_JMP | BPF_JSET | BPF_K;
  emit(e, BPF_LD | BPF_W | BPF_ABS, 0, 0, NR_OFFSET);
  if (g->has_main && g->has_x32) {
    /* jset x32 -> X; jgt main,RET,JA; X: jgt x32,RET,JA; RET; JA */
    emit(e, JSET, 1, 0, X32_SYSCALL_BIT);
    emit(e, JGT, 1, 2, g->main_max);
    emit(e, JGT, 0, 1, g->x32_max);
  } else {
    if (g->audit_arch == AUDIT_ARCH_X86_64) {
      /* only one mode filtered: calls of the other mode go straight on */
      if (g->has_main) emit(e, JSET, 2, 0, X32_SYSCALL_BIT);
      else emit(e, JSET, 0, 2, X32_SYSCALL_BIT);
    }
    if (g->s390) {
      /* unknown "large" syscalls reach s390's multiplexer as nr 0 (setup) */
      emit(e, JEQ, 1, 0, 0);
    }
    emit(e, JGT, 0, 1, g->has_main ? g->main_max : g->x32_max);
  }
  emit(e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
  emit(e, BPF_JMP | BPF_JA, 0, 0, 0); /* patched once the stub length is known */
}

int tsrun_enosys_stub(const struct tsrun_arch_max *archs, size_t n, struct sock_filter *out, size_t cap) {
  struct group groups[32];
  size_t ng = 0;
  for (size_t i = 0; i < n; i++) {
    if (archs[i].max_nr == 0) continue; /* no syscalls known on it: leave it to libseccomp */
    uint32_t aa = audit_arch_of(archs[i].scmp_arch);
    bool x32 = archs[i].scmp_arch == SCMP_ARCH_X32;
    struct group *g = NULL;
    for (size_t k = 0; k < ng; k++)
      if (groups[k].audit_arch == aa) g = &groups[k];
    if (!g) {
      if (ng == sizeof groups / sizeof groups[0]) return -EINVAL;
      g = &groups[ng++];
      *g = (struct group){.audit_arch = aa, .s390 = aa == AUDIT_ARCH_S390 || aa == AUDIT_ARCH_S390X};
    }
    if (x32 ? g->has_x32 : g->has_main) return -EINVAL;
    if (x32) {
      g->has_x32 = true;
      g->x32_max = archs[i].max_nr;
    } else {
      g->has_main = true;
      g->main_max = archs[i].max_nr;
    }
  }
  if (ng == 0) return 0;

  struct emitter e = {.out = out, .cap = cap};
  size_t ja_at[32];
  emit(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARCH_OFFSET);
  for (size_t k = 0; k < ng; k++) {
    size_t jeq = emit(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, groups[k].audit_arch);
    emit_body(&e, &groups[k]);
    if (e.overflow) return -ENOSPC;
    out[jeq].jf = (uint8_t)(e.len - jeq - 1);
    ja_at[k] = e.len - 1;
  }
  for (size_t k = 0; k < ng; k++) out[ja_at[k]].k = (uint32_t)(e.len - ja_at[k] - 1);
  return (int)e.len;
}
