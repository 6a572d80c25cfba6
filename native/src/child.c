/* Async-signal-safe helpers for the child: text, the sync channel, errors. */
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

size_t c_strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

int c_strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

int c_strncmp(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (a[i] != b[i]) return (unsigned char)a[i] - (unsigned char)b[i];
    if (!a[i]) return 0;
  }
  return 0;
}

void c_memcpy(void *d, const void *s, size_t n) {
  char *dd = d;
  const char *ss = s;
  while (n--) *dd++ = *ss++;
}

const char *c_strrchr(const char *s, char c) {
  const char *r = NULL;
  for (; *s; s++)
    if (*s == c) r = s;
  return r;
}

void sb_init(struct sbuf *b, char *mem, size_t cap) {
  b->p = mem;
  b->len = 0;
  b->cap = cap;
  if (cap) mem[0] = 0;
}

void sb_add_n(struct sbuf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n && b->len + 1 < b->cap; i++) b->p[b->len++] = s[i];
  if (b->cap) b->p[b->len] = 0;
}

void sb_add(struct sbuf *b, const char *s) {
  if (s) sb_add_n(b, s, c_strlen(s));
}

void sb_add_int(struct sbuf *b, long long v) {
  char tmp[24];
  int i = 0;
  unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
  do tmp[i++] = (char)('0' + u % 10);
  while ((u /= 10) && i < 22);
  if (v < 0) tmp[i++] = '-';
  while (i--) sb_add_n(b, &tmp[i], 1);
}

const char *sb_str(struct sbuf *b) { return b->p; }

/* One packet, written with write(2): after the container's seccomp filter is
 * loaded the init still reports (READY, or why it failed), and write is a
 * syscall every profile lets through, unlike sendmsg. Texts from the child
 * are short (messages, never more than a few KiB). */
int sync_send(int fd, uint32_t type, int32_t value, int32_t err, const char *text, size_t len) {
  char pkt[sizeof(struct tsrun_sync_hdr) + 8192];
  if (len > sizeof pkt - sizeof(struct tsrun_sync_hdr)) len = sizeof pkt - sizeof(struct tsrun_sync_hdr);
  struct tsrun_sync_hdr h = {type, value, err, (uint32_t)len};
  c_memcpy(pkt, &h, sizeof h);
  if (len) c_memcpy(pkt + sizeof h, text, len);
  ssize_t r;
  do r = write(fd, pkt, sizeof h + len);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

int sync_recv(int fd, int32_t *value, char *buf, size_t cap, size_t *len) {
  struct tsrun_sync_hdr h;
  struct iovec iov[2] = {{&h, sizeof h}, {buf, cap ? cap - 1 : 0}};
  struct msghdr m = {0};
  m.msg_iov = iov;
  m.msg_iovlen = 2;
  ssize_t r;
  do r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r == 0) return 0;
  if (r < (ssize_t)sizeof h) return -1;
  size_t n = (size_t)r - sizeof h;
  if (cap) buf[n] = 0;
  if (len) *len = n;
  if (value) *value = h.value;
  return (int)h.type;
}

void sync_wait_go(struct child_ctx *c) {
  int t = sync_recv(c->sync_fd, NULL, c->buf, c->buf_len, NULL);
  if (t == SYNC_GO) return;
  /* parent gone or gave up: nothing to report to */
  _exit(t == SYNC_ABORT ? 1 : 2);
}

void child_fail(struct child_ctx *c, int err, const char *what, const char *detail) {
  struct sbuf b;
  char msg[4096];
  sb_init(&b, msg, sizeof msg);
  sb_add(&b, what);
  if (detail && *detail) {
    sb_add(&b, " ");
    sb_add(&b, detail);
  }
  sync_send(c->sync_fd, SYNC_ERROR, 0, err, msg, b.len);
  _exit(1);
}

void child_warn(struct child_ctx *c, const char *what, const char *detail) {
  struct sbuf b;
  char msg[4096];
  sb_init(&b, msg, sizeof msg);
  sb_add(&b, what);
  if (detail && *detail) {
    sb_add(&b, " ");
    sb_add(&b, detail);
  }
  sync_send(c->sync_fd, SYNC_WARNING, 0, 0, msg, b.len);
}

/* Lay out fds: keep[] are moved to consecutive numbers from 3+preserve up and
 * marked close-on-exec; preserved fds 3..2+preserve lose close-on-exec;
 * every other fd >= 3 is closed (CVE-2024-21626: no host fd may survive). */
void child_setup_fds(struct child_ctx *c, int *keep, int n_keep, int preserve) {
  int base = 3 + preserve;
  /* first move every kept fd out of the way (above anything we will use) */
  int high = base + n_keep + 64;
  for (int i = 0; i < n_keep; i++) {
    if (keep[i] < 0) continue;
    int nfd = fcntl(keep[i], F_DUPFD_CLOEXEC, high);
    if (nfd < 0) child_fail(c, errno, "dup fd", NULL);
    /* a kept fd inside the preserved range is ours (the caller had none
       there): close it so it is not handed to the container */
    if (keep[i] >= 3 && keep[i] < base) close(keep[i]);
    keep[i] = nfd;
    high = nfd + 1;
  }
  for (int i = 0; i < n_keep; i++) {
    int want = base + i;
    if (keep[i] < 0) {
      /* an unused slot: whatever fd sits there (inherited by node) goes */
      close(want);
      continue;
    }
    if (dup3(keep[i], want, O_CLOEXEC) < 0) child_fail(c, errno, "dup3 fd", NULL);
    keep[i] = want;
    if (i == 0) c->sync_fd = want; /* the sync fd is always first */
  }
  int first_free = base + n_keep;
  if (syscall(SYS_close_range, first_free, ~0U, 0) < 0) {
    /* close_range needs Linux >= 5.9; fall back to closing one by one */
    for (int fd = first_free; fd < 65536; fd++) close(fd);
  }
  /* node marks its stdio close-on-exec at start-up; the container inherits
     0-2 unchanged (contract: pass-through), so clear that again */
  for (int fd = 0; fd < base; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
}

/* process.stdio: the fds the caller chose (already moved above the preserved
 * range by child_setup_fds) become 0, 1 and 2; the moved copies are closed. */
void child_install_stdio(struct child_ctx *c, const int *moved) {
  for (int i = 0; i < 3; i++)
    if (moved[i] >= 0 && dup2(moved[i], i) < 0) child_fail(c, errno, "dup2 stdio", NULL);
  for (int i = 0; i < 3; i++)
    if (moved[i] >= 0) close(moved[i]);
}

void child_stay_undumpable(void) { prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }
